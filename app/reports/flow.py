"""The public report, one question per screen.

There is no server-side draft: every step is a form whose hidden inputs carry the answers given so
far, so nothing a young person typed is stored before they press Send, a dropped connection loses
nothing on screen, and the same forms work as plain posts with JavaScript off or swapped in by htmx.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import h3
from babel import Locale
from pydantic import ValidationError
from sqlalchemy import ColumnElement
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from app.areas.lookup import AreaData
from app.core import i18n
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.equality import questions as equality
from app.equality import service as equality_service
from app.register.models import Context, ContextKind
from app.reports import service
from app.reports.models import Report, ReportKind, ReportStatus
from app.reports.schemas import (
    DESCRIPTION_MAX,
    GROUP_NAME_MAX,
    HELP_MAX,
    LOCATION_MAX,
    ReportCreate,
    ReportStep,
    clean_text,
    error_messages,
    unknown_choice_message,
)
from app.reports.taxonomy import AGE_BANDS, DAYS, FEELINGS, KIND_LABELS, REPORTER_ROLES, TIME_BANDS

# The screens, in order. "me_too" is shown only when published contexts are near the chosen place.
STEPS: tuple[str, ...] = ("kind", "where", "me_too", "when", "what", "feel", "about", "check")
OPTIONAL_STEPS = frozenset({"me_too"})  # counted in "Step n of m" only on a path that shows them

# Which answers each screen asks for; answers from other screens travel as hidden inputs.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ("kind",),
    "where": ("place_id", "location_text", "lat", "lng", "place_query"),
    "me_too": ("me_too_context_id",),
    "when": ("time_bands", "days"),
    "what": ("categories", "description"),
    "feel": ("feeling", "what_would_help"),
    # The equality questions are optional, on the same screen, kept apart once sent (app.equality).
    "about": ("reporter_role", "age_band", "group_name", *equality.FIELDS),
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
FORM_QUESTIONS = ("where", "when", "what", "description", "feel", "what_would_help")
HONEYPOT_FIELD = "extra_details_hp"
FORM_TEMPLATE = "reports/form.html"
SENT_TEMPLATE = "reports/sent.html"
log = logging.getLogger("safetymap.reports")


@dataclass(frozen=True)
class StepPosition:
    number: int
    total: int


# Free text: how long each answer may be. The form never cuts a paste short (no maxlength): it
# counts as people type, and the server says plainly when a text is too long, keeping all of it.
TEXT_LIMITS: dict[str, int] = {
    "location_text": LOCATION_MAX,
    "description": DESCRIPTION_MAX,
    "what_would_help": HELP_MAX,
    "group_name": GROUP_NAME_MAX,
}


def path_steps(has_me_too: bool) -> tuple[str, ...]:
    """The screens this reporter goes through: "me too" only when it is offered."""
    return tuple(s for s in STEPS if s not in OPTIONAL_STEPS or (s == "me_too" and has_me_too))


def position(step: str, has_me_too: bool = False) -> StepPosition:
    """Where a screen is on the reporter's own path: each screen its own number, skipped ones not counted."""
    path = path_steps(has_me_too or step == "me_too")
    return StepPosition(path.index(step) + 1, len(path))


def read_answers(post: ReportStep) -> dict[str, Any]:
    """Answers from a posted screen, as the templates and the model expect them."""
    values: dict[str, Any] = {}
    for name in (*ANSWER_FIELDS, "place_query", "submission_token"):
        raw = getattr(post, name)
        values[name] = [v for v in raw if v] if name in LIST_FIELDS else raw
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
    errors: dict[str, str] = {}
    try:
        ReportCreate.model_validate(data)
    except ValidationError as exc:
        errors = {field: message for field, message in error_messages(exc).items() if FIELD_STEP.get(field, "check") in reached}
    if "about" in reached:
        errors |= {field: unknown_choice_message() for field in equality.check_answers(values)}
    return errors


def first_step_with_errors(errors: dict[str, str]) -> str:
    steps = [FIELD_STEP.get(field, "check") for field in errors]
    return min(steps, key=STEPS.index) if steps else "check"


def check_where(known: AreaData, values: dict[str, Any]) -> dict[str, str]:
    """What only the area's data can judge about the place: that it is this area's, and inside it."""
    area = known.area
    if values.get("place_id"):
        try:
            place_id = int(values["place_id"])
        except ValueError:
            place_id = 0
        if known.place(place_id) is None:
            return {"where": _("Please choose a place from the list, or describe it in words.")}
    if values.get("lat") and values.get("lng"):
        try:
            inside = area.contains(float(values["lat"]), float(values["lng"]))
        except ValueError:
            inside = False
        if not inside:
            return {"where": _("That point is outside %(area)s. Please choose somewhere inside the area, or describe it in words.", area=area.name)}
    return {}


def chosen_cell(known: AreaData, values: dict[str, Any]) -> str | None:
    """The coarse H3 cell of the chosen place or point: all that anything beyond the raw entry sees."""
    area = known.area
    try:
        if values.get("lat") and values.get("lng"):
            return h3.latlng_to_cell(float(values["lat"]), float(values["lng"]), area.h3_resolution)
        if values.get("place_id"):
            place = known.place(int(values["place_id"]))
            if place is not None:
                return h3.latlng_to_cell(place.lat, place.lng, area.h3_resolution)
    except ValueError:
        return None
    return None


def nearby_contexts(session: Session, known: AreaData, values: dict[str, Any]) -> Sequence[Context]:
    """Published contexts at or near the chosen place, offered as "me too".

    Only contexts with at least the area's k published entries are offered (the map's small-number
    rule), and only by name: nothing a person wrote, and no counts.
    """
    area = known.area
    cell = chosen_cell(known, values)
    place = known.place(int(values["place_id"])) if str(values.get("place_id", "")).isdigit() else None
    place_id = place.id if place else None  # an id from outside the area's gazetteer asks nothing
    if cell is None and place_id is None:
        return []
    near = [] if cell is None else list(h3.grid_disk(cell, NEARBY_RING))
    published = (
        select(Report.context_id)
        .where(col(Report.area_id) == area.id, col(Report.status) == ReportStatus.PUBLISHED, col(Report.context_id).is_not(None))
        .group_by(col(Report.context_id))
        # The small-number rule, as on the map: a context is named only once at least k people
        # have spoken about it, so the offer never reveals a place the map keeps hidden.
        .having(func.count() >= area.min_cell_count)
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


def same_place(offered: Sequence[Context], chosen: Any) -> set[int]:
    """Offered contexts that are the place just chosen: asked about without saying its name again."""
    if chosen is None:
        return set()
    name = chosen.name.casefold()
    return {c.id for c in offered if c.id is not None and (c.place_id == chosen.id or c.name.casefold() == name)}


def me_too_choice(values: dict[str, Any], offered: Sequence[Context]) -> int | None:
    """The context the reporter said "me too" to, if it is really one we offered them."""
    raw = str(values.get("me_too_context_id", ""))
    if not raw.isdigit():
        return None
    return int(raw) if int(raw) in {c.id for c in offered} else None


# --- The step machine -------------------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    """What to show after a post: a template and its context, and a language to remember, if chosen."""

    template: str
    context: dict[str, Any]
    status: int = 200
    language: str | None = None


@dataclass
class StepRequest:
    """What the step machine needs from outside HTTP, so unit tests can drive it without a server."""

    known: AreaData
    read: Session  # for screens that only look (the "me too" offer)
    write: Session  # used only when sending; never touched (so never locked) on other steps
    csrf_ok: bool
    may_send: Callable[[], bool]  # the rate limit: True while this connection may send another report
    bypassed: list[str] = dataclass_field(default_factory=list)


def report_step(post: ReportStep, request: StepRequest) -> Screen:
    """Every screen of the report posts here: `step` says which screen, `go` where to next.

    Reads go through `request.read` and only a send writes, through `request.write`, which
    `service.submit_report` commits. Both sessions are closed before this returns, so the page is
    rendered and sent with no transaction open and no lock held.
    """
    try:
        return _step(post, request)
    finally:
        # Ends any read transaction and hands the connections back; loaded objects keep their values.
        request.read.close()
        request.write.close()


def _step(post: ReportStep, request: StepRequest) -> Screen:
    known = request.known
    values = read_answers(post)
    values["returning"] = "check" if post.returning == "check" else ""
    if not values.get("submission_token"):
        values["submission_token"] = service.new_submission_token()
    # A form without a step is a whole report in one post (older pages, scripts): treat it as Send.
    step = post.step if post.step is not None else "check"
    if step not in STEPS:
        step = "kind"
    go = post.go or ("send" if post.step is None else "next")
    # Sending reads and writes in the one write transaction; every other screen only reads.
    session = request.write if go == "send" else request.read
    # Published contexts near the chosen place: asked for once, used by the step order and the screens.
    nearby = nearby_contexts(session, known, values)
    grading = service.grade_answers(values, known)  # once a post: Send passes it on to submit_report

    def show(
        shown: str, errors: dict[str, str] | None = None, notice: str = "", status: int = 200, *,
        slow_down: bool = False, offered: Sequence[Context] | None = None, language: str | None = None,
    ) -> Screen:
        context = screen_context(known, shown, values, errors or {}, notice, nearby if offered is None else offered)
        context |= {"slow_down": slow_down, "help_now": grading.urgent}
        return Screen(FORM_TEMPLATE, context, status, language)

    if not request.csrf_ok:
        return show(step, notice=_("This page was open for a while, so we need you to press the button once more. Your answers are still here."), status=400)
    if post.extra_details_hp:
        if service.may_hold_back(grading):
            return show(step, {HONEYPOT_FIELD: _("Please leave this box empty.")}, status=422)
        request.bypassed.append("honeypot")

    has_me_too = bool(nearby)
    # "Change" on the check screen: the screen comes up, and Continue (or Back) leads back to check.
    returning = values["returning"] == "check" and step != "check"
    if go == "back":
        return show("check" if returning else previous_step(step, has_me_too))
    if go.startswith("change:") and go[7:] in STEPS and go[7:] != "check":
        values["returning"] = "check"
        return show(go[7:])
    if go.startswith("language:"):
        # Switching language mid-report keeps every answer: same screen, new words, choice remembered.
        code = go.partition(":")[2]
        if code not in known.area.locale_list:
            return show(step)
        i18n.set_locale(code)
        return show(step, language=code)
    if go == "search":
        return show("where", offered=())
    if go == "clear_place":
        values["place_id"] = ""
        values["lat"] = values["lng"] = ""
        return show("where", offered=())

    errors = validate_upto(values, step)
    if not errors and STEPS.index(step) >= STEPS.index("where"):
        errors = check_where(known, values)
    if errors:
        return show(first_step_with_errors(errors), errors, status=422)
    if go != "send":
        if returning:
            if step == "where" and has_me_too:
                values["returning"] = "check"  # a new place may have "me too" to ask about first
                return show("me_too")
            errors = validate_upto(values, "check")
            return show(first_step_with_errors(errors), errors, status=422) if errors else show("check")
        return show(next_step(step, has_me_too))
    return _send(request, values, nearby, grading, show)


def _send(
    request: StepRequest, values: dict[str, Any], nearby: Sequence[Context], grading: service.Grading,
    show: Callable[..., Screen],
) -> Screen:
    known, session = request.known, request.write
    data = values | {"me_too_context_id": me_too_choice(values, nearby)}
    try:
        report = ReportCreate.model_validate({k: v for k, v in data.items() if k != "place_query"})
    except ValidationError as exc:
        errors = error_messages(exc)
        return show(first_step_with_errors(errors), errors, status=422)
    if not request.may_send():
        if service.may_hold_back(grading):
            notice = _("You have sent a lot of reports in a short time. Please wait a little and press send again: your answers are still here.")
            return show("check", notice=notice, status=429, slow_down=True)
        request.bypassed.append("rate_limit")
    try:
        submitted = service.submit_report(
            session, known.area, report, language=i18n.get_locale(), bypassed_checks=request.bypassed, known=known,
            # The same words, cleaned the same way: ReportCreate changes nothing else about them.
            grading=grading if (report.description, report.what_would_help) == _graded_texts(values) else None,
        )
    except service.ReportInputError:
        errors = check_where(known, values) or {"where": _("Please choose a place from the list, or describe it in words.")}
        return show("where", errors, status=422)
    except SQLAlchemyError as exc:
        # Our fault, not theirs: keep every answer on screen and say so plainly. No rollback here:
        # it would expire the contexts this page still shows; closing the session (report_step) ends
        # the failed transaction without touching them.
        log.error("report could not be stored: %s", type(exc).__name__)
        notice = _("Sorry, we could not save this just now. Nothing is lost: your answers are still here. Please press send again in a minute.")
        return show("check", notice=notice, status=503)
    if submitted.created:
        try:
            equality_service.record_answers(session, submitted.report, values)
        except SQLAlchemyError as exc:
            # The report itself is safe; the optional answers are not worth a failed send.
            log.error("equality answers could not be stored: %s", type(exc).__name__)
    return Screen(SENT_TEMPLATE, {"report": submitted.report, "help_now": service.kept_for_safeguarding(submitted.report)})


def _graded_texts(values: dict[str, Any]) -> tuple[str, str]:
    return tuple(str(clean_text(values.get(name) or "")) for name in service.GRADED_FIELDS)  # type: ignore[return-value]


def screen_context(
    known: AreaData, step: str, values: dict[str, Any], errors: dict[str, str], notice: str = "",
    nearby: Sequence[Context] = (),
) -> dict[str, Any]:
    """Everything a report screen shows, from the request's area data: no query."""
    kind = values.get("kind") or ""
    query = str(values.get("place_query", "")).strip()
    chosen_place = known.place(int(values["place_id"])) if str(values.get("place_id", "")).isdigit() else None
    # The area's co-designed words: its categories and question wording, in the reader's language.
    locale = i18n.get_locale()
    words = known.words
    asked_kind = kind if kind in KIND_LABELS else ReportKind.UNSAFE
    wordings = {
        code: words.wordings(code, locale, ("kind_label", "kind_hint", *(FORM_QUESTIONS if code == asked_kind else ())))
        for code in KIND_LABELS
    }
    kind_labels = {code: found["kind_label"] for code, found in wordings.items()}
    return {
        "step": step,
        "questions": {name: wordings[asked_kind][name] for name in FORM_QUESTIONS},
        "position": position(step, bool(nearby)),
        # Set while a screen was opened from "Change" on the check screen: Continue goes back there.
        "returning": values.get("returning", "") if step != "check" else "",
        "values": values,
        "errors": errors,
        "notice": notice,
        "carry": [f for f in ANSWER_FIELDS if f not in STEP_FIELDS[step]],
        "list_fields": LIST_FIELDS,
        "place_results": known.search_places(query) if query else [],
        "place_query": query,
        "chosen_place": chosen_place,
        "me_too": nearby if step in {"me_too", "check"} else [],
        "me_too_same_place": same_place(nearby, chosen_place),
        "kinds": kind_labels,
        "kind_hints": {code: found["kind_hint"] for code, found in wordings.items()},
        "kind_label": kind_labels.get(kind, ""),
        "categories": dict(words.categories(kind, locale)) if kind in KIND_LABELS else {},
        "time_bands": TIME_BANDS,
        "days": DAYS,
        "feelings": FEELINGS,
        "age_bands": AGE_BANDS,
        "reporter_roles": REPORTER_ROLES,
        "equality": equality,
        "text_limits": TEXT_LIMITS,
        "counter_words": counter_words() if step in {"where", "what", "feel", "about"} else {},
        "honeypot_field": HONEYPOT_FIELD,
        "tile_url": known.area.tile_url or "",
        "language_form": "report-form",
    }


def counter_words() -> dict[str, Any]:
    """The live character count's words, in the reader's language, for static/js/report-flow.js.

    `{count}`, `{limit}` and `{over}` are filled in by the script with the page language's digits.
    "Too many" comes in each plural form the language has (CLDR categories: one, two, few, many,
    other), so the script can pick the right one with Intl.PluralRules for any number.
    """
    plural_category = Locale.parse(i18n.format_locale()).plural_form
    over: dict[str, str] = {}
    for sample in range(1, 200):
        category = plural_category(sample)
        if category not in over:
            over[category] = ngettext("%(over)s character too many", "%(over)s characters too many", sample, over="{over}")
    return {"under": _("%(count)s of %(limit)s characters", count="{count}", limit="{limit}"), "over": over}
