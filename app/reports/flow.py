"""The public report, one question per screen.

There is no server-side draft: every step is a form whose hidden inputs carry the answers given so
far, so nothing a young person typed is stored before they press Send, a dropped connection loses
nothing on screen, and the same forms work as plain posts with JavaScript off or swapped in by htmx.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import h3
from pydantic import ValidationError
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from app.areas import service as areas
from app.areas.models import Area
from app.core.i18n import gettext as _
from app.register.models import Context, ContextKind
from app.reports.models import Report, ReportKind, ReportStatus
from app.reports.schemas import ReportCreate, error_messages

# The screens, in order. "me_too" is shown only when published contexts are near the chosen place.
STEPS: tuple[str, ...] = ("kind", "where", "me_too", "when", "what", "feel", "about", "check")
NUMBERED_STEPS: tuple[str, ...] = ("kind", "where", "when", "what", "feel", "about", "check")

# Which answers each screen asks for; answers from other screens travel as hidden inputs.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ("kind",),
    "where": ("place_id", "location_text", "lat", "lng", "place_query"),
    "me_too": ("me_too_context_id",),
    "when": ("time_bands", "days"),
    "what": ("categories", "description"),
    "feel": ("feeling", "what_would_help"),
    "about": ("reporter_role", "age_band", "group_name"),
    "check": (),
}
LIST_FIELDS = ("time_bands", "days", "categories")
ANSWER_FIELDS: tuple[str, ...] = tuple(f for step in STEPS for f in STEP_FIELDS[step] if f != "place_query")
# Where each validation error is shown: the screen that asked the question.
FIELD_STEP: dict[str, str] = {field: step for step in STEPS for field in STEP_FIELDS[step]} | {
    "where": "where",
    "submission_token": "check",
    "form": "check",
}
# Valid answers standing in for required questions not reached yet, so the one model that judges a
# whole report also judges a partly answered one; only errors from reached screens are reported.
_NOT_ASKED_YET: dict[str, Any] = {"kind": ReportKind.UNSAFE, "description": "not asked yet", "location_text": "not asked yet"}
NEARBY_RING = 1  # the chosen cell and its neighbours: a few streets either way
ME_TOO_LIMIT = 5


@dataclass(frozen=True)
class StepPosition:
    number: int
    total: int


def position(step: str) -> StepPosition:
    shown = "where" if step == "me_too" else step
    return StepPosition(NUMBERED_STEPS.index(shown) + 1, len(NUMBERED_STEPS))


def read_answers(form: Any) -> dict[str, Any]:
    """Answers from a posted form (a Starlette FormData), as the templates and the model expect them."""
    values: dict[str, Any] = {}
    for field in (*ANSWER_FIELDS, "place_query", "submission_token"):
        if field in LIST_FIELDS:
            values[field] = [v for v in form.getlist(field) if isinstance(v, str) and v]
        else:
            raw = form.get(field, "")
            values[field] = raw if isinstance(raw, str) else ""
    return values


def previous_step(step: str, has_me_too: bool) -> str:
    index = STEPS.index(step)
    candidate = STEPS[max(index - 1, 0)]
    if candidate == "me_too" and not has_me_too:
        candidate = "where"
    return candidate


def next_step(step: str, has_me_too: bool) -> str:
    index = STEPS.index(step)
    candidate = STEPS[min(index + 1, len(STEPS) - 1)]
    if candidate == "me_too" and not has_me_too:
        candidate = "when"
    return candidate


def validate_upto(values: dict[str, Any], step: str) -> dict[str, str]:
    """Errors for the questions on `step` and every screen before it; later ones are not judged yet."""
    reached = set(STEPS[: STEPS.index(step) + 1])
    data = {k: v for k, v in values.items() if k != "place_query"}
    for field, stand_in in _NOT_ASKED_YET.items():
        if FIELD_STEP[field] not in reached:
            data[field] = stand_in
    if "where" not in reached:
        data["place_id"] = ""
    data["submission_token"] = values.get("submission_token") or "x" * 24
    try:
        ReportCreate.model_validate(data)
    except ValidationError as exc:
        return {field: message for field, message in error_messages(exc).items() if FIELD_STEP.get(field, "check") in reached}
    return {}


def first_step_with_errors(errors: dict[str, str]) -> str:
    steps = [FIELD_STEP.get(field, "check") for field in errors]
    return min(steps, key=STEPS.index) if steps else "check"


def check_where(session: Session, area: Area, values: dict[str, Any]) -> dict[str, str]:
    """What only the database can judge about the place: that it is this area's, and inside it."""
    assert area.id is not None
    if values.get("place_id"):
        try:
            place_id = int(values["place_id"])
        except ValueError:
            place_id = 0
        if areas.get_place(session, area.id, place_id) is None:
            return {"where": _("Please choose a place from the list, or describe it in words.")}
    if values.get("lat") and values.get("lng"):
        try:
            inside = area.contains(float(values["lat"]), float(values["lng"]))
        except ValueError:
            inside = False
        if not inside:
            return {"where": _("That point is outside %(area)s. Please choose somewhere inside the area, or describe it in words.", area=area.name)}
    return {}


def chosen_cell(session: Session, area: Area, values: dict[str, Any]) -> str | None:
    """The coarse H3 cell of the chosen place or point: all that anything beyond the raw entry sees."""
    assert area.id is not None
    try:
        if values.get("lat") and values.get("lng"):
            return h3.latlng_to_cell(float(values["lat"]), float(values["lng"]), area.h3_resolution)
        if values.get("place_id"):
            place = areas.get_place(session, area.id, int(values["place_id"]))
            if place is not None:
                return h3.latlng_to_cell(place.lat, place.lng, area.h3_resolution)
    except ValueError:
        return None
    return None


def nearby_contexts(session: Session, area: Area, values: dict[str, Any]) -> Sequence[Context]:
    """Published contexts at or near the chosen place, offered as "me too".

    Only contexts that already have a published entry are offered, and only by name: nothing a
    person wrote, and no counts, so the offer itself tells nobody anything new.
    """
    assert area.id is not None
    cell = chosen_cell(session, area, values)
    place_id = int(values["place_id"]) if str(values.get("place_id", "")).isdigit() else None
    if cell is None and place_id is None:
        return []
    near = [] if cell is None else list(h3.grid_disk(cell, NEARBY_RING))
    published = (
        select(Report.context_id)
        .where(col(Report.area_id) == area.id, col(Report.status) == ReportStatus.PUBLISHED, col(Report.context_id).is_not(None))
        .group_by(col(Report.context_id))
        .having(func.count() > 0)
    )
    location: ColumnElement[bool] = col(Context.h3_cell).in_(near) if near else col(Context.id).is_(None)
    if place_id is not None:
        location = location | (col(Context.place_id) == place_id)
    query = select(Context).where(
        col(Context.area_id) == area.id,
        col(Context.kind) != ContextKind.ONLINE,
        col(Context.id).in_(published),
        location,
    )
    candidates = session.exec(query.limit(50)).all()

    def closeness(context: Context) -> tuple[int, int, str]:
        # The same named place first, then the same cell, then the ring around it.
        same_place = 0 if place_id is not None and context.place_id == place_id else 1
        steps = h3.grid_distance(cell, context.h3_cell) if cell and context.h3_cell else NEARBY_RING + 1
        return same_place, steps, context.name

    return sorted(candidates, key=closeness)[:ME_TOO_LIMIT]


def me_too_choice(values: dict[str, Any], offered: Sequence[Context]) -> int | None:
    """The context the reporter said "me too" to, if it is really one we offered them."""
    raw = str(values.get("me_too_context_id", ""))
    if not raw.isdigit():
        return None
    return int(raw) if int(raw) in {c.id for c in offered} else None
