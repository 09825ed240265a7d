"""The rules of the safeguarding call: what each call records, and that every moderated entry leaves one label."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.audit.models import AuditEvent
from app.core.db import Database
from app.core.types import utcnow
from app.moderation import labels, service
from app.moderation.models import SafeguardingAlert, TriageLabel
from app.moderation.retention import run_retention
from app.reports.models import Report
from tests.factories import make_area, make_context, make_report, make_staff


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """The app's own write session, as a request or a command gets it: the services here read after
    they write within one transaction, which the shared test session (it starts a fresh read before
    each query) would undo."""
    with db.session(write=True) as s:
        yield s


DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."
CALM = "The bus shelter is dark but it's fine in the day."


def _moderator(session: Session, area: Area) -> StaffIdentity:
    return StaffIdentity(user=make_staff(session, area, "moderator"), area=area, roles=frozenset({"moderator"}), session_id=0)


def _flagged(session: Session, area: Area, urgency: str = "likely", **overrides: Any) -> Report:
    report = make_report(session, area, description=DISCLOSURE, **overrides)
    assert report.urgent
    report.urgency = urgency
    report.urgent_cues = ["threat if they tell"]
    session.add(report)
    session.commit()
    return report


def _calm(session: Session, area: Area, **overrides: Any) -> Report:
    report = make_report(session, area, description=CALM, **overrides)
    assert not report.urgent and report.urgency == "none"
    return report


def _labels(session: Session) -> list[TriageLabel]:
    return list(session.exec(select(TriageLabel)).all())


def _alerts(session: Session, report: Report) -> int:
    return session.exec(select(func.count()).select_from(SafeguardingAlert).where(SafeguardingAlert.report_id == report.id)).one()


def _actions(session: Session, prefix: str = "triage.") -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all() if e.action.startswith(prefix)]  # type: ignore[arg-type]


def test_confirming_a_flag_keeps_it_urgent_and_labels_it_confirmed(session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area)
    label = labels.make_call(session, _moderator(session, area), report, urgent=True)
    assert (label.outcome, label.flagged, label.urgent, label.language) == ("confirmed", "likely", True, "en")
    assert session.get(Report, report.id).urgent  # type: ignore[union-attr]
    assert _actions(session) == ["triage.confirmed"]


def test_correcting_a_flag_takes_it_off_the_top_but_keeps_triage_said_and_the_alert(session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area, urgency="possible")
    assert _alerts(session, report) == 1
    label = labels.make_call(session, _moderator(session, area), report, urgent=False)
    assert (label.outcome, label.flagged, label.urgent) == ("corrected", "possible", False)
    fresh = session.get(Report, report.id)
    assert fresh is not None and not fresh.urgent and fresh.urgency == "possible"
    assert _alerts(session, report) == 1


def test_marking_an_unflagged_entry_urgent_is_a_miss_and_raises_the_alert(session: Session) -> None:
    area = make_area(session)
    report = _calm(session, area)
    assert _alerts(session, report) == 0
    label = labels.make_call(session, _moderator(session, area), report, urgent=True)
    assert (label.outcome, label.flagged, label.urgent) == ("missed", "none", True)
    fresh = session.get(Report, report.id)
    assert fresh is not None and fresh.urgent and fresh.urgency == "none"
    assert _alerts(session, report) == 1
    assert "alert.raised" in _actions(session, "alert.")
    assert _actions(session) == ["triage.missed"]


def test_agreeing_an_unflagged_entry_is_not_urgent(session: Session) -> None:
    area = make_area(session)
    report = _calm(session, area)
    label = labels.make_call(session, _moderator(session, area), report, urgent=False)
    assert (label.outcome, label.flagged, label.urgent) == ("agreed", "none", False)
    assert _alerts(session, report) == 0


def test_changing_ones_mind_updates_the_one_label_and_audits_each_call(session: Session) -> None:
    area = make_area(session)
    report = _calm(session, area)
    moderator = _moderator(session, area)
    labels.make_call(session, moderator, report, urgent=True)
    labels.make_call(session, moderator, report, urgent=False)
    labels.make_call(session, _moderator(session, area), report, urgent=True)
    (label,) = _labels(session)
    assert (label.outcome, label.flagged, label.urgent) == ("missed", "none", True)
    assert _actions(session) == ["triage.missed", "triage.agreed", "triage.missed"]
    # The second miss finds the first alert still open and does not send another.
    assert _alerts(session, report) == 1
    previous = [e.detail.get("previous") for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all() if e.action.startswith("triage.")]  # type: ignore[arg-type]
    assert previous == [None, "missed", "agreed"]


def test_a_flag_corrected_then_confirmed_keeps_triage_said(session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area)
    moderator = _moderator(session, area)
    labels.make_call(session, moderator, report, urgent=False)
    label = labels.make_call(session, moderator, report, urgent=True)
    assert (label.outcome, label.flagged) == ("confirmed", "likely")
    assert len(_labels(session)) == 1


def test_audit_of_a_call_names_codes_never_the_words(session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area)
    labels.make_call(session, _moderator(session, area), report, urgent=True)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "triage.confirmed")).one()
    assert event.subject_id == str(report.id)
    assert "sister" not in json.dumps(event.detail) and "threat" not in json.dumps(event.detail)


def _publish(session: Session, staff: StaffIdentity, report: Report) -> None:
    context = make_context(session, report_area(session, report))
    service.publish(
        session, staff, report, expected_version=report.version, public_description="Someone is being threatened near here.",
        public_what_would_help="", accepted={}, context_id=context.id, new_context_name="", show_on_map=False,
    )


def report_area(session: Session, report: Report) -> Area:
    area = session.get(Area, report.area_id)
    assert area is not None
    return area


def test_publishing_without_a_call_records_it_from_the_entry(session: Session) -> None:
    area = make_area(session)
    moderator = _moderator(session, area)
    flagged, calm = _flagged(session, area), _calm(session, area)
    _publish(session, moderator, flagged)
    _publish(session, moderator, calm)
    outcomes = {label.report_id: (label.outcome, label.urgent) for label in _labels(session)}
    assert outcomes == {flagged.id: ("confirmed", True), calm.id: ("agreed", False)}
    assert [e.detail.get("implicit") for e in session.exec(select(AuditEvent).where(AuditEvent.action.startswith("triage."))).all()] == [True, True]  # type: ignore[attr-defined]


def test_rejecting_without_a_call_records_it_and_a_made_call_stands(session: Session) -> None:
    area = make_area(session)
    moderator = _moderator(session, area)
    calm, corrected = _calm(session, area), _flagged(session, area)
    labels.make_call(session, moderator, corrected, urgent=False)
    service.reject(session, moderator, calm, expected_version=calm.version, reason="spam")
    fresh = session.get(Report, corrected.id)
    assert fresh is not None
    service.reject(session, moderator, fresh, expected_version=fresh.version, reason="handled_elsewhere")
    outcomes = {label.report_id: label.outcome for label in _labels(session)}
    assert outcomes == {calm.id: "agreed", corrected.id: "corrected"}
    assert _actions(session) == ["triage.corrected", "triage.agreed"]


def test_bulk_spam_rejection_leaves_a_label_for_each_entry(session: Session) -> None:
    area = make_area(session)
    reports = [_calm(session, area) for _ in range(3)]
    assert service.bulk_reject_spam(session, _moderator(session, area), [r.id for r in reports if r.id]) == 3
    assert sorted(label.outcome for label in _labels(session)) == ["agreed"] * 3


def test_an_urgent_report_from_before_graded_urgency_counts_as_likely(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=DISCLOSURE)
    report.urgency = "none"
    session.add(report)
    session.commit()
    assert labels.triage_said(report) == "likely"
    assert labels.make_call(session, _moderator(session, area), report, urgent=False).outcome == "corrected"


def test_the_call_section_shows_reasons_in_plain_words_and_the_cues(session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area)
    report.urgent_reasons = "threat_or_coercion,triage_failed"
    session.add(report)
    session.commit()
    call = labels.call_for(session, report)
    assert call.is_flagged and call.outcome is None
    assert call.reasons == ["threats or being made to do things", "triage could not read this entry, so it was marked urgent to be safe"]
    assert call.cues == ["threat if they tell"]


def _export(session: Session, area: Area) -> list[dict[str, Any]]:
    out = io.StringIO()
    assert area.id is not None
    count = labels.export_labels(session, area.id, area.slug, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(rows)
    return rows


def test_export_has_redacted_text_only_in_the_training_format(session: Session) -> None:
    area = make_area(session)
    moderator = _moderator(session, area)
    report = _flagged(session, area, what_would_help="Call Jordan Mills on 07700 900123.")
    _publish(session, moderator, report)
    unpublished = _calm(session, area)
    labels.make_call(session, moderator, unpublished, urgent=False)  # no public text yet: not exported
    (row,) = _export(session, area)
    assert list(row) == ["id", "text", "urgent", "flagged", "outcome", "lang", "month"]
    assert row == {
        "id": f"brackenford-{report.id}", "text": "Someone is being threatened near here.", "urgent": True,
        "flagged": "likely", "outcome": "confirmed", "lang": "en", "month": report.created_at.strftime("%Y-%m"),
    }
    assert "sister" not in json.dumps(row) and "Jordan" not in json.dumps(row)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "triage.labels_exported")).one().detail == {"count": 1, "via": "cli"}


def test_export_respects_withdrawal_and_retention(session: Session) -> None:
    area = make_area(session, retention_days=90)
    moderator = _moderator(session, area)
    kept, withdrawn, retained = (_flagged(session, area) for _ in range(3))
    for report in (kept, withdrawn, retained):
        _publish(session, moderator, report)
    gone = _calm(session, area)
    _publish(session, moderator, gone)
    # Withdrawn and kept for safeguarding: its words are not for training.
    fresh = session.get(Report, withdrawn.id)
    assert fresh is not None
    fresh.withdrawn_at = utcnow()
    session.add(fresh)
    session.commit()
    # Withdrawn and deleted: only the label's counts are left.
    from app.reports import service as reports

    reports.withdraw(session, gone)
    # Past the retention period: the raw words go, the redacted text stays.
    old = session.get(Report, retained.id)
    assert old is not None
    old.moderated_at = utcnow() - timedelta(days=120)
    session.add(old)
    session.commit()
    run_retention(session)
    rows = _export(session, area)
    assert sorted(row["id"] for row in rows) == sorted([f"brackenford-{kept.id}", f"brackenford-{retained.id}"])
    assert all(row["text"] == "Someone is being threatened near here." for row in rows)
    assert len(_labels(session)) == 4


def test_export_never_has_another_areas_labels(session: Session) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    _publish(session, _moderator(session, home), _flagged(session, home))
    _publish(session, _moderator(session, other), _flagged(session, other))
    assert [row["id"].split("-")[0] for row in _export(session, home)] == ["brackenford"]
    assert [row["id"].split("-")[0] for row in _export(session, other)] == ["northwick"]


def test_retention_clears_triage_cues_with_the_raw_words(session: Session) -> None:
    area = make_area(session, retention_days=90)
    old, fresh = _flagged(session, area), _flagged(session, area)
    for report, age in ((old, 91), (fresh, 10)):
        report.status = "published"
        report.public_description = "Redacted words."
        report.moderated_at = utcnow() - timedelta(days=age)
        session.add(report)
    session.commit()
    assert run_retention(session) == {"brackenford": 1}
    session.expire_all()
    cleared, kept = session.get(Report, old.id), session.get(Report, fresh.id)
    assert cleared is not None and cleared.urgent_cues == [] and cleared.description is None
    assert cleared.urgency == "likely" and cleared.public_description == "Redacted words."
    assert kept is not None and kept.urgent_cues == ["threat if they tell"]


def test_stats_count_entries_flags_and_calls_per_language_and_month(session: Session) -> None:
    area = make_area(session, locales="en,cy")
    moderator = _moderator(session, area)
    confirmed = _flagged(session, area)
    corrected = _flagged(session, area, urgency="possible")
    _flagged(session, area, urgency="possible")  # not called yet
    missed = _calm(session, area)
    agreed = _calm(session, area)
    welsh = _calm(session, area)
    welsh.language = "cy"
    session.add(welsh)
    session.commit()
    last_month = _calm(session, area)
    last_month.created_at = utcnow() - timedelta(days=40)
    session.add(last_month)
    session.commit()
    labels.make_call(session, moderator, confirmed, urgent=True)
    labels.make_call(session, moderator, corrected, urgent=False)
    labels.make_call(session, moderator, missed, urgent=True)
    labels.make_call(session, moderator, agreed, urgent=False)
    assert area.id is not None
    rows = {(row.language, row.month): row for row in labels.stats(session, area.id)}
    month = utcnow().strftime("%Y-%m")
    english = rows[("en", month)]
    assert (english.entries, english.likely, english.possible) == (5, 1, 2)
    assert (english.confirmed, english.corrected, english.missed, english.agreed) == (1, 1, 1, 1)
    assert english.confirmed_share == 0.5
    assert english.missed_per_100 == 20
    assert rows[("cy", month)].entries == 1 and rows[("cy", month)].missed_per_100 == 0
    assert rows[("en", last_month.created_at.strftime("%Y-%m"))].entries == 1
    assert next(iter(rows))[1] == month  # newest month first
    total = labels.totals(list(rows.values()))
    assert (total.entries, total.missed, total.confirmed_share) == (7, 1, 0.5)


def test_stats_never_count_another_area(session: Session) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    labels.make_call(session, _moderator(session, other), _calm(session, other), urgent=True)
    assert home.id is not None and other.id is not None
    assert labels.stats(session, home.id) == []
    (row,) = labels.stats(session, other.id)
    assert (row.entries, row.missed) == (1, 1)
