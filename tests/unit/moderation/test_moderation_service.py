"""Moderation decisions called directly: who wins when two moderators act on one entry, what each
decision refuses (and with which code), and what it writes (the report, the decision row, the audit
log, the register's counts)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.accounts.service import StaffIdentity
from app.core.db import Database
from app.moderation import queue as moderation_queue
from app.moderation import service as moderation
from app.moderation.models import ModerationDecision
from app.register import counts
from app.register.models import Context
from app.reports import service as reports
from app.reports.models import Report
from tests import support_services
from tests.factories import make_area, make_context, make_report
from tests.support_services import audit_actions, audit_rows, identity

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _publish(session: Session, staff: StaffIdentity, report: Report, **overrides: object) -> Context:
    values: dict[str, object] = {
        "expected_version": report.version, "public_description": report.description or "", "public_what_would_help": "",
        "accepted": {}, "context_id": None, "new_context_name": "Victoria Park", "show_on_map": True,
    } | overrides
    return moderation.publish(session, staff, report, **values)  # type: ignore[arg-type]


def _decisions(session: Session) -> list[ModerationDecision]:
    return list(session.exec(select(ModerationDecision)).all())


def test_publishing_files_the_entry_under_its_context_and_writes_the_decision_audit_and_counts(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area)
    version = report.version
    context = _publish(writer, staff, report, public_description="Lads shout at people here after dark.")
    writer.expire_all()
    stored = writer.get(Report, report.id)
    assert stored is not None
    assert (stored.status, stored.context_id, stored.version, stored.show_on_map) == ("published", context.id, version + 1, True)
    assert stored.public_description == "Lads shout at people here after dark."
    assert stored.moderated_at is not None
    [decision] = _decisions(writer)
    assert (decision.decision, decision.moderator_id, decision.context_id) == ("publish", staff.user.id, context.id)
    [event] = audit_rows(writer, "report.published")
    assert event.actor_id == staff.user.id
    assert event.detail["before"] == {"status": "pending", "context_id": None}
    assert event.detail["after"]["context_id"] == context.id
    assert "context.created" in audit_actions(writer)  # the new context was made in the same decision
    assert sum(n for (cid, key), n in counts.snapshot(writer).items() if cid == context.id and key[0] == "entries") == 1


def test_a_stale_version_cannot_publish_a_pending_entry(db: Database) -> None:
    """Two moderators open one entry; the second claims it. The first one's publish, made on the
    version they saw, is refused although the entry is still pending, and leaves no trace."""
    with db.writer() as setup:
        area = make_area(setup)
        first, second = identity(setup, area, "moderator"), identity(setup, area, "moderator")
        report_id = make_report(setup, area).id
    with db.writer() as first_session:
        seen = first_session.get(Report, report_id)
        assert seen is not None
        seen_version = seen.version
        first_session.commit()  # the page was rendered; the form carries the version it showed
        with db.writer() as second_session:
            theirs = second_session.get(Report, report_id)
            assert theirs is not None
            moderation.claim(second_session, second, theirs)
            assert theirs.status == "pending" and theirs.version == seen_version + 1
        with pytest.raises(moderation.ModerationConflict):
            _publish(first_session, first, seen, expected_version=seen_version, new_context_name="A new context")
    with db.writer() as check:
        stored = check.get(Report, report_id)
        assert stored is not None
        assert (stored.status, stored.version, stored.claimed_by_id) == ("pending", seen_version + 1, second.user.id)
        assert _decisions(check) == []
        assert check.exec(select(Context)).all() == []  # the context the losing publish would have made is rolled back
        assert "report.published" not in audit_actions(check)


def test_the_second_of_two_publishes_on_the_same_version_is_refused(db: Database) -> None:
    with db.writer() as setup:
        area = make_area(setup)
        first, second = identity(setup, area, "moderator"), identity(setup, area, "moderator")
        park = make_context(setup, area, "Victoria Park")
        report_id = make_report(setup, area).id
    with db.writer() as a, db.writer() as b:
        # Both pages are rendered from the same version (each read ends before the other starts).
        mine = a.get(Report, report_id)
        a.commit()
        theirs = b.get(Report, report_id)
        b.commit()
        assert mine is not None and theirs is not None
        version = mine.version
        _publish(a, first, mine, expected_version=version, context_id=park.id)
        with pytest.raises(moderation.ModerationConflict):
            moderation.reject(b, second, theirs, expected_version=version, reason="duplicate")
    with db.writer() as check:
        [decision] = _decisions(check)
        assert (decision.decision, decision.moderator_id) == ("publish", first.user.id)
        assert check.get(Report, report_id).status == "published"  # type: ignore[union-attr]


def test_an_entry_already_decided_cannot_be_published_again(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area)
    moderation.reject(writer, staff, report, expected_version=report.version, reason="spam")
    with pytest.raises(moderation.ModerationConflict):
        _publish(writer, staff, report)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"public_description": "   "}, "public_text_empty"),
        ({"new_context_name": "  "}, "context_missing"),
    ],
)
def test_publishing_refuses_missing_words_or_context_with_its_code(writer: Session, overrides: dict[str, object], code: str) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area)
    with pytest.raises(moderation.ModerationError) as refused:
        _publish(writer, staff, report, **overrides)
    assert refused.value.code == code
    assert writer.get(Report, report.id).status == "pending"  # type: ignore[union-attr]


def test_a_context_of_another_area_is_unknown_to_a_publish(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    elsewhere = make_context(writer, other, "Market Square")
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area)
    with pytest.raises(moderation.ModerationError) as refused:
        _publish(writer, staff, report, context_id=elsewhere.id, new_context_name="")
    assert refused.value.code == "context_unknown"


def test_a_withdrawn_disclosure_is_kept_but_never_published(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area, description=DISCLOSURE)
    assert reports.withdraw(writer, report).kept
    writer.refresh(report)
    with pytest.raises(moderation.ModerationError) as refused:
        _publish(writer, staff, report)
    assert refused.value.code == "withdrawn_kept"


def test_an_accepted_redaction_never_reaches_the_public_text_even_if_typed_back(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area, description="Ring 07700 900123 if you see them by the bins.")
    spans = moderation.suggested_spans(report, "description")
    phone = next(i for i, span in enumerate(spans) if "07700" in (report.description or "")[span.start : span.end])
    assert "07700" not in moderation.suggested_public_text(report, "description")
    _publish(writer, staff, report, public_description=report.description, accepted={"description": {phone}})
    writer.refresh(report)
    assert "07700 900123" not in (report.public_description or "")
    assert "by the bins" in (report.public_description or "")


def test_rejecting_needs_a_known_reason_and_records_it(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area)
    with pytest.raises(moderation.ModerationError) as refused:
        moderation.reject(writer, staff, report, expected_version=report.version, reason="not_nice")
    assert refused.value.code == "reason_missing"
    moderation.reject(writer, staff, report, expected_version=report.version, reason="not_in_area")
    writer.refresh(report)
    assert (report.status, report.rejection_reason) == ("rejected", "not_in_area")
    [decision] = _decisions(writer)
    assert (decision.decision, decision.reason) == ("reject", "not_in_area")
    [event] = audit_rows(writer, "report.rejected")
    assert event.detail["after"] == {"status": "rejected", "reason": "not_in_area"}
    assert counts.snapshot(writer) == {}  # a rejected entry is never counted


def test_claiming_names_the_moderator_in_the_queue_and_bumps_the_version(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "moderator")
    report = make_report(writer, area)
    version = report.version
    moderation.claim(writer, staff, report)
    assert report.version == version + 1 and report.claimed_by_id == staff.user.id
    assert area.id is not None
    [entry] = moderation_queue.queue(writer, area.id, moderation_queue.QueueFilters())
    assert entry.claimed_by == staff.user.display_name
    assert audit_actions(writer, subject_id=report.id)[-1] == "report.claimed"


def test_bulk_spam_rejection_never_touches_urgent_entries_or_another_area(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    staff = identity(writer, area, "moderator")
    spam = make_report(writer, area, description="buy cheap trainers at my shop now now now")
    urgent = make_report(writer, area, description=DISCLOSURE)
    theirs = make_report(writer, other)
    ids = [r.id for r in (spam, urgent, theirs) if r.id is not None]
    assert moderation.bulk_reject_spam(writer, staff, ids) == 1
    writer.expire_all()
    assert [writer.get(Report, i).status for i in ids] == ["rejected", "pending", "pending"]  # type: ignore[union-attr]
    assert writer.get(Report, spam.id).rejection_reason == "spam"  # type: ignore[union-attr]


def test_get_for_moderation_never_returns_another_areas_entry(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    theirs = make_report(writer, other)
    assert area.id is not None and other.id is not None and theirs.id is not None
    assert moderation.get_for_moderation(writer, area.id, theirs.id) is None
    assert moderation.get_for_moderation(writer, other.id, theirs.id) is not None


def test_a_claim_made_on_a_stale_copy_of_the_entry_is_refused(db: Database) -> None:
    with db.writer() as setup:
        area = make_area(setup)
        first, second = identity(setup, area, "moderator"), identity(setup, area, "moderator")
        report_id = make_report(setup, area).id
    with db.writer() as mine_session:
        mine = mine_session.get(Report, report_id)
        mine_session.commit()
        with db.writer() as theirs_session:
            theirs = theirs_session.get(Report, report_id)
            assert theirs is not None
            moderation.claim(theirs_session, second, theirs)
        assert mine is not None
        with pytest.raises(moderation.ModerationConflict):
            moderation.claim(mine_session, first, mine)
    with db.writer() as check:
        assert check.get(Report, report_id).claimed_by_id == second.user.id  # type: ignore[union-attr]


def test_a_disclosure_withdrawn_while_a_moderator_has_it_open_cannot_then_be_published(db: Database) -> None:
    with db.writer() as setup:
        area = make_area(setup)
        staff = identity(setup, area, "moderator")
        report_id = make_report(setup, area, description=DISCLOSURE).id
    with db.writer() as moderator_session:
        seen = moderator_session.get(Report, report_id)
        assert seen is not None
        version = seen.version
        moderator_session.commit()
        with db.writer() as reporter_session:
            theirs = reporter_session.get(Report, report_id)
            assert theirs is not None and reports.withdraw(reporter_session, theirs).kept
        # The moderator's page still shows it pending and not withdrawn: the version is what stops it.
        assert seen.withdrawn_at is None and seen.status == "pending"
        with pytest.raises(moderation.ModerationConflict):
            _publish(moderator_session, staff, seen, expected_version=version)
    with db.writer() as check:
        stored = check.get(Report, report_id)
        assert stored is not None and stored.status == "pending" and stored.withdrawn_at is not None
        assert _decisions(check) == []
