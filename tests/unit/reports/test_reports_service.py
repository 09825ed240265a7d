"""Sending, tracking and taking back a report, called directly: once per submission token, a
receipt only its own area can read, input only the database can judge, and withdrawal that deletes
an ordinary report but keeps a possible disclosure for safeguarding."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, func, select

from app.moderation.models import SafeguardingAlert
from app.register import actions, counts
from app.reports import service as reports
from app.reports.models import Report
from tests import support_services
from tests.factories import (
    make_area,
    make_context,
    make_place,
    make_published,
    make_report,
    report_data,
)
from tests.support_services import audit_actions, audit_rows, identity

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Report)).one()


def test_one_submission_token_stores_one_report_however_often_it_is_sent(writer: Session) -> None:
    area = make_area(writer)
    data = report_data()
    first = reports.submit_report(writer, area, data, language="en")
    again = reports.submit_report(writer, area, data, language="cy")
    assert first.created and not again.created
    assert again.report.id == first.report.id and again.report.receipt_code == first.report.receipt_code
    assert _count(writer) == 1
    assert audit_actions(writer) == ["report.received"]


def test_a_report_is_stored_pending_with_a_receipt_and_no_personal_data_in_the_audit(writer: Session) -> None:
    area = make_area(writer)
    report = reports.submit_report(writer, area, report_data(reporter_role="parent_carer"), language="cy").report
    assert (report.status, report.language, report.source, report.urgent) == ("pending", "cy", "family", False)
    assert len(report.receipt_code) == reports.RECEIPT_LENGTH + 2
    assert set(report.receipt_code.replace("-", "")) <= set(reports.RECEIPT_ALPHABET)
    [event] = audit_rows(writer, "report.received")
    assert event.detail["kind"] == "unsafe" and event.detail["urgent"] is False
    assert (report.description or "") not in str(event.detail)


def test_a_source_given_by_the_caller_wins_over_the_reporters_role(writer: Session) -> None:
    area = make_area(writer)
    report = reports.submit_report(writer, area, report_data(reporter_role="young_person"), language="en", source="workshop").report
    assert report.source == "workshop"


def test_categories_the_area_does_not_offer_for_the_kind_are_dropped(writer: Session) -> None:
    area = make_area(writer)
    report = make_report(writer, area, kind="unsafe", categories=["followed_harassed", "trusted_adults", "made_up"])
    assert report.category_list == ["followed_harassed"]


def test_a_possible_disclosure_jumps_the_queue_and_raises_one_alert(writer: Session) -> None:
    area = make_area(writer)
    report = make_report(writer, area, description=DISCLOSURE)
    assert report.urgent and report.urgency in {"likely", "possible"}
    alerts = writer.exec(select(SafeguardingAlert).where(SafeguardingAlert.report_id == report.id)).all()
    assert len(alerts) == 1
    assert audit_rows(writer, "report.received")[0].detail["urgent"] is True


def test_a_place_or_point_only_the_database_can_judge_is_refused_with_its_field(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    theirs = make_place(writer, other, "Northwick Market")
    elsewhere = make_context(writer, other, "Market Square")
    cases = [
        ({"place_id": theirs.id}, "where", "unknown_place"),
        ({"lat": 51.5, "lng": -0.12}, "where", "outside_area"),
        ({"me_too_context_id": elsewhere.id}, "me_too_context_id", "unknown_context"),
    ]
    for overrides, field, code in cases:
        with pytest.raises(reports.ReportInputError) as refused:
            reports.submit_report(writer, area, report_data(**overrides), language="en")
        assert (refused.value.field, refused.value.code) == (field, code)
        writer.rollback()
    assert _count(writer) == 0


def test_a_point_inside_the_area_is_kept_only_as_a_coarse_cell_for_everything_else(writer: Session) -> None:
    area = make_area(writer)
    report = make_report(writer, area, lat=52.5761, lng=-1.9862)
    assert report.h3_cell and report.lat == 52.5761  # the raw entry has the point; the cell is what others see
    park = make_place(writer, area)
    at_place = make_report(writer, area, place_id=park.id, location_text="")
    assert at_place.h3_cell


def test_a_receipt_typed_loosely_finds_the_report_only_in_its_own_area(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    report = make_report(writer, area)
    loose = report.receipt_code.lower().replace("-", " ")
    assert reports.find_by_receipt(writer, area.id, loose).id == report.id  # type: ignore[arg-type, union-attr]
    assert reports.find_by_receipt(writer, other.id, report.receipt_code) is None  # type: ignore[arg-type]
    assert reports.find_by_receipt(writer, area.id, report.receipt_code[:-1]) is None  # type: ignore[arg-type]


def test_withdrawing_an_ordinary_report_deletes_it_and_the_audit_keeps_only_that(writer: Session) -> None:
    area = make_area(writer)
    report = make_report(writer, area)
    report_id = report.id
    assert reports.withdraw(writer, report).kept is False
    assert writer.get(Report, report_id) is None
    [event] = audit_rows(writer, "report.withdrawn")
    assert event.detail == {"kept_for_safeguarding": False}


def test_withdrawing_a_possible_disclosure_keeps_it_and_bumps_its_version(writer: Session) -> None:
    area = make_area(writer)
    report = make_report(writer, area, description=DISCLOSURE)
    version = report.version
    assert reports.withdraw(writer, report).kept is True
    writer.expire_all()
    kept = writer.get(Report, report.id)
    assert kept is not None and kept.withdrawn_at is not None
    assert kept.version == version + 1  # a moderator's publish already under way now fails
    assert reports.withdraw(writer, kept).kept is True  # a second time changes nothing more
    writer.expire_all()
    assert writer.get(Report, report.id).version == version + 1  # type: ignore[union-attr]
    assert len(audit_rows(writer, "report.withdrawn")) == 1


def test_a_published_disclosure_taken_back_leaves_the_register_and_the_map(writer: Session) -> None:
    area = make_area(writer)
    park = make_context(writer, area, "Victoria Park")
    report = make_published(writer, area, park, description=DISCLOSURE)
    report.show_on_map = True
    writer.add(report)
    writer.commit()
    assert counts.snapshot(writer)
    reports.withdraw(writer, report)
    writer.expire_all()
    kept = writer.get(Report, report.id)
    assert kept is not None
    assert (kept.status, kept.show_on_map) == ("pending", False)
    assert counts.snapshot(writer) == {}


def test_a_receipt_shows_only_published_actions_and_only_for_a_published_entry(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator", "statutory")
    park = make_context(writer, area, "Victoria Park")
    report = make_published(writer, area, park)
    pending = make_report(writer, area)
    pending.context_id = park.id
    writer.add(pending)
    writer.commit()
    shown, drafted = (
        actions.record_action(writer, staff, park, actions.ActionInput(title=title, owner_organisation="Council", response_type="environment", status="planned", due_date=None))
        for title in ("New lights", "A draft")
    )
    actions.publish_action(writer, staff, shown, "New lights are going in along the path.")
    assert [a.id for a in reports.published_actions_for(writer, report)] == [shown.id]
    assert drafted.published_at is None
    assert reports.published_actions_for(writer, pending) == []
    assert writer.exec(select(func.count()).where(col(Report.context_id) == park.id)).one() == 2


def test_a_submission_token_sent_to_another_area_never_returns_the_first_areas_report(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    data = report_data()  # the API lets a client choose its own token
    first = reports.submit_report(writer, area, data, language="en").report
    elsewhere = reports.submit_report(writer, other, data, language="en").report
    assert elsewhere.area_id == other.id
    assert elsewhere.receipt_code != first.receipt_code
