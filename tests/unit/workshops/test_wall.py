"""The wall, called directly: the facilitator's check (personal details out unless kept), and
dot-voting (its limits, who may vote when, and what a finished vote gives the register)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.core.live import InProcessBroker
from app.reports.models import Report
from app.workshops import entries, wall
from app.workshops import service as workshops
from app.workshops.events import Participation, WorkshopError
from app.workshops.models import VotingStatus, WorkshopEntry
from tests import support_services
from tests.factories import make_area, make_context, make_workshop, report_data
from tests.support_services import audit_actions, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _room(session: Session, **overrides: object) -> tuple[object, workshops.StaffIdentity, object, Participation]:
    area = make_area(session)
    staff = identity(session, area, "facilitator")
    workshop = make_workshop(session, area, staff.user, **overrides)
    who, _token = workshops.join(session, area, workshop.join_code, session_minutes=60)
    return area, staff, workshop, who


def _entry(session: Session, area: object, who: Participation, **overrides: object) -> WorkshopEntry:
    return entries.add_entry(session, area, who, report_data(**overrides), language="en", live=InProcessBroker())  # type: ignore[arg-type]


def test_the_wall_shows_an_entry_without_its_personal_details_unless_the_facilitator_keeps_them(writer: Session) -> None:
    area, staff, workshop, who = _room(writer)
    entry = _entry(writer, area, who, description="Ring 07700 900123 if you see them by the bins.")
    assert [e.entry.id for e in wall.waiting_entries(writer, workshop.id)] == [entry.id]  # type: ignore[arg-type, attr-defined]
    shown = wall.check_entry(writer, staff, workshop, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    assert shown.wall_status == "on_wall" and "07700" not in shown.wall_text and "by the bins" in shown.wall_text
    assert [e.id for e in wall.wall_entries(writer, workshop.id)] == [entry.id]  # type: ignore[arg-type, attr-defined]
    assert wall.waiting_entries(writer, workshop.id) == []  # type: ignore[arg-type, attr-defined]
    held = wall.check_entry(writer, staff, workshop, entry.id, show=False, live=InProcessBroker())  # type: ignore[arg-type]
    assert held.wall_status == "held_back" and held.checked_by_id == staff.user.id
    assert writer.get(Report, entry.report_id).status == "pending"  # type: ignore[union-attr]  # still goes to moderation
    assert audit_actions(writer).count("workshop.entry_checked") == 2


def test_a_personal_detail_the_facilitator_keeps_stays_on_the_wall(writer: Session) -> None:
    area, staff, workshop, who = _room(writer)
    entry = _entry(writer, area, who, description="Ring 07700 900123 if you see them by the bins.")
    [waiting] = wall.waiting_entries(writer, workshop.id)  # type: ignore[arg-type, attr-defined]
    numbers = {index for index, _span in waiting.spans}
    shown = wall.check_entry(writer, staff, workshop, entry.id, show=True, keep={"description": numbers}, live=InProcessBroker())  # type: ignore[arg-type]
    assert "07700 900123" in shown.wall_text


def test_an_entry_of_another_workshop_cannot_be_checked(writer: Session) -> None:
    area, staff, _workshop, who = _room(writer)
    entry = _entry(writer, area, who)
    other = make_workshop(writer, area, staff.user, title="Another room")  # type: ignore[arg-type]
    with pytest.raises(WorkshopError) as refused:
        wall.check_entry(writer, staff, other, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    assert refused.value.code == "not_found"
    assert writer.get(WorkshopEntry, entry.id).wall_status == "waiting"  # type: ignore[union-attr]


def test_dots_go_only_on_wall_entries_while_voting_is_open_and_are_limited_per_person(writer: Session) -> None:
    area, staff, workshop, who = _room(writer, votes_per_person=2)
    made = [_entry(writer, area, who, description=f"The path by the canal is dark at stop {n}.") for n in range(3)]
    for entry in made[:2]:
        wall.check_entry(writer, staff, workshop, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(WorkshopError) as closed:
        wall.toggle_vote(writer, who, made[0].id, live=InProcessBroker())  # type: ignore[arg-type]
    assert closed.value.code == "voting_closed"
    wall.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(WorkshopError) as unchecked:
        wall.toggle_vote(writer, who, made[2].id, live=InProcessBroker())  # type: ignore[arg-type]
    assert unchecked.value.code == "not_found"  # not on the wall yet
    assert wall.toggle_vote(writer, who, made[0].id, live=InProcessBroker()) is True  # type: ignore[arg-type]
    assert wall.toggle_vote(writer, who, made[1].id, live=InProcessBroker()) is True  # type: ignore[arg-type]
    wall.check_entry(writer, staff, workshop, made[2].id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(WorkshopError) as spent:
        wall.toggle_vote(writer, who, made[2].id, live=InProcessBroker())  # type: ignore[arg-type]
    assert spent.value.code == "no_dots_left"
    assert wall.toggle_vote(writer, who, made[0].id, live=InProcessBroker()) is False  # tapping again takes the dot back
    assert wall.my_votes(writer, who.participant.id) == {made[1].id}  # type: ignore[arg-type]
    assert wall.vote_counts(writer, workshop.id) == {made[1].id: 1}  # type: ignore[arg-type, attr-defined, dict-item]
    assert "workshop.voting_open" in audit_actions(writer)


def test_taking_an_entry_off_the_wall_takes_its_dots_too(writer: Session) -> None:
    area, staff, workshop, who = _room(writer)
    entry = _entry(writer, area, who)
    wall.check_entry(writer, staff, workshop, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    wall.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    wall.toggle_vote(writer, who, entry.id, live=InProcessBroker())  # type: ignore[arg-type]
    wall.check_entry(writer, staff, workshop, entry.id, show=False, live=InProcessBroker())  # type: ignore[arg-type]
    assert wall.vote_counts(writer, workshop.id) == {}  # type: ignore[arg-type, attr-defined]


def test_voting_cannot_reopen_once_the_workshop_has_ended(writer: Session) -> None:
    _area, staff, workshop, _who = _room(writer)
    wall.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    workshops.end_workshop(writer, staff, workshop, live=InProcessBroker())  # type: ignore[arg-type]
    assert workshop.voting == "closed"  # type: ignore[attr-defined]
    with pytest.raises(WorkshopError) as refused:
        wall.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    assert refused.value.code == "ended"


def test_only_a_closed_vote_on_published_entries_weighs_their_contexts(writer: Session) -> None:
    area, staff, workshop, who = _room(writer)
    entry = _entry(writer, area, who)
    wall.check_entry(writer, staff, workshop, entry.id, show=True, live=InProcessBroker())  # type: ignore[arg-type]
    wall.set_voting(writer, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    wall.toggle_vote(writer, who, entry.id, live=InProcessBroker())  # type: ignore[arg-type]
    context = make_context(writer, area)  # type: ignore[arg-type]
    report = writer.get(Report, entry.report_id)
    assert report is not None
    report.status, report.context_id = "published", context.id
    writer.add(report)
    writer.commit()
    assert wall.workshop_votes_by_context(writer, area.id) == {}  # type: ignore[attr-defined]  # still voting
    wall.set_voting(writer, staff, workshop, VotingStatus.CLOSED, live=InProcessBroker())  # type: ignore[arg-type]
    assert wall.workshop_votes_by_context(writer, area.id) == {context.id: 1}  # type: ignore[attr-defined]
    assert wall.workshop_votes_by_context(writer, make_area(writer, "other-town").id) == {}  # type: ignore[arg-type]
