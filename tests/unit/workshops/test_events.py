"""The numbered events every live wall follows, called directly: numbers follow commits with no
gaps, a stream resumes from any number, and the live streams hear only what was committed."""

from __future__ import annotations

from sqlmodel import Session

from app.core.live import InProcessBroker
from app.workshops import events
from app.workshops.models import WorkshopEventKind
from tests import support_services
from tests.factories import make_area, make_workshop
from tests.support_services import audit_actions, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)


class Recorder(InProcessBroker):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[int, int]] = []

    def publish(self, workshop_id: int, seq: int) -> None:
        self.published.append((workshop_id, seq))
        super().publish(workshop_id, seq)


def test_events_are_numbered_in_commit_order_and_read_back_from_any_number(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "facilitator")
    workshop = make_workshop(writer, area, staff.user)
    broker = Recorder()
    seqs = [events.commit_event(writer, workshop, WorkshopEventKind.VOTES_CHANGED, n, live=broker) for n in range(1, 5)]
    assert seqs == [1, 2, 3, 4]
    assert broker.published == [(workshop.id, seq) for seq in seqs]
    assert [(e.seq, e.subject_id) for e in events.events_after(writer, workshop.id, 2)] == [(3, 3), (4, 4)]
    assert [e.seq for e in events.events_after(writer, workshop.id, 0, limit=2)] == [1, 2]
    writer.refresh(workshop)
    assert workshop.event_seq == 4


def test_an_event_can_carry_its_audit_row_in_the_same_commit(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "facilitator")
    workshop = make_workshop(writer, area, staff.user)
    events.commit_event(writer, workshop, WorkshopEventKind.VOTING_CHANGED, None, live=Recorder(), audit_action="workshop.voting_open", actor_id=staff.user.id)
    assert audit_actions(writer, subject_id=workshop.id)[-1] == "workshop.voting_open"


def test_a_workshops_numbers_are_its_own(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "facilitator")
    first, second = make_workshop(writer, area, staff.user), make_workshop(writer, area, staff.user, title="Second room")
    events.commit_event(writer, first, WorkshopEventKind.VOTES_CHANGED, None, live=Recorder())
    assert events.commit_event(writer, second, WorkshopEventKind.VOTES_CHANGED, None, live=Recorder()) == 1
    assert events.events_after(writer, second.id, 1) == []
