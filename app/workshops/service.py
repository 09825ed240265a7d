"""Running a co-design workshop: the workshop itself (its join code, making, finding and ending it)
and the participant sessions of the phones that join it.

Rules worth knowing:
- A join code is six characters from an alphabet with no 0/O or 1/I/L, so it reads well off a
  projector; it works until the facilitator ends the workshop or SAFETYMAP_WORKSHOP_CODE_HOURS pass.
- A participant session is a random token in a cookie; only its hash is kept. It ends with the
  code, when the workshop ends, or when the person leaves.

The rest of a workshop's rules live beside this module, one job each: entries.py (a participant's
entries), wall.py (the facilitator's check and dot-voting), wording.py (wording questions to the
room), walks.py (safety walks), summary.py (the outcome and its CSV) and events.py (the numbered
events every live wall follows).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.areas.lookup import GazetteerPlace, load_area_data
from app.areas.models import Area
from app.audit import service as audit
from app.core.live import LiveBroker
from app.core.types import utcnow
from app.reports.models import ReportKind
from app.workshops import walks
from app.workshops.events import Participation, WorkshopError, commit_event
from app.workshops.models import (
    VotingStatus,
    Workshop,
    WorkshopEventKind,
    WorkshopMode,
    WorkshopParticipant,
)
from app.workshops.schemas import WorkshopCreate

# Other domains reach these through this module (app.taxonomy adopts the room's words, app.register
# weighs contexts by the room's dots); they live in wording.py and wall.py.
from app.workshops.wall import workshop_votes_by_context
from app.workshops.wording import (
    adopt_wording,
    adoptable,
    answer_wording,
    ask_wording,
    close_wording,
    wording_results,
)

__all__ = [
    "JOIN_ALPHABET",
    "JOIN_CODE_LENGTH",
    "Participation",
    "Workshop",
    "WorkshopError",
    "adopt_wording",
    "adoptable",
    "answer_wording",
    "ask_wording",
    "close_wording",
    "create_workshop",
    "end_workshop",
    "find_joinable",
    "get_for_area",
    "join",
    "leave",
    "new_join_code",
    "normalise_join_code",
    "resume",
    "token_hash",
    "wording_results",
    "workshop_votes_by_context",
    "workshops_for_area",
]

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a room reads the code off a projector and types it on phones.
JOIN_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6


# --- Workshops ------------------------------------------------------------------------------


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:20]


def create_workshop(
    session: Session,
    area: Area,
    staff: StaffIdentity,
    data: WorkshopCreate,
    *,
    code_hours: int,
    route: Sequence[tuple[str, GazetteerPlace | None]] = (),
) -> Workshop:
    """A new workshop with its join code; a safety walk with its `route` (see walks.parse_route)."""
    assert area.id is not None
    language = data.language if data.language in area.locale_list else area.default_locale
    walk = data.mode == WorkshopMode.SAFETY_WALK
    if walk and not route:
        raise WorkshopError("no_route")
    for _attempt in range(10):
        workshop = Workshop(
            area_id=area.id,
            title=data.title,
            held_on=data.held_on,
            language=language,
            # A note on a walk is safe, unsafe or needs changing by how the stop felt: all are asked.
            kinds=",".join(k.value for k in ReportKind) if walk else ",".join(data.kinds),
            mode=data.mode,
            prompts=data.prompts,
            votes_per_person=data.votes_per_person,
            join_code=new_join_code(),
            code_expires_at=utcnow() + timedelta(hours=code_hours),
            created_by_id=staff.user.id,
        )
        session.add(workshop)
        try:
            session.flush()
        except IntegrityError:
            # The same code is live already (one in 244 million): draw another.
            session.rollback()
            continue
        if walk:
            walks.add_route(session, workshop, route)
        audit.record(
            session,
            "workshop.created",
            area_id=area.id,
            actor_id=staff.user.id,
            subject_type="workshop",
            subject_id=workshop.id,
        )
        session.commit()
        return workshop
    raise WorkshopError("no_code")


def workshops_for_area(session: Session, area_id: int) -> Sequence[Workshop]:
    query = (
        select(Workshop)
        .where(Workshop.area_id == area_id)
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
    )
    return session.exec(query.limit(100)).all()


def get_for_area(session: Session, area_id: int, workshop_id: int) -> Workshop | None:
    workshop = session.get(Workshop, workshop_id)
    return workshop if workshop is not None and workshop.area_id == area_id else None


def end_workshop(
    session: Session, staff: StaffIdentity, workshop: Workshop, *, live: LiveBroker
) -> None:
    """The code stops working and every participant session ends; entries carry on to moderation.

    A safety walk's rated stops then become one entry each (walks.finish_walk, safe to run again).
    """
    if workshop.ended_at is None:
        now = utcnow()
        workshop.ended_at = now
        if workshop.voting == VotingStatus.OPEN:
            workshop.voting = VotingStatus.CLOSED
        session.add(workshop)
        session.execute(
            update(WorkshopParticipant)
            .where(
                col(WorkshopParticipant.workshop_id) == workshop.id,
                col(WorkshopParticipant.expires_at) > now,
            )
            .values(expires_at=now)
        )
        commit_event(
            session,
            workshop,
            WorkshopEventKind.VOTING_CHANGED,
            None,
            live=live,
            audit_action="workshop.ended",
            actor_id=staff.user.id,
        )
    if workshop.is_safety_walk:
        walks.finish_walk(session, staff.area, workshop, known=load_area_data(session, staff.area))


# --- Participants ---------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_joinable(session: Session, area: Area, code: str) -> Workshop:
    """The workshop this code opens in this area, or WorkshopError("wrong_code" / "ended")."""
    code = normalise_join_code(code)
    if len(code) != JOIN_CODE_LENGTH:
        raise WorkshopError("wrong_code")
    workshop = session.exec(
        select(Workshop).where(Workshop.join_code == code, Workshop.area_id == area.id)
    ).first()
    if workshop is None:
        raise WorkshopError("wrong_code")
    if not workshop.is_joinable(utcnow()):
        raise WorkshopError("ended")
    return workshop


def join(
    session: Session, area: Area, code: str, *, session_minutes: int
) -> tuple[Participation, str]:
    """A new participant session for this code; returns it and the token for the cookie."""
    workshop = find_joinable(session, area, code)
    assert workshop.id is not None
    token = secrets.token_urlsafe(16)  # 128 bits
    expires = min(utcnow() + timedelta(minutes=session_minutes), workshop.code_expires_at)
    participant = WorkshopParticipant(
        workshop_id=workshop.id, token_hash=token_hash(token), expires_at=expires
    )
    session.add(participant)
    session.commit()
    return Participation(participant, workshop), token


def resume(session: Session, token: str | None) -> Participation | None:
    """The participant session for a cookie's token, while it lasts and its workshop is running."""
    if not token:
        return None
    participant = session.exec(
        select(WorkshopParticipant).where(WorkshopParticipant.token_hash == token_hash(token))
    ).first()
    if participant is None or participant.expires_at <= utcnow():
        return None
    workshop = session.get(Workshop, participant.workshop_id)
    if workshop is None or workshop.ended_at is not None:
        return None
    return Participation(participant, workshop)


def leave(session: Session, token: str | None) -> None:
    who = resume(session, token)
    if who is not None:
        who.participant.expires_at = utcnow()
        session.add(who.participant)
        session.commit()
