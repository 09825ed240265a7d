"""The facilitator's side: make a workshop, run it from the console, show the wall, take the outcome."""

from __future__ import annotations

import functools
import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.areas.lookup import load_area_data
from app.core import i18n
from app.core.i18n import gettext as _
from app.core.security import csrf_token
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import DatabaseDep, DbId, SessionDep, SettingsDep, require_role, use_locale
from app.moderation.routes import highlighted
from app.moderation.triage import KIND_LABELS as PII_LABELS
from app.reports.taxonomy import KIND_LABELS
from app.taxonomy import service as taxonomy
from app.taxonomy.defaults import QUESTION_NAMES
from app.workshops import live, service, stream, walks
from app.workshops.forms import FormDep
from app.workshops.models import VotingStatus, WallStatus, Workshop, WorkshopMode
from app.workshops.schemas import WordingQuestionCreate, WorkshopCreate

router = APIRouter(
    prefix="/staff/workshops", dependencies=[Depends(use_locale)], include_in_schema=False
)
Facilitator = Annotated[StaffIdentity, Depends(require_role(Role.FACILITATOR))]
Live = Annotated[live.LiveBroker, Depends(live.get_broker)]


def _load(session: Session, staff: StaffIdentity, workshop_id: int) -> Workshop:
    assert staff.area.id is not None
    workshop = service.get_for_area(session, staff.area.id, workshop_id)
    if workshop is None:
        raise HTTPException(status_code=404)
    return workshop


def join_url(request: Request, workshop: Workshop) -> str:
    settings = request.app.state.settings
    return f"{settings.base_url}/workshops/join?code={workshop.join_code}"


def spaced(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


@router.get("")
def workshops(request: Request, staff: Facilitator, session: SessionDep) -> Response:
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
    request: Request, staff: Facilitator, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    values: dict[str, Any] = {
        key: form.get(key, "")
        for key in ("title", "held_on", "language", "prompts", "votes_per_person", "mode", "route")
    }
    values["kinds"] = [v for v in form.getlist("kinds") if isinstance(v, str)]
    values["mode"] = values["mode"] or WorkshopMode.WORKSHOP
    if values["mode"] == WorkshopMode.SAFETY_WALK and not values["kinds"]:
        values["kinds"] = list(
            KIND_LABELS
        )  # a walk asks about every kind (service.create_workshop)
    route = (
        walks.parse_route(str(values["route"]), load_area_data(session, staff.area))
        if values["mode"] == WorkshopMode.SAFETY_WALK
        else []
    )
    try:
        data = WorkshopCreate.model_validate(values)
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
        return _list_page(request, staff, session, values, errors, status=422)
    if data.mode == WorkshopMode.SAFETY_WALK and not 1 <= len(route) <= walks.STOPS_MAX:
        message = (
            _("Please list the stops of the walk, one per line.")
            if not route
            else _("A walk can have up to %(max)s stops.", max=walks.STOPS_MAX)
        )
        return _list_page(request, staff, session, values, {"route": message}, status=422)
    workshop = service.create_workshop(
        session, staff.area, staff, data, code_hours=settings.workshop_code_hours, route=route
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
        "waiting": service.waiting_entries(session, workshop.id),
        "wall": service.wall_entries(session, workshop.id),
        "counts": service.vote_counts(session, workshop.id),
        "questions": service.wording_results(session, service.questions_of(session, workshop.id)),
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


@router.get("/{workshop_id}")
def console(request: Request, workshop_id: DbId, staff: Facilitator, db: DatabaseDep) -> Response:
    with _snapshot(db) as session:
        workshop = _load(session, staff, workshop_id)
        return render(
            request, "workshops/console.html", _console_context(request, session, staff, workshop)
        )


@router.get("/{workshop_id}/wall")
def wall(request: Request, workshop_id: DbId, staff: Facilitator, db: DatabaseDep) -> Response:
    with _snapshot(db) as session:
        workshop = _load(session, staff, workshop_id)
        assert workshop.id is not None
        context = {
            "workshop": workshop,
            "join_url": join_url(request, workshop),
            "code": spaced(workshop.join_code),
            "wall": service.wall_entries(session, workshop.id),
            "counts": service.vote_counts(session, workshop.id),
            "questions": service.wording_results(
                session, service.questions_of(session, workshop.id)
            ),
            "seq": workshop.event_seq,
            "kinds": KIND_LABELS,
            "joinable": workshop.is_joinable(utcnow()),
            "walk_progress": walks.progress(session, workshop) if workshop.is_safety_walk else None,
            "view": stream.WALL,
            # Without JavaScript there is no live stream: the projector page reloads itself instead.
            "refresh_without_js": True,
        }
        return render(request, "workshops/wall.html", context)


def _snapshot(db: Any) -> Any:
    """A read whose rows and event number agree, so the live stream resumes exactly where the page
    left off (on PostgreSQL a REPEATABLE READ snapshot; a SQLite read transaction is one already)."""
    session: Session = db.session()
    if not db.is_sqlite:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


@router.get("/{workshop_id}/events")
def events(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    db: DatabaseDep,
    settings: SettingsDep,
    broker: Live,
    view: str = stream.WALL,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The live stream (text/event-stream) for the wall or the console, resumable by event number."""
    with db.session() as session:
        workshop = _load(session, staff, workshop_id)
    assert workshop.id is not None
    if view not in stream.VIEWS:
        view = stream.WALL
    last_event_id = request.headers.get("last-event-id", "")
    if last_event_id.isdigit():
        after = int(last_event_id)

    def load(wid: int, last: int) -> list[Any]:
        with db.session() as s:
            return list(service.events_after(s, wid, last))

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
    request: Request,
    workshop_id: DbId,
    entry_id: DbId,
    staff: Facilitator,
    session: SessionDep,
    broker: Live,
    form: FormDep,
) -> Response:
    workshop = _load(session, staff, workshop_id)
    keep = {
        field: {int(v) for v in form.getlist(f"keep_{field}") if isinstance(v, str) and v.isdigit()}
        for field in ("description", "what_would_help")
    }
    try:
        service.check_entry(
            session,
            staff,
            workshop,
            entry_id,
            show=form.get("decision") == "show",
            keep=keep,
            live=broker,
        )
    except service.WorkshopError:
        raise HTTPException(status_code=404) from None
    return RedirectResponse(f"/staff/workshops/{workshop_id}#waiting", status_code=303)


@router.post("/{workshop_id}/voting")
def voting(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    session: SessionDep,
    broker: Live,
    form: FormDep,
) -> Response:
    workshop = _load(session, staff, workshop_id)
    status = VotingStatus.OPEN if form.get("voting") == "open" else VotingStatus.CLOSED
    try:
        service.set_voting(session, staff, workshop, status, live=broker)
    except service.WorkshopError:
        return render(
            request,
            "workshops/console.html",
            _console_context(
                request,
                session,
                staff,
                workshop,
                error=_("This workshop has ended, so voting cannot start again."),
            ),
            status_code=409,
        )
    return RedirectResponse(f"/staff/workshops/{workshop_id}#voting", status_code=303)


@router.post("/{workshop_id}/questions")
def ask(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    session: SessionDep,
    broker: Live,
    form: FormDep,
) -> Response:
    workshop = _load(session, staff, workshop_id)
    raw = str(form.get("target", ""))
    kind, _sep, key = raw.partition("|")
    try:
        data = WordingQuestionCreate.model_validate(
            {"kind": kind, "key": key, "options": str(form.get("options", ""))}
        )
        service.ask_wording(session, staff.area, staff, workshop, data, live=broker)
    except (ValidationError, service.WorkshopError):
        error = _(
            "Please choose what to ask about and write at least one suggestion (one per line, up to 8)."
        )
        return render(
            request,
            "workshops/console.html",
            _console_context(request, session, staff, workshop, error=error),
            status_code=422,
        )
    return RedirectResponse(f"/staff/workshops/{workshop_id}#questions", status_code=303)


@router.post("/{workshop_id}/questions/{question_id}/close")
def close_question(
    workshop_id: DbId, question_id: DbId, staff: Facilitator, session: SessionDep, broker: Live
) -> Response:
    workshop = _load(session, staff, workshop_id)
    try:
        service.close_wording(session, staff, workshop, question_id, live=broker)
    except service.WorkshopError:
        raise HTTPException(status_code=404) from None
    return RedirectResponse(f"/staff/workshops/{workshop_id}#questions", status_code=303)


@router.post("/{workshop_id}/walk")
def move_walk(
    request: Request,
    workshop_id: DbId,
    staff: Facilitator,
    session: SessionDep,
    broker: Live,
    form: FormDep,
) -> Response:
    """The facilitator moves the group to another stop; every phone follows live."""
    workshop = _load(session, staff, workshop_id)
    raw = str(form.get("position", ""))
    try:
        walks.move_to(session, staff, workshop, int(raw) if raw.isdigit() else 0, live=broker)
    except walks.WalkError as exc:
        if exc.code == "not_a_walk":
            raise HTTPException(status_code=404) from None
        error = (
            _("This walk has ended.")
            if exc.code == "ended"
            else _("There is no such stop on this walk.")
        )
        return render(
            request,
            "workshops/console.html",
            _console_context(request, session, staff, workshop, error=error),
            status_code=409,
        )
    return RedirectResponse(f"/staff/workshops/{workshop_id}#walk", status_code=303)


@router.post("/{workshop_id}/end")
def end(workshop_id: DbId, staff: Facilitator, session: SessionDep, broker: Live) -> Response:
    workshop = _load(session, staff, workshop_id)
    service.end_workshop(session, staff, workshop, live=broker)
    if workshop.is_safety_walk:
        # Each rated stop becomes one entry, on its way through moderation like the room's others.
        walks.finish_walk(session, staff.area, workshop, known=load_area_data(session, staff.area))
    return RedirectResponse(f"/staff/workshops/{workshop_id}", status_code=303)


@router.get("/{workshop_id}/qr.svg")
def qr(request: Request, workshop_id: DbId, staff: Facilitator, session: SessionDep) -> Response:
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
    request: Request, workshop_id: DbId, staff: Facilitator, session: SessionDep
) -> Response:
    workshop = _load(session, staff, workshop_id)
    result = service.summary(session, workshop, i18n.get_locale())
    service.record_summary_viewed(session, staff, workshop)
    # Staff pages show every stop's numbers; the k rule applies to what phones see (walks.route_summary).
    route = walks.route_summary(session, workshop) if workshop.is_safety_walk else []
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
def export(workshop_id: DbId, staff: Facilitator, session: SessionDep) -> Response:
    workshop = _load(session, staff, workshop_id)
    body = service.export_csv(session, staff, workshop, i18n.get_locale())
    filename = f"workshop-{workshop.id}-{workshop.held_on.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
