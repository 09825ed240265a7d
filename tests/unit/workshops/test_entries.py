"""A participant's entries, called directly: each is an ordinary report from the workshop waiting for
the wall check, a retried send makes no second one, and only its writer may take it back."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.core.live import InProcessBroker
from app.reports.models import Report
from app.workshops import entries
from app.workshops import service as workshops
from app.workshops.events import Participation, WorkshopError
from app.workshops.models import WorkshopEntry, WorkshopEvent, WorkshopEventKind
from tests import support_services
from tests.factories import make_area, make_workshop, report_data
from tests.support_services import identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)

DISCLOSURE = "My stepdad hits me when he drinks and I'm scared to go home tonight."


def _phone(session: Session, **overrides: object) -> tuple[object, object, Participation]:
    area = make_area(session)
    staff = identity(session, area, "facilitator")
    workshop = make_workshop(session, area, staff.user, **overrides)
    who, _token = workshops.join(session, area, workshop.join_code, session_minutes=60)
    return area, workshop, who


def _entry(session: Session, area: object, who: Participation, **overrides: object) -> WorkshopEntry:
    return entries.add_entry(session, area, who, report_data(**overrides), language="en", live=InProcessBroker())  # type: ignore[arg-type]


def test_an_entry_is_a_pending_report_from_the_workshop_waiting_for_the_wall_check(writer: Session) -> None:
    area, workshop, who = _phone(writer)
    data = report_data()
    entry = entries.add_entry(writer, area, who, data, language="en", live=InProcessBroker())  # type: ignore[arg-type]
    again = entries.add_entry(writer, area, who, data, language="en", live=InProcessBroker())  # type: ignore[arg-type]
    assert again.id == entry.id  # a retried send makes no second entry
    report = writer.get(Report, entry.report_id)
    assert report is not None
    assert (report.source, report.status, report.workshop_id) == ("workshop", "pending", workshop.id)  # type: ignore[attr-defined]
    assert entry.wall_status == "waiting"
    [event] = writer.exec(select(WorkshopEvent)).all()  # the wall hears of it, once
    assert (event.kind, event.subject_id) == (WorkshopEventKind.ENTRY_ADDED, entry.id)


def test_an_entry_of_a_kind_the_workshop_did_not_ask_is_refused(writer: Session) -> None:
    area, _workshop, who = _phone(writer, kinds=["safe"])
    with pytest.raises(WorkshopError) as refused:
        _entry(writer, area, who, kind="unsafe")
    assert refused.value.code == "kind_not_asked"


def test_only_the_areas_categories_for_the_kind_are_kept(writer: Session) -> None:
    area, _workshop, who = _phone(writer)
    entry = entries.add_entry(
        writer, area, who, report_data(categories=[]), language="en",  # type: ignore[arg-type]
        chosen_categories=["followed_harassed", "not_a_category"], live=InProcessBroker(),
    )
    report = writer.get(Report, entry.report_id)
    assert report is not None and report.category_list == ["followed_harassed"]


def test_a_participant_sees_their_own_entries_only(writer: Session) -> None:
    area, workshop, mine = _phone(writer)
    theirs, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    first = _entry(writer, area, mine, description="The canal path is dark after the lock.")
    _entry(writer, area, theirs)
    assert mine.participant.id is not None
    assert [(entry.id, report.id) for entry, report in entries.entries_of(writer, mine.participant.id)] == [(first.id, first.report_id)]


def test_a_participant_may_take_back_only_their_own_entry(writer: Session) -> None:
    area, workshop, mine = _phone(writer)
    theirs, _ = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    entry = _entry(writer, area, mine)
    with pytest.raises(WorkshopError) as refused:
        entries.withdraw_entry(writer, theirs, entry.id, live=InProcessBroker())  # type: ignore[arg-type]
    assert refused.value.code == "not_yours"
    report_id = entry.report_id
    assert entries.withdraw_entry(writer, mine, entry.id, live=InProcessBroker()).kept is False  # type: ignore[arg-type]
    writer.expire_all()
    assert writer.get(WorkshopEntry, entry.id) is None and writer.get(Report, report_id) is None
    assert writer.exec(select(WorkshopEvent.kind)).all()[-1] == WorkshopEventKind.ENTRY_REMOVED


def test_an_entry_that_may_mean_someone_is_not_safe_is_kept_when_taken_back(writer: Session) -> None:
    area, _workshop, who = _phone(writer)
    entry = _entry(writer, area, who, description=DISCLOSURE)
    withdrawal = entries.withdraw_entry(writer, who, entry.id, live=InProcessBroker())  # type: ignore[arg-type]
    assert withdrawal.kept is True
    writer.expire_all()
    assert writer.get(WorkshopEntry, entry.id) is None  # off the wall and the phone's list
    assert writer.get(Report, entry.report_id) is not None  # kept for a safeguarding worker
