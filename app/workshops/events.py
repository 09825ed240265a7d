"""What every part of a running workshop shares: its error, a participant in the room, and the
numbered events that keep every wall and phone in step.

Every change the room can see is a numbered `WorkshopEvent`, written in the same transaction as the
change, so live walls can resume from any number (see live.py and stream.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.db import Database
from app.core.live import LiveBroker
from app.workshops.models import Workshop, WorkshopEvent, WorkshopEventKind, WorkshopParticipant


class WorkshopError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Participation:
    """A phone in the room: its participant session and the workshop it joined (service.resume)."""

    participant: WorkshopParticipant
    workshop: Workshop


def record_event(
    session: Session, workshop_id: int, kind: WorkshopEventKind, subject_id: int | None
) -> int:
    """Number the event under the workshop row's lock, so numbers follow commit order."""
    seq = session.execute(
        update(Workshop)
        .where(col(Workshop.id) == workshop_id)
        .values(event_seq=col(Workshop.event_seq) + 1)
        .returning(col(Workshop.event_seq))
    ).scalar_one()
    session.add(WorkshopEvent(workshop_id=workshop_id, seq=seq, kind=kind, subject_id=subject_id))
    return int(seq)


def commit_event(
    session: Session,
    workshop: Workshop,
    kind: WorkshopEventKind,
    subject_id: int | None,
    *,
    live: LiveBroker,
    audit_action: str = "",
    actor_id: int | None = None,
    **detail: object,
) -> int:
    """Number the event, commit it with the change it records, then ring the live streams."""
    assert workshop.id is not None
    if audit_action:
        audit.record(
            session,
            audit_action,
            area_id=workshop.area_id,
            actor_id=actor_id,
            subject_type="workshop",
            subject_id=workshop.id,
            **detail,
        )
    # Last in the transaction: the row lock is held only for the commit.
    seq = record_event(session, workshop.id, kind, subject_id)
    session.commit()
    live.publish(workshop.id, seq)
    return seq


def events_after(
    session: Session, workshop_id: int, after: int, *, limit: int = 200
) -> Sequence[WorkshopEvent]:
    query = (
        select(WorkshopEvent)
        .where(WorkshopEvent.workshop_id == workshop_id, col(WorkshopEvent.seq) > after)
        .order_by(col(WorkshopEvent.seq))
        .limit(limit)
    )
    return session.exec(query).all()


def events_loader(db: Database) -> Callable[[int, int], list[WorkshopEvent]]:
    """What a live stream reads on each notice: the events after the last one sent, in a short read."""

    def load(workshop_id: int, last: int) -> list[WorkshopEvent]:
        with db.read() as session:
            return list(events_after(session, workshop_id, last))

    return load
