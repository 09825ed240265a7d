"""The wall: the facilitator's check that puts an entry on it, and the dots the room puts there.

Rules worth knowing:
- The wall is not publishing: it shows the words after the facilitator's check (suggested personal
  details taken out unless kept), to the room only. Every entry still goes to moderation.
- Dot-voting: each participant has the workshop's `votes_per_person` dots and may put at most one
  on any wall entry (so N dots mean N different priorities; tapping again takes the dot back).
  Results are live; once the facilitator closes voting, they are the area's context-weighting
  input (`workshop_votes_by_context`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.core.live import LiveBroker
from app.core.types import utcnow
from app.moderation.service import suggested_spans
from app.moderation.triage import Span, apply_redactions
from app.register.models import Context
from app.reports.models import Report, ReportStatus
from app.workshops.events import Participation, WorkshopError, commit_event
from app.workshops.models import (
    VotingStatus,
    WallStatus,
    Workshop,
    WorkshopEntry,
    WorkshopEventKind,
    WorkshopVote,
)

# --- The facilitator's check ----------------------------------------------------------------


@dataclass(frozen=True)
class WaitingEntry:
    entry: WorkshopEntry
    report: Report
    spans: list[tuple[int, Span]]  # suggested personal details in the words, numbered
    help_spans: list[tuple[int, Span]]


def waiting_entries(
    session: Session, workshop_id: int, *, entry_id: int | None = None
) -> list[WaitingEntry]:
    query = (
        select(WorkshopEntry, Report)
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .where(
            WorkshopEntry.workshop_id == workshop_id,
            WorkshopEntry.wall_status == WallStatus.WAITING,
        )
        .order_by(col(Report.urgent).desc(), col(WorkshopEntry.id))
    )
    if entry_id is not None:
        query = query.where(WorkshopEntry.id == entry_id)
    return [
        WaitingEntry(
            entry,
            report,
            list(enumerate(suggested_spans(report, "description"))),
            list(enumerate(suggested_spans(report, "what_would_help"))),
        )
        for entry, report in session.exec(query).all()
    ]


def wall_entries(
    session: Session, workshop_id: int, *, entry_ids: Sequence[int] | None = None
) -> list[WorkshopEntry]:
    query = select(WorkshopEntry).where(
        WorkshopEntry.workshop_id == workshop_id, WorkshopEntry.wall_status == WallStatus.ON_WALL
    )
    if entry_ids is not None:
        query = query.where(col(WorkshopEntry.id).in_(list(entry_ids)))
    return list(
        session.exec(query.order_by(col(WorkshopEntry.checked_at), col(WorkshopEntry.id))).all()
    )


def _wall_words(report: Report, keep: dict[str, set[int]]) -> str:
    """The words after the check: every suggested personal detail out unless the facilitator kept it."""
    parts = []
    for name in ("description", "what_would_help"):
        raw = getattr(report, name) or ""
        if not raw:
            continue
        spans = [
            span
            for index, span in enumerate(suggested_spans(report, name))
            if index not in keep.get(name, set())
        ]
        parts.append(apply_redactions(raw, spans))
    return "\n\n".join(parts)


def check_entry(
    session: Session,
    staff: StaffIdentity,
    workshop: Workshop,
    entry_id: int,
    *,
    show: bool,
    keep: dict[str, set[int]] | None = None,
    live: LiveBroker,
) -> WorkshopEntry:
    """The facilitator's one-click check: on the wall (suggested personal details taken out unless
    kept) or kept off it; an entry on the wall can be taken down again. Either way the entry still
    goes to moderation like any other report."""
    entry = session.get(WorkshopEntry, entry_id)
    if entry is None or entry.workshop_id != workshop.id:
        raise WorkshopError("not_found")
    report = session.get(Report, entry.report_id)
    if report is None:
        raise WorkshopError("not_found")
    was = entry.wall_status
    if show:
        if was != WallStatus.ON_WALL:
            entry.wall_text = _wall_words(report, keep or {})
        entry.wall_status = WallStatus.ON_WALL
    else:
        entry.wall_status = WallStatus.HELD_BACK
    if entry.wall_status == was:
        return entry
    entry.checked_by_id = staff.user.id
    entry.checked_at = utcnow()
    session.add(entry)
    if entry.wall_status == WallStatus.ON_WALL:
        kind = WorkshopEventKind.ENTRY_SHOWN
    elif was == WallStatus.ON_WALL:
        kind = WorkshopEventKind.ENTRY_REMOVED
        session.execute(delete(WorkshopVote).where(col(WorkshopVote.entry_id) == entry_id))
    else:
        kind = WorkshopEventKind.ENTRY_SHOWN if show else WorkshopEventKind.ENTRY_REMOVED
    commit_event(
        session,
        workshop,
        kind,
        entry.id,
        live=live,
        audit_action="workshop.entry_checked",
        actor_id=staff.user.id,
        entry_id=entry.id,
        wall_status=entry.wall_status,
    )
    return entry


# --- Dot-voting -----------------------------------------------------------------------------


def set_voting(
    session: Session,
    staff: StaffIdentity,
    workshop: Workshop,
    status: VotingStatus,
    *,
    live: LiveBroker,
) -> None:
    if workshop.voting == status:
        return
    if status == VotingStatus.OPEN and workshop.ended_at is not None:
        raise WorkshopError("ended")
    workshop.voting = status
    session.add(workshop)
    commit_event(
        session,
        workshop,
        WorkshopEventKind.VOTING_CHANGED,
        None,
        live=live,
        audit_action=f"workshop.voting_{status}",
        actor_id=staff.user.id,
    )


def vote_counts(session: Session, workshop_id: int) -> dict[int, int]:
    query = (
        select(WorkshopVote.entry_id, func.count())
        .where(WorkshopVote.workshop_id == workshop_id)
        .group_by(col(WorkshopVote.entry_id))
    )
    return {int(entry_id): int(count) for entry_id, count in session.exec(query).all()}


def my_votes(session: Session, participant_id: int) -> set[int]:
    return set(
        session.exec(
            select(WorkshopVote.entry_id).where(WorkshopVote.participant_id == participant_id)
        ).all()
    )


def toggle_vote(session: Session, who: Participation, entry_id: int, *, live: LiveBroker) -> bool:
    """Put a dot on a wall entry, or take it back if it is there. True when the dot is now on."""
    workshop, participant = who.workshop, who.participant
    assert workshop.id is not None and participant.id is not None
    if workshop.voting != VotingStatus.OPEN:
        raise WorkshopError("voting_closed")
    entry = session.get(WorkshopEntry, entry_id)
    if entry is None or entry.workshop_id != workshop.id or entry.wall_status != WallStatus.ON_WALL:
        raise WorkshopError("not_found")
    mine = session.exec(
        select(WorkshopVote).where(
            WorkshopVote.participant_id == participant.id, WorkshopVote.entry_id == entry_id
        )
    ).first()
    if mine is not None:
        session.delete(mine)
        commit_event(session, workshop, WorkshopEventKind.VOTES_CHANGED, entry_id, live=live)
        return False
    used = session.exec(
        select(func.count())
        .select_from(WorkshopVote)
        .where(WorkshopVote.participant_id == participant.id)
    ).one()
    if used >= workshop.votes_per_person:
        raise WorkshopError("no_dots_left")
    session.add(
        WorkshopVote(workshop_id=workshop.id, participant_id=participant.id, entry_id=entry_id)
    )
    try:
        session.flush()
    except IntegrityError:
        # A double tap raced itself: the dot is on once, which is what they meant.
        session.rollback()
        return True
    commit_event(session, workshop, WorkshopEventKind.VOTES_CHANGED, entry_id, live=live)
    return True


def workshop_votes_by_context(session: Session, area_id: int) -> dict[int, int]:
    """Dots from this area's finished votes, summed per register context: the context-weighting input.

    Only votes the facilitator has closed count (a running vote is not a result yet), and only on
    entries a moderator has published and linked to a context of the same area.
    """
    query = (
        select(Report.context_id, func.count())
        .select_from(WorkshopVote)
        .join(WorkshopEntry, col(WorkshopEntry.id) == col(WorkshopVote.entry_id))
        .join(Workshop, col(Workshop.id) == col(WorkshopVote.workshop_id))
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .join(Context, col(Context.id) == col(Report.context_id))
        .where(
            col(Workshop.area_id) == area_id,
            col(Workshop.voting) == VotingStatus.CLOSED,
            col(Report.status) == ReportStatus.PUBLISHED,
            col(Context.area_id) == area_id,
        )
        .group_by(col(Report.context_id))
    )
    return {
        int(context_id): int(count)
        for context_id, count in session.exec(query).all()
        if context_id is not None
    }
