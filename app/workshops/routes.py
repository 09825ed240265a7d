"""The facilitator's side: make a workshop, run it from the console, show the wall, take the outcome."""

from __future__ import annotations

import functools
import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.areas.lookup import load_area_data
from app.core import i18n, live
from app.core.i18n import gettext as _
from app.core.live import LiveBrokerDep
from app.core.security import csrf_token
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import (
    DatabaseDep,
    DbId,
    ReadSession,
    SettingsDep,
    WriteSession,
    found,
    require_role,
    use_locale,
)
from app.moderation.highlight import highlighted
from app.moderation.triage import KIND_LABELS as PII_LABELS
from app.reports.taxonomy import KIND_LABELS
from app.taxonomy import service as taxonomy
from app.taxonomy.defaults import QUESTION_NAMES
from app.workshops import outcome, service, stream, walks, wall, wording
from app.workshops.events import WorkshopError, events_loader
from app.workshops.models import VotingStatus, WallStatus, Workshop, WorkshopMode
from app.workshops.schemas import WordingQuestionCreate, WorkshopCreate

router = APIRouter(
    prefix="/staff/workshops", dependencies=[Depends(use_locale)], include_in_schema=False
)
Facilitator = Annotated[StaffIdentity, Depends(require_role(Role.FACILITATOR))]


# The facilitator's forms as posted: plain strings (and lists for checkbox groups), judged after,
# so a wrong answer comes back as a message with everything typed still on the page.


class WorkshopForm(BaseModel):
    """The make-a-workshop form; WorkshopCreate judges it."""

    model_config = ConfigDict(extra="ignore")

    title: str = ""
    held_on: str = ""
    language: str = ""
    prompts: str = ""
    votes_per_person: str = ""
    mode: str = ""
    route: str = ""
    kinds: list[str] = Field(default_factory=list)
    csrf_token: str = ""


def _numbers(values: list[str]) -> set[int]:
    return {int(value) for value in values if value.isdigit()}


class CheckForm(BaseModel):
    """The wall check: show or hold, and which suggested personal details to keep (by number)."""

    model_config = ConfigDict(extra="ignore")

    decision: str = ""
    keep_description: list[str] = Field(default_factory=list)
    keep_what_would_help: list[str] = Field(default_factory=list)
    csrf_token: str = ""

    @property
    def show(self) -> bool:
        return self.decision == "show"

    @property
    def keep(self) -> dict[str, set[int]]:
        return {
            "description": _numbers(self.keep_description),
            "what_would_help": _numbers(self.keep_what_would_help),
        }


class VotingForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    voting: str = ""
    csrf_token: str = ""

    @property
    def status(self) -> VotingStatus:
        return VotingStatus.OPEN if self.voting == "open" else VotingStatus.CLOSED


class QuestionForm(BaseModel):
    """A wording question to the room: `target` is "<kind>|<key>", `options` one per line."""

    model_config = ConfigDict(extra="ignore")

    target: str = ""
    options: str = ""
    csrf_token: str = ""

    def question(self) -> WordingQuestionCreate:
        """The question, judged; raises ValidationError when it is not one the room can answer."""
        kind, _sep, key = self.target.partition("|")
        return WordingQuestionCreate.model_validate(
            {"kind": kind, "key": key, "options": self.options}
        )


class WalkMoveForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    position: str = ""
    csrf_token: str = ""

    @property
    def stop(self) -> int:
        """The stop to move to; anything but a number is no stop (0), which move_to refuses."""
        return int(self.position) if self.position.isdigit() else 0


def _load(session: Session, staff: StaffIdentity, workshop_id: int) -> Workshop:
    assert staff.area.id is not None
    return found(service.get_for_area(session, staff.area.id, workshop_id))


def join_url(request: Request, workshop: Workshop) -> str:
    settings = request.app.state.settings
    return f"{settings.base_url}/workshops/join?code={workshop.join_code}"


def spaced(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


@router.get("")
def workshops(request: Request, staff: Facilitator, session: ReadSession) -> Response:
    return _list_page(request, staff, session, {}, {})


def _list_page(
    request: Request,
    staff: StaffIdentity,
    session: Session,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    assert staff.area.id is not None
    return render(
        request,
        "workshops/list.html",
        {
            "workshops": service.workshops_for_area(session, staff.area.id),
            "kinds": KIND_LABELS,
            "values": values
            or {
                "held_on": utcnow().date().isoformat(),
                "votes_per_person": 3,
                "kinds": list(KIND_LABELS),
                "language": staff.area.default_locale,
                "mode": WorkshopMode.WORKSHOP,
            },
            "errors": errors,
            "spaced": spaced,
            "modes": {
                WorkshopMode.WORKSHOP.value: _("A workshop: entries, the wall and dot-voting"),
                WorkshopMode.SAFETY_WALK.value: _(
                    "A safety walk: the group walks a route and rates each stop"
                ),
            },
            "place_names": [place.name for place in load_area_data(session, staff.area).places],
        },
        status_code=status,
    )


@router.post("")
def create(
    request: Request,
    staff: Facilitator,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    data: Annotated[WorkshopForm, Form()],
) -> Response:
    values: dict[str, Any] = data.model_dump(exclude={"csrf_token"})
    values["mode"] = values["mode"] or WorkshopMode.WORKSHOP
    if values["mode"] == WorkshopMode.SAFETY_WALK and not values["kinds"]:
        # A walk asks about every kind (service.create_workshop).
        values["kinds"] = list(KIND_LABELS)
    route = (
        walks.parse_route(data.route, load_area_data(read, staff.area))
        if values["mode"] == WorkshopMode.SAFETY_WALK
        else []
    )
    try:
        workshop_data = WorkshopCreate.model_validate(values)
    except ValidationError as exc:
        messages = {
            "title": _("Please give the workshop a title."),
            "held_on": _("Please give the date as day, month and year."),
            "kinds": _("Please choose at least one kind of entry to ask about."),
            "votes_per_person": _("Each person can have between 1 and 10 dots."),
            "prompts": _("Please keep the prompts shorter."),
            "route": _("Please keep the route shorter."),
            "mode": _("Please choose a workshop or a safety walk."),
        }
        errors = {
            str(e["loc"][0]): messages.get(str(e["loc"][0]), _("Please check this answer."))
            for e in exc.errors()
            if e["loc"]
        }
        return _list_page(request, staff, read, values, errors, status=422)
    if workshop_data.mode == WorkshopMode.SAFETY_WALK and not 1 <= len(route) <= walks.STOPS_MAX:
        message = (
            _("Please list the stops of the walk, one per line.")
            if not route
            else _("A walk can have up to %(max)s stops.", max=walks.STOPS_MAX)
        )
        return _list_page(request, staff, read, values, {"route": message}, status=422)
    read.close()
    workshop = service.create_workshop(
        write, staff.area, staff, workshop_data, code_hours=settings.workshop_code_hours, route=route
    )
    return RedirectResponse(f"/staff/workshops/{workshop.id}", status_code=303)


def _console_context(
    request: Request, session: Session, staff: StaffIdentity, workshop: Workshop, **extra: Any
) -> dict[str, Any]:
    assert workshop.id is not None and staff.area.id is not None
    categories = {
        kind: taxonomy.current_categories(session, staff.area, kind, workshop.language)
        for kind in workshop.kind_list
    }
    return {
        "workshop": workshop,
        "join_url": join_url(request, workshop),
        "code": spaced(workshop.join_code),
        "waiting": wall.waiting_entries(session, workshop.id),
        "wall": wall.wall_entries(session, workshop.id),
        "counts": wall.vote_counts(session, workshop.id),
        "questions": wording.wording_results(session, wording.questions_of(session, workshop.id)),
        "seq": workshop.event_seq,
        "kinds": KIND_LABELS,
        "pii_labels": PII_LABELS,
        "highlighted": highlighted,
        "categories": categories,
        "question_names": QUESTION_NAMES,
        "joinable": workshop.is_joinable(utcnow()),
        "error": "",
        "walk_progress": walks.progress(session, workshop) if workshop.is_safety_walk else None,
        "view": stream.CONSOLE,
    } | extra


def _console_with_error(
    request: Request,
    session: Session,
    staff: StaffIdentity,
    workshop_id: int,
    error: str,
    *,
    status: int,
) -> Response:
    """The console again, read afresh after a change that was refused (its write session closed)."""
    workshop = _load(session, staff, workshop_id)
    return render(
        request,
        "workshops/console.html",
        _console_context(request, session, staff, workshop, error=error),
        status_code=status,
    )


def _snapshot(session: Session) -> Session:
    """A read whose rows and event number agree, so the live stream resumes exactly where the page
    left off (on PostgreSQL a REPEATABLE READ snapshot; a SQLite read transaction is one already).
    Set before the session's first statement."""
    if session.get_bind().dialect.name != "sqlite":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


@router.get("/{workshop_id}")
def console(
    request: Request, workshop_id: DbId, staff: Facilitator, session: ReadSession
) -> Response:
    _snapshot(session)
    workshop = _load(session, staff, workshop_id)
    return render(
        request, "workshops/console.html", _console_context(request, session, staff, workshop)
    )


@router.get("/{workshop_id}/wall")
def wall_page(
    request: Request, workshop_id: DbId, staff: Facilitator, session: ReadSession
) -> Response:
    _snapshot(session)
    workshop = _load(session, staff, workshop_id)
    assert workshop.id is not None
    context = {
        "workshop": workshop,
        "join_url": join_url(request, workshop),
        "code": spaced(workshop.join_code),
        "wall": wall.wall_entries(session, workshop.id),
        "counts": wall.vote_counts(session, workshop.id),
        "questions": wording.wording_results(session, wording.questions_of(session, workshop.id)),
        "seq": workshop.event_seq,
        "kinds": KIND_LABELS,
        "joinable": workshop.is_joinable(utcnow()),
        "walk_progress": walks.progress(session, workshop) if workshop.is_safety_walk else None,
        "view": stream.WALL,
        # Without JavaScript there is no live stream: the projector page reloads itself instead.
        "refresh_without_js": True,
    }
    return render(request, "workshops/wall.html", context)


@router.get("/{workshop_id}/events")
def events(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    db: DatabaseDep,
    settings: SettingsDep,
    broker: LiveBrokerDep,
    view: str = stream.WALL,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The live stream (text/event-stream) for the wall or the console, resumable by event number.

    Each read has its own short read session: none is held open for the stream's lifetime.
    """
    with db.read() as session:
        workshop = _load(session, staff, workshop_id)
    assert workshop.id is not None
    if view not in stream.VIEWS:
        view = stream.WALL
    after = live.resume_after(request, after)

    load = events_loader(db)

    render_batch = functools.partial(
        stream.render_batch,
        db,
        workshop.id,
        view=view,
        locale=i18n.get_locale(),
        csrf_token=csrf_token(request),
    )
    body = live.event_stream(
        broker,
        workshop.id,
        after,
        load,
        render_batch,
        heartbeat=settings.workshop_heartbeat_seconds,
    )
    return StreamingResponse(
        body, media_type="text/event-stream", headers={"x-accel-buffering": "no"}
    )


@router.post("/{workshop_id}/entries/{entry_id}/check")
def check(
    workshop_id: DbId,
    entry_id: DbId,
    staff: Facilitator,
    session: WriteSession,
    broker: LiveBrokerDep,
    data: Annotated[CheckForm, Form()],
) -> Response:
    workshop = _load(session, staff, workshop_id)
    try:
        wall.check_entry(
            session, staff, workshop, entry_id, show=data.show, keep=data.keep, live=broker
        )
    except WorkshopError:
        raise HTTPException(status_code=404) from None
    return RedirectResponse(f"/staff/workshops/{workshop_id}#waiting", status_code=303)


@router.post("/{workshop_id}/voting")
def voting(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    read: ReadSession,
    write: WriteSession,
    broker: LiveBrokerDep,
    data: Annotated[VotingForm, Form()],
) -> Response:
    workshop = _load(write, staff, workshop_id)
    try:
        wall.set_voting(write, staff, workshop, data.status, live=broker)
    except WorkshopError:
        write.close()
        error = _("This workshop has ended, so voting cannot start again.")
        return _console_with_error(request, read, staff, workshop_id, error, status=409)
    return RedirectResponse(f"/staff/workshops/{workshop_id}#voting", status_code=303)


@router.post("/{workshop_id}/questions")
def ask(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    read: ReadSession,
    write: WriteSession,
    broker: LiveBrokerDep,
    data: Annotated[QuestionForm, Form()],
) -> Response:
    workshop = _load(write, staff, workshop_id)
    try:
        wording.ask_wording(write, staff.area, staff, workshop, data.question(), live=broker)
    except (ValidationError, WorkshopError):
        write.close()
        error = _(
            "Please choose what to ask about and write at least one suggestion (one per line, up to 8)."
        )
        return _console_with_error(request, read, staff, workshop_id, error, status=422)
    return RedirectResponse(f"/staff/workshops/{workshop_id}#questions", status_code=303)


@router.post("/{workshop_id}/questions/{question_id}/close")
def close_question(
    workshop_id: DbId, question_id: DbId, staff: Facilitator, session: WriteSession, broker: LiveBrokerDep
) -> Response:
    workshop = _load(session, staff, workshop_id)
    try:
        wording.close_wording(session, staff, workshop, question_id, live=broker)
    except WorkshopError:
        raise HTTPException(status_code=404) from None
    return RedirectResponse(f"/staff/workshops/{workshop_id}#questions", status_code=303)


@router.post("/{workshop_id}/walk")
def move_walk(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    read: ReadSession,
    write: WriteSession,
    broker: LiveBrokerDep,
    data: Annotated[WalkMoveForm, Form()],
) -> Response:
    """The facilitator moves the group to another stop; every phone follows live."""
    workshop = _load(write, staff, workshop_id)
    try:
        walks.move_to(write, staff, workshop, data.stop, live=broker)
    except walks.WalkError as exc:
        if exc.code == "not_a_walk":
            raise HTTPException(status_code=404) from None
        write.close()
        error = (
            _("This walk has ended.")
            if exc.code == "ended"
            else _("There is no such stop on this walk.")
        )
        return _console_with_error(request, read, staff, workshop_id, error, status=409)
    return RedirectResponse(f"/staff/workshops/{workshop_id}#walk", status_code=303)


@router.post("/{workshop_id}/end")
def end(workshop_id: DbId, staff: Facilitator, session: WriteSession, broker: LiveBrokerDep) -> Response:
    workshop = _load(session, staff, workshop_id)
    service.end_workshop(session, staff, workshop, live=broker)
    return RedirectResponse(f"/staff/workshops/{workshop_id}", status_code=303)


@router.get("/{workshop_id}/qr.svg")
def qr(request: Request, workshop_id: DbId, staff: Facilitator, session: ReadSession) -> Response:
    workshop = _load(session, staff, workshop_id)
    out = io.BytesIO()
    segno.make(join_url(request, workshop), error="m").save(
        out,
        kind="svg",
        scale=8,
        border=2,
        dark="#0b0c0c",
        light="#ffffff",
        title=_("Join code %(code)s", code=workshop.join_code),
    )
    return Response(out.getvalue(), media_type="image/svg+xml")


@router.get("/{workshop_id}/summary")
def summary(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    read: ReadSession,
    write: WriteSession,
) -> Response:
    """The outcome, read first; then the look is audited (its own write, committed) and the page shown."""
    workshop = _load(read, staff, workshop_id)
    result = outcome.summary(read, workshop, i18n.get_locale())
    # Staff pages show every stop's numbers; the k rule applies to what phones see (walks.route_summary).
    route = walks.route_summary(read, workshop) if workshop.is_safety_walk else []
    read.close()
    outcome.record_summary_viewed(write, staff, workshop)
    return render(
        request,
        "workshops/summary.html",
        {
            "summary": result,
            "kinds": KIND_LABELS,
            "on_wall": WallStatus.ON_WALL,
            "code": spaced(workshop.join_code),
            "route": route,
            "parameters": walks.PARAMETERS,
        },
    )


@router.get("/{workshop_id}/export.csv")
def export(workshop_id: DbId, staff: Facilitator, session: WriteSession) -> Response:
    """The CSV; downloading it is audited in the same transaction (outcome.export_csv commits)."""
    workshop = _load(session, staff, workshop_id)
    body = outcome.export_csv(session, staff, workshop, i18n.get_locale())
    filename = f"workshop-{workshop.id}-{workshop.held_on.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
