"""What a participant's phone shows of the room: the wall to vote on, and a safety walk's stop.

One place builds these, for the page and for the live stream that updates it (stream.py), so a
pushed board or stop is exactly the one a reload would show.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.reports import service as reports
from app.workshops import walks, wall
from app.workshops.models import VotingStatus, Workshop, WorkshopParticipant


def board_context(
    session: Session, workshop: Workshop, participant: WorkshopParticipant
) -> dict[str, Any]:
    assert workshop.id is not None and participant.id is not None
    shown = (
        wall.wall_entries(session, workshop.id)
        if workshop.voting != VotingStatus.NOT_STARTED
        else []
    )
    mine = wall.my_votes(session, participant.id)
    return {
        "wall": shown,
        "counts": wall.vote_counts(session, workshop.id) if shown else {},
        "my_votes": mine,
        "dots_left": workshop.votes_per_person - len(mine),
        "voting_open": workshop.voting == VotingStatus.OPEN and workshop.ended_at is None,
    }


def walk_context(
    session: Session,
    workshop: Workshop,
    participant: WorkshopParticipant,
    *,
    min_count: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    rated: bool = False,
) -> dict[str, Any]:
    """The walk as this phone sees it: the stop the group is at, this phone's ratings of it, and the
    earlier stops' results, each hidden until it has at least `min_count` ratings (the area's k)."""
    if not workshop.is_safety_walk:
        return {"walk": None}
    assert workshop.id is not None and participant.id is not None
    stop = walks.current_stop(session, workshop)
    stops = walks.stops_of(session, workshop.id)
    mine = (
        walks.my_rating(session, stop.id, participant.id)
        if stop is not None and stop.id is not None
        else None
    )
    if values is None:
        values = (
            {name: str(getattr(mine, name) or "") for name in walks.PARAMETER_NAMES} if mine else {}
        )
        values["submission_token"] = reports.new_submission_token()
    earlier = [
        s
        for s in walks.route_summary(session, workshop, min_count=min_count)
        if s.stop.position < workshop.walk_position
    ]
    return {
        "walk": {
            "stop": stop,
            "total": len(stops),
            "rated": rated or mine is not None,
            "ratings": walks.rating_count(session, stop.id)
            if stop is not None and stop.id is not None
            else 0,
            "answers": values,
            "errors": errors or {},
            "earlier": earlier,
            "min_count": min_count,
        },
        "parameters": walks.PARAMETERS,
    }
