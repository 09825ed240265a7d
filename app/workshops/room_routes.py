"""The participant in the room, on a phone with no account: joining with the code, their page
(their entries, the wall to put dots on, the room's wording questions), taking an entry back,
voting, answering, leaving, and the phone's own live stream.

An entry's screens are in public_routes.py, a safety walk's ratings in walk_routes.py; the cookie
and the pages they all show are in participant_pages.py.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.core import i18n, live
from app.core.i18n import gettext as _
from app.core.live import LiveBrokerDep
from app.core.ratelimit import app_rate_limiter
from app.core.security import csrf_token
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
from app.workshops import entries, entry_flow, service, stream, wall, wording
from app.workshops import participant_pages as pages
from app.workshops.events import WorkshopError, events_loader
from app.workshops.participant_pages import ENTRY_FIELDS, LIST_FIELDS

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)

JOIN_LIMIT = 200  # per address per 10 minutes: a whole room behind one venue router still fits


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


def _read_entry(form: EntryForm) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(form, name) for name in ENTRY_FIELDS}
    for name in LIST_FIELDS:
        values[name] = [v for v in getattr(form, name) if v]
    return values


@router.get("/workshops/join")
def join_form(request: Request, area: PublicArea, code: str = "") -> Response:
    return pages.join_page(request, code=service.normalise_join_code(code))


@router.post("/workshops/join")
def join(
    request: Request,
    data: Annotated[JoinForm, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
) -> Response:
    area = known.area
    code = data.code.strip()
    carried = (
        _read_entry(data)
        if any(getattr(data, name) for name in ("description", "location_text", "kind", "place_id"))
        else {}
    )
    limiter = app_rate_limiter(request)
    if not limiter.hit(
        "workshop_join", client_address(request, settings), limit=JOIN_LIMIT, window_seconds=600
    ):
        return pages.join_page(
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
    except WorkshopError as exc:
        error = (
            _(
                "This workshop has finished, so its code no longer works. Ask the facilitator if there is a new one."
            )
            if exc.code == "ended"
            else _(
                "We could not find a workshop with that code. Please check it: it has 6 letters and numbers, like KM4 7RT."
            )
        )
        return pages.join_page(
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
        response = pages.entry_page(request, known, who, step, values, errors if step != "check" else {})
    else:
        response = RedirectResponse("/workshops/session", status_code=303)
    response.set_cookie(
        pages.participant_cookie(settings),
        pages.serializer(settings).dumps(token),
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.get("/workshops/session")
def session_page(
    request: Request, known: PublicAreaData, session: ReadSession, settings: SettingsDep
) -> Response:
    who = pages.current(request, session, settings)
    if who is None:
        return pages.ended(request)
    return pages.session_page(request, session, known, who)


@router.post("/workshops/session/entries/{entry_id}/withdraw")
def withdraw(
    request: Request,
    entry_id: DbId,
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: LiveBrokerDep,
) -> Response:
    who = pages.current(request, write, settings)
    if who is None:
        return pages.ended(request)
    try:
        withdrawal = entries.withdraw_entry(write, who, entry_id, live=broker)
    except WorkshopError:
        return pages.page_after_write(
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
        return pages.page_after_write(request, write, read, known, who, notice=notice, help_now=True)
    return RedirectResponse("/workshops/session?withdrawn=1#mine", status_code=303)


@router.post("/workshops/session/votes/{entry_id}")
def vote(
    request: Request,
    entry_id: DbId,
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: LiveBrokerDep,
) -> Response:
    who = pages.current(request, write, settings)
    if who is None:
        return pages.ended(request)
    try:
        wall.toggle_vote(write, who, entry_id, live=broker)
    except WorkshopError as exc:
        messages = {
            "no_dots_left": _(
                "You have used all your dots. Take one back to move it somewhere else."
            ),
            "voting_closed": _("Voting has closed. Thank you for taking part."),
        }
        notice = messages.get(exc.code, _("That entry is no longer on the wall."))
        return pages.page_after_write(request, write, read, known, who, notice=notice, status=409)
    return RedirectResponse("/workshops/session#board", status_code=303)


@router.post("/workshops/session/questions/{question_id}")
def answer(
    request: Request,
    question_id: DbId,
    data: Annotated[AnswerForm, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: LiveBrokerDep,
) -> Response:
    who = pages.current(request, write, settings)
    if who is None:
        return pages.ended(request)
    try:
        if not data.option_id.isdigit():
            raise WorkshopError("not_found")
        wording.answer_wording(write, who, question_id, int(data.option_id), live=broker)
    except WorkshopError:
        return pages.page_after_write(
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
    service.leave(session, pages.token(request, settings))
    response = RedirectResponse("/workshops/join", status_code=303)
    response.delete_cookie(pages.participant_cookie(settings), path="/")
    return response


@router.get("/workshops/session/events")
def events(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    broker: LiveBrokerDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """This phone's live stream (text/event-stream): the board, and a walk's stop, as the room changes.

    Resumable by event number: a reconnecting phone's Last-Event-ID is answered from the database.
    """
    with db.read() as session:
        who = pages.current(request, session, settings)
    if who is None:
        return Response(status_code=204)  # tells the browser's EventSource to stop trying
    workshop_id, participant_id = who.workshop.id, who.participant.id
    assert workshop_id is not None and participant_id is not None
    after = live.resume_after(request, after)

    load = events_loader(db)

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
