"""A participant's entry, one question per screen, as the public report asks it.

kind -> where -> what happened and how it felt -> the area's categories for the kind chosen ->
anything else -> check -> send. As in the public report (app.reports.flow) there is no draft on the
server: each screen's form carries the answers so far as hidden inputs, Back keeps every answer,
and the same forms work as plain posts without JavaScript or swapped in by htmx.

What is shared with the report is called, not copied: the posted answers are read by
`flow.read_answers`, a chosen place is judged by `flow.check_where`, the question wording comes
from the area's co-designed words for `flow.FORM_QUESTIONS`, and one model (`ReportCreate`) judges
every answer with the report's own messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.areas.lookup import AreaData
from app.core import i18n
from app.core.i18n import gettext as _
from app.reports import flow
from app.reports.schemas import ReportCreate, ReportStep, error_messages
from app.reports.taxonomy import FEELINGS, TIME_BANDS
from app.workshops.models import Workshop

STEPS: tuple[str, ...] = ("kind", "where", "what", "categories", "more", "check")
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ("kind",),
    "where": ("place_id", "location_text"),
    "what": ("description", "feeling"),
    "categories": ("categories",),
    "more": ("time_bands", "what_would_help"),
    "check": (),
}
ANSWER_FIELDS: tuple[str, ...] = tuple(name for step in STEPS for name in STEP_FIELDS[step])
LIST_FIELDS = tuple(name for name in flow.LIST_FIELDS if name in ANSWER_FIELDS)
# Where each error is shown: the screen that asked the question.
FIELD_STEP: dict[str, str] = {name: step for step in STEPS for name in STEP_FIELDS[step]} | {
    "where": "where",
    "submission_token": "check",
    "form": "check",
}
# Valid answers for required questions not reached yet, so the one model judges a partial entry.
_STAND_INS: dict[str, Any] = {
    "kind": "unsafe",
    "description": "not asked yet",
    "location_text": "not asked yet",
}


def steps_for(workshop: Workshop) -> tuple[str, ...]:
    """The screens this workshop asks: no "kind" screen when it asks about one kind only."""
    return STEPS[1:] if len(workshop.kind_list) == 1 else STEPS


def read(post: ReportStep, workshop: Workshop, known: AreaData) -> dict[str, Any]:
    """The answers so far, read as the report reads them, with the kind fixed when there is one."""
    return settle(flow.read_answers(post), workshop, known)


def settle(values: dict[str, Any], workshop: Workshop, known: AreaData) -> dict[str, Any]:
    """Only this workshop's kinds, and only categories the area offers for the kind chosen (a
    changed kind drops the last kind's choices rather than sending them under the wrong one)."""
    if len(workshop.kind_list) == 1:
        values["kind"] = workshop.kind_list[0]
    kind = values.get("kind") or ""
    offered = known.words.allowed_codes(kind) if kind in workshop.kind_list else set()
    values["categories"] = [code for code in values.get("categories") or [] if code in offered]
    return values


def step_errors(
    values: dict[str, Any], steps: tuple[str, ...], upto: str, workshop: Workshop, known: AreaData
) -> dict[str, str]:
    """Errors for the questions on `upto` and every screen before it; later ones are not judged yet."""
    reached = set(STEPS[: STEPS.index(upto) + 1]) | (set(STEPS) - set(steps))
    data: dict[str, Any] = {name: values.get(name) for name in ANSWER_FIELDS} | {
        "submission_token": values.get("submission_token") or "x" * 24
    }
    for name, stand_in in _STAND_INS.items():
        if FIELD_STEP[name] not in reached:
            data[name] = stand_in
    if "where" not in reached:
        data["place_id"] = ""
    errors: dict[str, str] = {}
    try:
        ReportCreate.model_validate(data)
    except ValidationError as exc:
        errors = {
            name: message
            for name, message in error_messages(exc).items()
            if FIELD_STEP.get(name, "check") in reached
        }
    if "kind" in reached and values.get("kind") not in workshop.kind_list:
        errors["kind"] = _("Please choose what you want to tell us about.")
    if "where" in reached and "where" not in errors:
        errors |= flow.check_where(known, values)
    return errors


def first_step_with_errors(errors: dict[str, str], steps: tuple[str, ...]) -> str:
    found = [FIELD_STEP.get(name, "check") for name in errors]
    found = [step for step in found if step in steps] or ["check"]
    return min(found, key=STEPS.index)


@dataclass(frozen=True)
class Move:
    """Where a post goes: the screen to show, with its errors, or "send"."""

    step: str
    errors: dict[str, str]
    send: bool = False


def next_move(
    post: ReportStep, values: dict[str, Any], workshop: Workshop, known: AreaData
) -> Move:
    """The step machine: `step` says which screen was posted, `go` where to next.

    A post without a step is a whole entry at once (older pages, scripts): it is judged and sent.
    """
    steps = steps_for(workshop)
    step = post.step if post.step in steps else (steps[-1] if post.step is None else steps[0])
    go = post.go or ("send" if post.step is None else "next")
    index = steps.index(step)
    if go == "back":
        return Move(steps[max(index - 1, 0)], {})
    if go.startswith("change:") and go[7:] in steps:
        return Move(go[7:], {})
    errors = step_errors(values, steps, "check" if go == "send" else step, workshop, known)
    if errors:
        return Move(first_step_with_errors(errors, steps), errors)
    if go == "send":
        return Move("check", {}, send=True)
    return Move(steps[min(index + 1, len(steps) - 1)], {})


def screen(
    known: AreaData, workshop: Workshop, step: str, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    """What one screen shows: the area's words for the kind chosen, in the reader's language."""
    locale = i18n.get_locale()
    words = known.words
    steps = steps_for(workshop)
    kind = values.get("kind") if values.get("kind") in workshop.kind_list else ""
    asked = kind or workshop.kind_list[0]
    place = (
        known.place(int(values["place_id"])) if str(values.get("place_id", "")).isdigit() else None
    )
    return {
        "step": step,
        "steps": steps,
        "number": steps.index(step) + 1,
        "total": len(steps),
        "values": values,
        "errors": errors,
        "carry": [name for name in ANSWER_FIELDS if name not in STEP_FIELDS[step]],
        "list_fields": LIST_FIELDS,
        "kinds": {code: words.wording(code, locale, "kind_label") for code in workshop.kind_list},
        "kind_hints": {
            code: words.wording(code, locale, "kind_hint") for code in workshop.kind_list
        },
        "kind_label": words.wording(kind, locale, "kind_label") if kind else "",
        "questions": words.wordings(asked, locale, flow.FORM_QUESTIONS),
        # The area's co-designed categories for the kind chosen (its own additions included).
        "categories": dict(words.categories(kind, locale)) if kind else {},
        "places": [(p.id, p.name) for p in known.places],
        "chosen_place": place,
        "time_bands": TIME_BANDS,
        "feelings": FEELINGS,
    }
