"""What a live wall or facilitator console receives for a batch of workshop events: htmx partials.

Each batch becomes one server-sent event whose data is a set of `<hx-partial>` elements, each naming
its own target, so one message can add a card, remove another and update every dot count. Cards are
rendered from the database as it is now; a later event in the stream corrects anything that moved on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.areas.models import Area
from app.core import i18n
from app.core.db import Database
from app.core.templating import environment
from app.core.types import utcnow
from app.moderation.highlight import highlighted
from app.moderation.triage import KIND_LABELS as PII_LABELS
from app.reports.taxonomy import KIND_LABELS
from app.taxonomy.defaults import QUESTION_NAMES
from app.workshops import phone, walks, wall, wording
from app.workshops.models import Workshop, WorkshopEvent, WorkshopEventKind, WorkshopParticipant

WALL = "wall"
CONSOLE = "console"
VIEWS = (WALL, CONSOLE)


@dataclass(frozen=True)
class Step:
    """One change to the page, in event order."""

    action: str  # "add" | "remove" | "add_waiting" | "remove_waiting"
    entry_id: int


def plan(events: Sequence[WorkshopEvent]) -> tuple[list[Step], bool, bool]:
    steps: list[Step] = []
    votes = questions = False
    for event in events:
        if event.kind in {WorkshopEventKind.STOP_CHANGED, WorkshopEventKind.RATINGS_CHANGED}:
            continue  # a walk's own partial (see walk_changed)
        subject = event.subject_id or 0
        if event.kind == WorkshopEventKind.ENTRY_ADDED:
            steps.append(Step("add_waiting", subject))
        elif event.kind == WorkshopEventKind.ENTRY_SHOWN:
            steps += [Step("remove_waiting", subject), Step("add", subject)]
            votes = True
        elif event.kind == WorkshopEventKind.ENTRY_REMOVED:
            steps += [Step("remove_waiting", subject), Step("remove", subject)]
            votes = True
        elif event.kind in {WorkshopEventKind.VOTES_CHANGED, WorkshopEventKind.VOTING_CHANGED}:
            votes = True
        elif event.kind == WorkshopEventKind.QUESTION_CHANGED:
            questions = True
    return steps, votes, questions


def render_batch(
    db: Database,
    workshop_id: int,
    events: Sequence[WorkshopEvent],
    *,
    view: str,
    locale: str,
    csrf_token: str,
) -> str:
    i18n.set_locale(locale)
    steps, votes, questions = plan(events)
    with db.read() as session:
        workshop = session.get(Workshop, workshop_id)
        if workshop is None:
            return ""
        context = _context(session, workshop, steps, votes=votes, questions=questions, view=view)
        if workshop.is_safety_walk and walk_changed(events):
            context["walk_progress"] = walks.progress(session, workshop)
    context.update(view=view, csrf_token=csrf_token, locale=locale)
    return environment.get_template("workshops/_stream.html").render(context)


def walk_changed(events: Sequence[WorkshopEvent]) -> bool:
    kinds = {
        WorkshopEventKind.STOP_CHANGED,
        WorkshopEventKind.RATINGS_CHANGED,
        WorkshopEventKind.VOTING_CHANGED,
    }
    return any(event.kind in kinds for event in events)


def _context(
    session: Session,
    workshop: Workshop,
    steps: list[Step],
    *,
    votes: bool,
    questions: bool,
    view: str,
) -> dict[str, Any]:
    assert workshop.id is not None
    shown_ids = [s.entry_id for s in steps if s.action == "add"]
    waiting_ids = [s.entry_id for s in steps if s.action == "add_waiting"]
    on_wall = (
        {e.id: e for e in wall.wall_entries(session, workshop.id, entry_ids=shown_ids)}
        if shown_ids
        else {}
    )
    waiting: dict[int | None, wall.WaitingEntry] = {}
    if view == CONSOLE:
        for entry_id in waiting_ids:
            for item in wall.waiting_entries(session, workshop.id, entry_id=entry_id):
                waiting[item.entry.id] = item
    counts = wall.vote_counts(session, workshop.id) if votes else {}
    return {
        "workshop": workshop,
        "steps": steps,
        "on_wall": on_wall,
        "waiting": waiting,
        "votes_changed": votes,
        "counts": counts,
        "wall_ids": [e.id for e in wall.wall_entries(session, workshop.id)] if votes else [],
        "questions": wording.wording_results(session, wording.questions_of(session, workshop.id))
        if questions
        else None,
        "kind_labels": KIND_LABELS,
        "pii_labels": PII_LABELS,
        "highlighted": highlighted,
        "question_names": QUESTION_NAMES,
        "walk_progress": None,
    }


# --- A participant's phone -------------------------------------------------------------------

BOARD_EVENTS = {
    WorkshopEventKind.ENTRY_SHOWN,
    WorkshopEventKind.ENTRY_REMOVED,
    WorkshopEventKind.VOTES_CHANGED,
    WorkshopEventKind.VOTING_CHANGED,
}
WALK_EVENTS = {
    WorkshopEventKind.STOP_CHANGED,
    WorkshopEventKind.VOTING_CHANGED,
}  # VOTING_CHANGED: also the end


def render_phone_batch(
    db: Database,
    workshop_id: int,
    participant_id: int,
    events: Sequence[WorkshopEvent],
    *,
    locale: str,
    csrf_token: str,
) -> str:
    """The phone's board (its own dots and buttons) and a walk's stop, for what these events changed.

    Nothing once the phone's session has ended: a stream left open on a shared phone shows no more.
    """
    kinds = {event.kind for event in events}
    board = bool(kinds & BOARD_EVENTS)
    stop = bool(kinds & WALK_EVENTS)
    ratings = WorkshopEventKind.RATINGS_CHANGED in kinds
    if not (board or stop or ratings):
        return ""
    i18n.set_locale(locale)
    with db.read() as session:
        workshop = session.get(Workshop, workshop_id)
        participant = session.get(WorkshopParticipant, participant_id)
        if workshop is None or participant is None or participant.expires_at <= utcnow():
            return ""
        area = session.get(Area, workshop.area_id)
        assert area is not None
        context: dict[str, Any] = {
            "workshop": workshop,
            "board": board,
            "stop_changed": stop,
            "ratings_changed": ratings,
        }
        if board:
            context |= phone.board_context(session, workshop, participant)
        if (stop or ratings) and workshop.is_safety_walk:
            context |= phone.walk_context(
                session, workshop, participant, min_count=area.min_cell_count
            )
        else:
            context |= {"walk": None}
    context.update(csrf_token=csrf_token, locale=locale)
    return environment.get_template("workshops/_phone_stream.html").render(context)
