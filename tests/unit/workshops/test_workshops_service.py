"""Workshops called directly: joining with a code, entries that become ordinary reports from a
workshop, the facilitator's wall check, and dot-voting (its limits and who may vote when)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.core.types import utcnow
from app.reports.models import Report
from app.workshops import service as workshops
from app.workshops.live import InProcessBroker
from app.workshops.models import VotingStatus, WorkshopEntry, WorkshopEvent, WorkshopParticipant
from tests import support_services
from tests.factories import make_area, make_workshop, report_data
from tests.support_services import audit_actions, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _room(session: Session, **overrides: object) -> tuple[object, workshops.StaffIdentity, object]:
    area = make_area(session)
    staff = identity(session, area, "facilitator")
    return area, staff, make_workshop(session, area, staff.user, **overrides)


def _entry(session: Session, area: object, who: workshops.Participation, **overrides: object) -> WorkshopEntry:
    return workshops.add_entry(session, area, who, report_data(**overrides), language="en", live=InProcessBroker())  # type: ignore[arg-type]


def test_a_join_code_is_six_easily_read_characters_and_typed_loosely_still_works(writer: Session) -> None:
    area, _staff, workshop = _room(writer)
    code = workshop.join_code  # type: ignore[attr-defined]
    assert len(code) == workshops.JOIN_CODE_LENGTH and set(code) <= set(workshops.JOIN_ALPHABET)
    loose = f" {code[:3].lower()}-{code[3:].lower()} "
    assert workshops.find_joinable(writer, area, loose).id == workshop.id  # type: ignore[arg-type, attr-defined]


def test_joining_gives_a_token_only_its_hash_is_kept_and_the_session_ends_with_the_code(writer: Session) -> None:
    area, _staff, workshop = _room(writer, code_hours=1)
    who, token = workshops.join(writer, area, workshop.join_code, session_minutes=600)  # type: ignore[arg-type, attr-defined]
    stored = writer.exec(select(WorkshopParticipant)).one()
    assert stored.token_hash == workshops.token_hash(token) and token not in stored.token_hash
    assert stored.expires_at <= workshop.code_expires_at  # type: ignore[attr-defined]
    assert workshops.resume(writer, token).participant.id == who.participant.id  # type: ignore[union-attr]
    assert workshops.resume(writer, "not-a-token") is None
    workshops.leave(writer, token)
    assert workshops.resume(writer, token) is None


@pytest.mark.parametrize(("code", "error"), [("ABC", "wrong_code"), ("AAAAAA", "wrong_code")])
def test_a_wrong_code_is_refused(writer: Session, code: str, error: str) -> None:
    area, _staff, _workshop = _room(writer)
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.join(writer, area, code, session_minutes=60)  # type: ignore[arg-type]
    assert refused.value.code == error


def test_a_code_from_another_area_or_an_ended_workshop_opens_nothing(writer: Session) -> None:
    area, staff, workshop = _room(writer)
    other = make_area(writer, "other-town")
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.join(writer, other, workshop.join_code, session_minutes=60)  # type: ignore[attr-defined]
    assert refused.value.code == "wrong_code"
    _who, token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    workshops.end_workshop(writer, staff, workshop, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(workshops.WorkshopError) as ended:
        workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    assert ended.value.code == "ended"
    assert workshops.resume(writer, token) is None  # everyone in the room is signed out
    assert "workshop.ended" in audit_actions(writer)


def test_an_expired_code_no_longer_opens_the_workshop(writer: Session) -> None:
    area, _staff, workshop = _room(writer)
    workshop.code_expires_at = utcnow() - timedelta(minutes=1)  # type: ignore[attr-defined]
    writer.add(workshop)
    writer.commit()
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.find_joinable(writer, area, workshop.join_code)  # type: ignore[arg-type, attr-defined]
    assert refused.value.code == "ended"


def test_an_entry_is_a_pending_report_from_the_workshop_waiting_for_the_wall_check(writer: Session) -> None:
    area, _staff, workshop = _room(writer)
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    data = report_data()
    entry = workshops.add_entry(writer, area, who, data, language="en", live=InProcessBroker())  # type: ignore[arg-type]
    again = workshops.add_entry(writer, area, who, data, language="en", live=InProcessBroker())  # type: ignore[arg-type]
    assert again.id == entry.id  # a retried send makes no second entry
    report = writer.get(Report, entry.report_id)
    assert report is not None
    assert (report.source, report.status, report.workshop_id) == ("workshop", "pending", workshop.id)  # type: ignore[attr-defined]
    assert entry.wall_status == "waiting"
    assert [e.entry.id for e in workshops.waiting_entries(writer, workshop.id)] == [entry.id]  # type: ignore[arg-type, attr-defined]
    assert writer.exec(select(WorkshopEvent)).all()  # the wall hears of it


def test_an_entry_of_a_kind_the_workshop_did_not_ask_is_refused(writer: Session) -> None:
    area, _staff, workshop = _room(writer, kinds=["safe"])
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    with pytest.raises(workshops.WorkshopError) as refused:
        _entry(writer, area, who, kind="unsafe")
    assert refused.value.code == "kind_not_asked"


def test_the_wall_shows_an_entry_without_its_personal_details_unless_the_facilitator_keeps_them(writer: Session) -> None:
    area, staff, workshop = _room(writer)
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    entry = _entry(writer, area, who, description="Ring 07700 900123 if you see them by the bins.")
    shown = workshops.check_entry(writer, staff, workshop, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    assert shown.wall_status == "on_wall" and "07700" not in shown.wall_text and "by the bins" in shown.wall_text
    assert [e.id for e in workshops.wall_entries(writer, workshop.id)] == [entry.id]  # type: ignore[arg-type, attr-defined]
    held = workshops.check_entry(writer, staff, workshop, entry.id, show=False, live=InProcessBroker())  # type: ignore[arg-type]
    assert held.wall_status == "held_back" and held.checked_by_id == staff.user.id
    assert writer.get(Report, entry.report_id).status == "pending"  # type: ignore[union-attr]  # still goes to moderation
    assert audit_actions(writer).count("workshop.entry_checked") == 2


def test_dots_go_only_on_wall_entries_while_voting_is_open_and_are_limited_per_person(writer: Session) -> None:
    area, staff, workshop = _room(writer, votes_per_person=2)
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    entries = [_entry(writer, area, who, description=f"The path by the canal is dark at stop {n}.") for n in range(3)]
    for entry in entries[:2]:
        workshops.check_entry(writer, staff, workshop, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(workshops.WorkshopError) as closed:
        workshops.toggle_vote(writer, who, entries[0].id, live=InProcessBroker())  # type: ignore[arg-type]
    assert closed.value.code == "voting_closed"
    workshops.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(workshops.WorkshopError) as unchecked:
        workshops.toggle_vote(writer, who, entries[2].id, live=InProcessBroker())  # type: ignore[arg-type]
    assert unchecked.value.code == "not_found"  # not on the wall yet
    assert workshops.toggle_vote(writer, who, entries[0].id, live=InProcessBroker()) is True  # type: ignore[arg-type]
    assert workshops.toggle_vote(writer, who, entries[1].id, live=InProcessBroker()) is True  # type: ignore[arg-type]
    workshops.check_entry(writer, staff, workshop, entries[2].id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(workshops.WorkshopError) as spent:
        workshops.toggle_vote(writer, who, entries[2].id, live=InProcessBroker())  # type: ignore[arg-type]
    assert spent.value.code == "no_dots_left"
    assert workshops.toggle_vote(writer, who, entries[0].id, live=InProcessBroker()) is False  # tapping again takes the dot back
    assert workshops.my_votes(writer, who.participant.id) == {entries[1].id}  # type: ignore[arg-type]
    assert workshops.vote_counts(writer, workshop.id) == {entries[1].id: 1}  # type: ignore[arg-type, attr-defined, dict-item]
    assert "workshop.voting_open" in audit_actions(writer)


def test_taking_an_entry_off_the_wall_takes_its_dots_too(writer: Session) -> None:
    area, staff, workshop = _room(writer)
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    entry = _entry(writer, area, who)
    workshops.check_entry(writer, staff, workshop, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    workshops.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    workshops.toggle_vote(writer, who, entry.id, live=InProcessBroker())  # type: ignore[arg-type]
    workshops.check_entry(writer, staff, workshop, entry.id, show=False, live=InProcessBroker())  # type: ignore[arg-type]
    assert workshops.vote_counts(writer, workshop.id) == {}  # type: ignore[arg-type, attr-defined]


def test_voting_cannot_reopen_once_the_workshop_has_ended(writer: Session) -> None:
    _area, staff, workshop = _room(writer)
    workshops.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    workshops.end_workshop(writer, staff, workshop, live=InProcessBroker())  # type: ignore[arg-type]
    assert workshop.voting == "closed"  # type: ignore[attr-defined]
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    assert refused.value.code == "ended"


def test_a_participant_may_take_back_only_their_own_entry(writer: Session) -> None:
    area, _staff, workshop = _room(writer)
    mine, _ = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    theirs, _ = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    entry = _entry(writer, area, mine)
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.withdraw_entry(writer, theirs, entry.id, live=InProcessBroker())  # type: ignore[arg-type]
    assert refused.value.code == "not_yours"
    report_id = entry.report_id
    assert workshops.withdraw_entry(writer, mine, entry.id, live=InProcessBroker()).kept is False  # type: ignore[arg-type]
    writer.expire_all()
    assert writer.get(WorkshopEntry, entry.id) is None and writer.get(Report, report_id) is None
