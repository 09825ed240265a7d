"""The participant's side, on a phone with no account: join with the code, add entries one
question per screen (entry_flow.py), vote on the wall, rate a safety walk's stops, and follow the
room live (the phone's own event stream).

The join code opens a short-lived participant session: a cookie with a signed random token whose
hash is all the database keeps. When the session or the code has ended, every form shows a clear
message with what the person typed still on screen.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.areas.lookup import AreaData
from app.core import i18n
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.security import cookie_name, csrf_exempt, csrf_passed, csrf_token
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import (
    DatabaseDep,
    DbId,
    PublicArea,
    PublicAreaData,
    ReadSession,
    SettingsDep,
    WriteSession,
    client_address,
    use_locale,
)
from app.reports import flow
from app.reports import service as reports
from app.reports.schemas import ReportCreate, ReportStep
from app.workshops import entry_flow, live, phone, service, stream, walks
from app.workshops.models import WallStatus

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)
Live = Annotated[live.LiveBroker, Depends(live.get_broker)]

ENTRY_FIELDS = (*entry_flow.ANSWER_FIELDS, "submission_token")
LIST_FIELDS = entry_flow.LIST_FIELDS
JOIN_LIMIT = 200  # per address per 10 minutes: a whole room behind one venue router still fits
ENTRY_LIMIT = 30  # per participant per hour


class EntryForm(BaseModel):
    """An entry carried through the join form when a session ended while it was being written.
    Plain strings: ReportCreate judges them later (the body limit bounds the sizes)."""

    model_config = ConfigDict(extra="ignore")

    kind: str = ""
    place_id: str = ""
    location_text: str = ""
    description: str = ""
    what_would_help: str = ""
    feeling: str = ""
    submission_token: str = ""
    time_bands: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    csrf_token: str = ""


class JoinForm(EntryForm):
    """The join code, with the entry they had typed when their last session ended, if any."""

    code: str = ""


class AnswerForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    option_id: str = ""


class RatingForm(BaseModel):
    """A phone's ratings of a walk's stop, as posted: strings, judged by walks.read_scores."""

    model_config = ConfigDict(extra="ignore")

    lighting: str = ""
    openness: str = ""
    visibility: str = ""
    people: str = ""
    trusted_adults: str = ""
    transport: str = ""
    feeling: str = ""
    note: str = ""
    submission_token: str = ""
    csrf_token: str = ""


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="workshop-participant")


def participant_cookie(settings: Settings) -> str:
    return cookie_name(settings, "sm_workshop")


def _token(request: Request, settings: Settings) -> str | None:
    raw = request.cookies.get(participant_cookie(settings))
    if not raw:
        return None
    try:
        return str(_serializer(settings).loads(raw))
    except BadSignature:
        return None


def current(request: Request, session: Session, settings: Settings) -> service.Participation | None:
    who = service.resume(session, _token(request, settings))
    if who is not None:
        # The workshop's language, unless the person picked another one on this phone.
        chosen = request.query_params.get("lang") or request.cookies.get("sm_lang")
        if chosen not in i18n.LOCALES:
            i18n.set_locale(who.workshop.language)
            request.state.locale = who.workshop.language
    return who


def _read_entry(form: EntryForm) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(form, name) for name in ENTRY_FIELDS}
    for name in LIST_FIELDS:
        values[name] = [v for v in getattr(form, name) if v]
    return values


def _carried(values: dict[str, Any]) -> dict[str, Any]:
    """The entry's answers to keep through the join page (nothing else a step posted)."""
    return {name: values.get(name) or ([] if name in LIST_FIELDS else "") for name in ENTRY_FIELDS}


def _join_page(
    request: Request,
    *,
    code: str = "",
    error: str = "",
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "workshops/join.html",
        {"code": code, "error": error, "carried": values or {}, "list_fields": LIST_FIELDS},
        status_code=status,
    )


@router.get("/workshops/join")
def join_form(request: Request, area: PublicArea, code: str = "") -> Response:
    return _join_page(request, code=service.normalise_join_code(code))


@router.post("/workshops/join")
def join(
    request: Request,
    form: Annotated[JoinForm, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
) -> Response:
    area = known.area
    code = form.code.strip()
    carried = (
        _read_entry(form)
        if any(getattr(form, name) for name in ("description", "location_text", "kind", "place_id"))
        else {}
    )
    limiter = request.app.state.rate_limiter
    if not limiter.hit(
        "workshop_join", client_address(request, settings), limit=JOIN_LIMIT, window_seconds=600
    ):
        return _join_page(
            request,
            code=code,
            values=carried,
            error=_("Too many tries from here. Please wait a few minutes and try again."),
            status=429,
        )
    try:
        who, token = service.join(
            write, area, code, session_minutes=settings.workshop_session_minutes
        )  # commits
    except service.WorkshopError as exc:
        error = (
            _(
                "This workshop has finished, so its code no longer works. Ask the facilitator if there is a new one."
            )
            if exc.code == "ended"
            else _(
                "We could not find a workshop with that code. Please check it: it has 6 letters and numbers, like KM4 7RT."
            )
        )
        return _join_page(
            request, code=code, values=carried, error=error, status=422 if code else 400
        )
    max_age = max(int((who.participant.expires_at - utcnow()).total_seconds()), 1)
    if carried:
        # They had typed an entry when their last session ended: put it back on the form.
        i18n.set_locale(who.workshop.language)
        request.state.locale = who.workshop.language
        write.close()  # the page is read through the read session, with the write lock already released
        read.close()
        values = entry_flow.settle(carried, who.workshop, known)
        steps = entry_flow.steps_for(who.workshop)
        errors = entry_flow.step_errors(values, steps, "check", who.workshop, known)
        step = entry_flow.first_step_with_errors(errors, steps) if errors else "check"
        response = _entry_page(request, known, who, step, values, errors if step != "check" else {})
    else:
        response = RedirectResponse("/workshops/session", status_code=303)
    response.set_cookie(
        participant_cookie(settings),
        _serializer(settings).dumps(token),
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


def _session_page(
    request: Request,
    session: Session,
    known: AreaData,
    who: service.Participation,
    *,
    notice: str = "",
    status: int = 200,
    help_now: bool = False,
    walk_values: dict[str, str] | None = None,
    walk_errors: dict[str, str] | None = None,
) -> Response:
    """The participant's page, read through a read session (never the write one: see WriteSession)."""
    participant, workshop = who.participant, who.workshop
    assert participant.id is not None and workshop.id is not None
    my_entries = service.entries_of(session, participant.id)
    context = {
        "workshop": workshop,
        "seq": workshop.event_seq,
        "notice": notice,
        "my_entries": my_entries,
        # Help at the top while words of theirs may mean someone is not safe.
        "help_now": help_now
        or any(reports.kept_for_safeguarding(report) for _entry, report in my_entries),
        "questions": service.wording_results(
            session, service.questions_of(session, workshop.id, open_only=True), participant.id
        ),
        "on_wall": WallStatus.ON_WALL,
        "held_back": WallStatus.HELD_BACK,
    }
    context |= phone.board_context(session, workshop, participant)
    context |= phone.walk_context(
        session,
        workshop,
        participant,
        min_count=known.area.min_cell_count,
        values=walk_values,
        errors=walk_errors,
    )
    session.close()  # everything the page shows is loaded: no transaction while it renders
    return render(request, "workshops/session.html", context, status_code=status)


def _entry_page(
    request: Request,
    known: AreaData,
    who: service.Participation,
    step: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    notice: str = "",
    status: int = 200,
    help_now: bool = False,
) -> Response:
    """One screen of an entry: built from the answers posted and the area's cached words, no query."""
    context = entry_flow.screen(known, who.workshop, step, values, errors or {}) | {
        "notice": notice,
        "help_now": help_now,
        # The header's languages are buttons of this form, so switching keeps every answer.
        "language_form": "workshop-entry",
    }
    return render(
        request, "workshops/entry.html", context, status_code=status if not errors else 422
    )


def _ended(request: Request, values: dict[str, Any] | None = None) -> Response:
    error = _(
        "Your workshop session has ended. Type the code again to carry on: what you wrote is still here."
    )
    return _join_page(request, values=_carried(values) if values else None, error=error, status=401)


@router.get("/workshops/session")
def session_page(
    request: Request, known: PublicAreaData, session: ReadSession, settings: SettingsDep
) -> Response:
    who = current(request, session, settings)
    if who is None:
        return _ended(request)
    return _session_page(request, session, known, who)


def _page_after_write(
    request: Request,
    write: Session,
    read: Session,
    known: AreaData,
    who: service.Participation,
    **page: Any,
) -> Response:
    """The participant's page after a write route: the write transaction ends (committed by the
    service, or rolled back when nothing was changed) before the page is read and rendered."""
    write.close()
    return _session_page(request, read, known, who, **page)


@router.get("/workshops/session/add")
def entry_start(
    request: Request, known: PublicAreaData, session: ReadSession, settings: SettingsDep
) -> Response:
    """The first question of a new entry."""
    who = current(request, session, settings)
    session.close()
    if who is None:
        return _ended(request)
    values = entry_flow.settle(
        {"submission_token": reports.new_submission_token()}, who.workshop, known
    )
    return _entry_page(request, known, who, entry_flow.steps_for(who.workshop)[0], values)


@router.post("/workshops/session/entries")
@csrf_exempt("checks its own token so that a stale form shows the entry again instead of losing it")
def add_entry(
    request: Request,
    data: Annotated[ReportStep, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: Live,
) -> Response:
    """Every screen of an entry posts here: `step` says which, `go` where next (see entry_flow)."""
    who = current(request, read, settings)
    read.close()
    if who is None:
        write.close()
        return _ended(request, flow.read_answers(data))
    values = entry_flow.read(data, who.workshop, known)
    if not values.get("submission_token"):
        values["submission_token"] = reports.new_submission_token()
    grading = reports.grade_answers(values, known)
    step = (
        data.step
        if data.step in entry_flow.steps_for(who.workshop)
        else entry_flow.steps_for(who.workshop)[-1]
    )
    if not csrf_passed(request, data.csrf_token):
        write.close()
        notice = _(
            "This page was open for a while, so we need you to press the button once more. What you wrote is still here."
        )
        return _entry_page(
            request, known, who, step, values, notice=notice, status=400, help_now=grading.urgent
        )
    code = (data.go or "").partition("language:")[2]
    if code:
        # Another language mid-entry: the same screen in the new words, every answer kept, remembered.
        write.close()
        if code not in known.area.locale_list:
            code = i18n.get_locale()
        i18n.set_locale(code)
        request.state.locale = code
        response = _entry_page(request, known, who, step, values, help_now=grading.urgent)
        response.set_cookie(
            "sm_lang", code, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
        )
        return response
    move = entry_flow.next_move(data, values, who.workshop, known)
    if not move.send:
        write.close()
        return _entry_page(
            request, known, who, move.step, values, move.errors, help_now=grading.urgent
        )

    limiter = request.app.state.rate_limiter
    bypassed: list[str] = []
    if not limiter.hit(
        "workshop_entry",
        f"participant:{who.participant.id}",
        limit=ENTRY_LIMIT,
        window_seconds=3600,
    ):
        if reports.may_hold_back(grading):
            write.close()
            notice = _(
                "You have sent a lot of entries. Please wait a little and send again: what you wrote is still here."
            )
            return _entry_page(request, known, who, "check", values, notice=notice, status=429)
        bypassed.append("rate_limit")
    report = ReportCreate.model_validate(
        {name: values.get(name) for name in ENTRY_FIELDS} | {"days": []}
    )
    sender = service.resume(
        write, _token(request, settings)
    )  # the participant again, in the write session
    if sender is None:
        write.close()
        return _ended(request, values)
    who = sender
    try:
        service.add_entry(
            write,
            known.area,
            who,
            report,
            language=i18n.get_locale(),
            chosen_categories=values["categories"],
            live=broker,
            bypassed_checks=bypassed,
            known=known,
        )
    except reports.ReportInputError:
        write.close()
        errors = {"where": _("Please choose a place from the list, or describe it in words.")}
        return _entry_page(request, known, who, "where", values, errors, help_now=grading.urgent)
    except service.WorkshopError:
        write.close()
        return _entry_page(
            request,
            known,
            who,
            entry_flow.steps_for(who.workshop)[0],
            values,
            {"kind": _("Please choose what you want to tell us about.")},
        )
    except SQLAlchemyError:
        write.close()
        notice = _(
            "Sorry, we could not save this just now. What you wrote is still here: please press send again in a minute."
        )
        return _entry_page(
            request, known, who, "check", values, notice=notice, status=503, help_now=grading.urgent
        )
    return RedirectResponse("/workshops/session?sent=1#mine", status_code=303)


@router.post("/workshops/session/entries/{entry_id}/withdraw")
def withdraw(
    request: Request,
    entry_id: DbId,
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: Live,
) -> Response:
    who = current(request, write, settings)
    if who is None:
        return _ended(request)
    try:
        withdrawal = service.withdraw_entry(write, who, entry_id, live=broker)
    except service.WorkshopError:
        return _page_after_write(
            request,
            write,
            read,
            known,
            who,
            notice=_("That entry is not one of yours, or it has gone already."),
            status=404,
        )
    if withdrawal.kept:
        # Said on the page, not in the address: a URL never hints at what was written.
        notice = _(
            "Because what you wrote may mean someone is not safe, we keep it so a safeguarding worker can check everyone is OK. It will not be published."
        )
        return _page_after_write(request, write, read, known, who, notice=notice, help_now=True)
    return RedirectResponse("/workshops/session?withdrawn=1#mine", status_code=303)


@router.post("/workshops/session/votes/{entry_id}")
def vote(
    request: Request,
    entry_id: DbId,
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: Live,
) -> Response:
    who = current(request, write, settings)
    if who is None:
        return _ended(request)
    try:
        service.toggle_vote(write, who, entry_id, live=broker)
    except service.WorkshopError as exc:
        messages = {
            "no_dots_left": _(
                "You have used all your dots. Take one back to move it somewhere else."
            ),
            "voting_closed": _("Voting has closed. Thank you for taking part."),
        }
        notice = messages.get(exc.code, _("That entry is no longer on the wall."))
        return _page_after_write(request, write, read, known, who, notice=notice, status=409)
    return RedirectResponse("/workshops/session#board", status_code=303)


@router.post("/workshops/session/questions/{question_id}")
def answer(
    request: Request,
    question_id: DbId,
    form: Annotated[AnswerForm, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: Live,
) -> Response:
    who = current(request, write, settings)
    if who is None:
        return _ended(request)
    try:
        if not form.option_id.isdigit():
            raise service.WorkshopError("not_found")
        service.answer_wording(write, who, question_id, int(form.option_id), live=broker)
    except service.WorkshopError:
        return _page_after_write(
            request,
            write,
            read,
            known,
            who,
            notice=_("Please choose one of the words, or this question has closed."),
            status=409,
        )
    return RedirectResponse("/workshops/session#questions", status_code=303)


@router.post("/workshops/session/leave")
def leave(request: Request, session: WriteSession, settings: SettingsDep) -> Response:
    """End this phone's session and forget it (on a shared phone, the next person starts fresh)."""
    service.leave(session, _token(request, settings))
    response = RedirectResponse("/workshops/join", status_code=303)
    response.delete_cookie(participant_cookie(settings), path="/")
    return response


@router.get("/workshops/session/events")
def events(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    broker: Live,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """This phone's live stream (text/event-stream): the board, and a walk's stop, as the room changes.

    Resumable by event number: a reconnecting phone's Last-Event-ID is answered from the database.
    """
    with db.read() as session:
        who = current(request, session, settings)
    if who is None:
        return Response(status_code=204)  # tells the browser's EventSource to stop trying
    workshop_id, participant_id = who.workshop.id, who.participant.id
    assert workshop_id is not None and participant_id is not None
    last_event_id = request.headers.get("last-event-id", "")
    if last_event_id.isdigit():
        after = int(last_event_id)

    def load(wid: int, last: int) -> list[Any]:
        with db.read() as s:
            return list(service.events_after(s, wid, last))

    render_batch = functools.partial(
        stream.render_phone_batch,
        db,
        workshop_id,
        participant_id,
        locale=i18n.get_locale(),
        csrf_token=csrf_token(request),
    )
    body = live.event_stream(
        broker,
        workshop_id,
        after,
        load,
        render_batch,
        heartbeat=settings.workshop_heartbeat_seconds,
    )
    return StreamingResponse(
        body, media_type="text/event-stream", headers={"x-accel-buffering": "no"}
    )


@router.post("/workshops/session/walk/{stop_id}")
def rate_stop(
    request: Request,
    stop_id: DbId,
    form: Annotated[RatingForm, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: Live,
) -> Response:
    """A phone's ratings of the stop the group is at, and an optional note (a workshop entry)."""
    raw = form.model_dump(exclude={"csrf_token"})
    scores, errors = walks.read_scores(raw)
    values = {
        name: str(raw.get(name) or "")
        for name in (*walks.PARAMETER_NAMES, "note", "submission_token")
    }
    if not values["submission_token"]:
        values["submission_token"] = reports.new_submission_token()
    who = current(request, write, settings)
    if who is None:
        write.close()
        return _ended(request)
    grading = reports.grade_answers(
        {"description": values["note"]}, known
    )  # for help on screen at once
    if len(form.note) > walks.NOTE_MAX:
        errors["note"] = _(
            "Please keep this shorter: up to %(limit)s characters.", limit=f"{walks.NOTE_MAX:,}"
        )
    if errors:
        return _page_after_write(
            request,
            write,
            read,
            known,
            who,
            status=422,
            help_now=grading.urgent,
            walk_values=values,
            walk_errors=errors,
        )
    bypassed: list[str] = []
    limiter = request.app.state.rate_limiter
    if values["note"].strip() and not limiter.hit(
        "workshop_entry",
        f"participant:{who.participant.id}",
        limit=ENTRY_LIMIT,
        window_seconds=3600,
    ):
        # A note is an entry: the same limit, and never for words that may be a disclosure.
        if reports.may_hold_back(grading):
            notice = _(
                "You have sent a lot of entries. Please wait a little and send again: what you wrote is still here."
            )
            return _page_after_write(
                request, write, read, known, who, notice=notice, status=429, walk_values=values
            )
        bypassed.append("rate_limit")
    try:
        walks.rate_stop(
            write,
            known.area,
            who,
            stop_id,
            scores,
            note=form.note,
            submission_token=values["submission_token"],
            live=broker,
            known=known,
            language=i18n.get_locale(),
            bypassed_checks=bypassed,
        )
    except walks.WalkError as exc:
        messages = {
            "nothing_given": _("Please choose at least one answer, or write a note."),
            "moved_on": _(
                "The group has moved on to another stop. Your note is still here: you can rate the new stop."
            ),
        }
        message = messages.get(
            exc.code, _("Sorry, that did not work. Please press the button again.")
        )
        if exc.code == "nothing_given":
            return _page_after_write(
                request,
                write,
                read,
                known,
                who,
                status=422,
                walk_values=values,
                walk_errors={"lighting": message},
            )
        return _page_after_write(
            request,
            write,
            read,
            known,
            who,
            notice=message,
            status=409,
            help_now=grading.urgent,
            walk_values={"note": values["note"], "submission_token": values["submission_token"]},
        )
    except SQLAlchemyError:
        notice = _(
            "Sorry, we could not save this just now. What you wrote is still here: please press send again in a minute."
        )
        return _page_after_write(
            request,
            write,
            read,
            known,
            who,
            notice=notice,
            status=503,
            help_now=grading.urgent,
            walk_values=values,
        )
    return RedirectResponse("/workshops/session?rated=1#walk", status_code=303)
