"""Where an entry is about, in words a moderator reads, and the contexts it may be filed under."""

from __future__ import annotations

from dataclasses import dataclass

import h3
from sqlmodel import Session, col, select

from app.areas.models import Place
from app.areas.service import places as area_places
from app.register import service as register
from app.register.models import Context
from app.reports.models import Report

# --- Where the reporter said ------------------------------------------------------------------

# A named place further than this from a map pin is not "near" it.
NEAR_METRES = 1500.0


@dataclass(frozen=True)
class Where:
    """Where an entry is about, in words a moderator reads: never a bare map cell."""

    place_name: str | None  # the gazetteer place the reporter chose
    words: str  # what the reporter typed about the place
    near: str | None  # the nearest named place, when only a map point is known
    cell: str | None  # the coarse H3 cell, a technical detail
    on_map: bool  # the reporter put a point on the map


def _cell_centre(cell: str | None) -> tuple[float, float] | None:
    if not cell:
        return None
    try:
        lat, lng = h3.cell_to_latlng(cell)
    except (ValueError, h3.H3BaseException):
        return None
    return float(lat), float(lng)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(h3.great_circle_distance(a, b, unit="m"))


def _places(session: Session, area_id: int) -> dict[int, Place]:
    return {place.id: place for place in area_places(session, area_id) if place.id is not None}


def describe_where(session: Session, report: Report) -> Where:
    place = session.get(Place, report.place_id) if report.place_id is not None else None
    if place is not None and place.area_id != report.area_id:
        place = None
    near: str | None = None
    # Coarse on purpose: the cell's centre, not the reporter's own point.
    point = _cell_centre(report.h3_cell)
    if place is None and point is not None:
        distances = sorted((_metres(point, (p.lat, p.lng)), p.name) for p in _places(session, report.area_id).values())
        if distances and distances[0][0] <= NEAR_METRES:
            near = distances[0][1]
    return Where(
        place_name=place.name if place else None,
        words=report.location_text.strip(),
        near=near,
        cell=report.h3_cell,
        on_map=report.lat is not None and report.lng is not None,
    )


# --- Linking to a context ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContextChoice:
    context: Context
    me_too: bool  # the reporter said "me too" to it
    same_place: bool  # at the place, or in the map cell, the reporter chose
    metres: float | None  # how far it is from where the reporter said, when both are known


@dataclass(frozen=True)
class ContextChoices:
    choices: list[ContextChoice]
    selected_id: int | None  # the one to pre-select: "me too", else the one at the same place
    query: str  # the words searched for, as typed
    more: int  # how many more match than are shown


def context_choices(session: Session, report: Report, *, query: str = "", limit: int = 8) -> ContextChoices:
    """The area's contexts for this entry, most likely first: the one the reporter said "me too"
    to, those at the same place or in the same map cell, those named like the place, then the rest
    nearest first (by the place's or the cell's position), then those with no position by recent
    activity. `query` keeps only those whose name contains it; the pre-selected one always stays."""
    places = _places(session, report.area_id)
    contexts = session.exec(
        select(Context).where(Context.area_id == report.area_id, col(Context.merged_into_id).is_(None))
    ).all()
    chosen = report.reported_context_id
    if chosen is not None:
        # A context merged since the reporter chose it carries on as the one it was merged into.
        said = register.get_context(session, report.area_id, chosen)
        chosen = said.merged_into_id or said.id if said else None
    report_place = places.get(report.place_id) if report.place_id is not None else None
    here = (report_place.lat, report_place.lng) if report_place else _cell_centre(report.h3_cell)
    words = _place_words(session, report)

    def position(context: Context) -> tuple[float, float] | None:
        place = places.get(context.place_id) if context.place_id is not None else None
        return (place.lat, place.lng) if place else _cell_centre(context.h3_cell)

    choices: list[tuple[tuple[object, ...], ContextChoice]] = []
    for context in contexts:
        same_place = report.place_id is not None and context.place_id == report.place_id
        same_cell = report.h3_cell is not None and context.h3_cell == report.h3_cell
        there = position(context)
        metres = _metres(here, there) if here and there else None
        named = any(w in context.name.lower() for w in words)
        if context.id == chosen:
            group = 0
        elif same_place or same_cell:
            group = 1 if same_place else 2
        elif named:
            group = 3
        else:
            group = 4 if metres is not None else 5
        updated = -context.updated_at.timestamp()
        key = (group, metres if metres is not None else float("inf"), updated, context.id or 0)
        choice = ContextChoice(context, me_too=context.id == chosen, same_place=same_place or same_cell, metres=metres)
        choices.append((key, choice))
    ordered = [choice for _key, choice in sorted(choices, key=lambda item: item[0])]
    selected = next((c.context.id for c in ordered if c.me_too), None)
    if selected is None:
        selected = next((c.context.id for c in ordered if c.same_place), None)
    term = query.strip().casefold()[:80]
    if term:
        matching = [c for c in ordered if term in c.context.name.casefold() or c.context.id == selected]
    else:
        matching = ordered
    shown = matching[:limit]
    if selected is not None and all(c.context.id != selected for c in shown):
        shown = [next(c for c in matching if c.context.id == selected), *shown[: limit - 1]]
    return ContextChoices(shown, selected, query.strip()[:80], max(0, len(matching) - len(shown)))


def context_suggestions(session: Session, report: Report, *, limit: int = 8) -> list[Context]:
    """The contexts offered for this entry, most likely first (see `context_choices`)."""
    return [choice.context for choice in context_choices(session, report, limit=limit).choices]


_STOP_WORDS = {"the", "and", "near", "by", "on", "at", "in", "of", "behind", "outside", "opposite", "next", "to", "road", "street", "lane", "area", "around"}


def _place_words(session: Session, report: Report) -> list[str]:
    """Distinctive words from the chosen place's name or the reporter's own description of where."""
    text = report.location_text or ""
    if report.place_id is not None:
        place = session.get(Place, report.place_id)
        text = f"{place.name} {text}" if place else text
    words = [w.strip(".,;:'\"()").lower() for w in text.split()]
    return [w for w in dict.fromkeys(words) if len(w) > 3 and w not in _STOP_WORDS][:5]

