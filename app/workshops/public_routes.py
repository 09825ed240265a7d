"""The participant's side, on a phone with no account: join with the code, add entries one
question per screen (entry_flow.py), vote on the wall, rate a safety walk's stops, and follow the
room live (the phone's own event stream).

This module holds an entry's screens and gathers the phone's other routes into one router:
room_routes.py (joining, the participant's page, dots, wording answers, leaving, the live stream)
and walk_routes.py (a safety walk's ratings). The participant cookie and the pages they share are
in participant_pages.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from app.core import i18n
from app.core.i18n import gettext as _
from app.core.live import LiveBrokerDep
from app.core.security import csrf_exempt, csrf_passed
from app.core.web import PublicAreaData, ReadSession, SettingsDep, WriteSession, use_locale
from app.reports import flow
from app.reports import service as reports
from app.reports.schemas import ReportCreate, ReportStep
from app.workshops import entries, entry_flow, room_routes, service, walk_routes
from app.workshops import participant_pages as pages
from app.workshops.events import WorkshopError
from app.workshops.participant_pages import ENTRY_FIELDS, ENTRY_LIMIT

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)
router.include_router(room_routes.router)
router.include_router(walk_routes.router)


@router.get("/workshops/session/add")
def entry_start(
    request: Request, known: PublicAreaData, session: ReadSession, settings: SettingsDep
) -> Response:
    """The first question of a new entry."""
    who = pages.current(request, session, settings)
    session.close()
    if who is None:
        return pages.ended(request)
    values = entry_flow.settle(
        {"submission_token": reports.new_submission_token()}, who.workshop, known
    )
    return pages.entry_page(request, known, who, entry_flow.steps_for(who.workshop)[0], values)


@router.post("/workshops/session/entries")
@csrf_exempt("checks its own token so that a stale form shows the entry again instead of losing it")
def add_entry(
    request: Request,
    data: Annotated[ReportStep, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: LiveBrokerDep,
) -> Response:
    """Every screen of an entry posts here: `step` says which, `go` where next (see entry_flow)."""
    who = pages.current(request, read, settings)
    read.close()
    if who is None:
        write.close()
        return pages.ended(request, flow.read_answers(data))
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
        return pages.entry_page(
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
        response = pages.entry_page(request, known, who, step, values, help_now=grading.urgent)
        response.set_cookie(
            "sm_lang", code, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
        )
        return response
    move = entry_flow.next_move(data, values, who.workshop, known)
    if not move.send:
        write.close()
        return pages.entry_page(
            request, known, who, move.step, values, move.errors, help_now=grading.urgent
        )

    bypassed: list[str] = []
    if not pages.entry_allowed(request, who, limit=ENTRY_LIMIT):
        if reports.may_hold_back(grading):
            write.close()
            notice = _(
                "You have sent a lot of entries. Please wait a little and send again: what you wrote is still here."
            )
            return pages.entry_page(request, known, who, "check", values, notice=notice, status=429)
        bypassed.append("rate_limit")
    report = ReportCreate.model_validate(
        {name: values.get(name) for name in ENTRY_FIELDS} | {"days": []}
    )
    # The participant again, in the write session.
    sender = service.resume(write, pages.token(request, settings))
    if sender is None:
        write.close()
        return pages.ended(request, values)
    who = sender
    try:
        entries.add_entry(
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
        return pages.entry_page(request, known, who, "where", values, errors, help_now=grading.urgent)
    except WorkshopError:
        write.close()
        return pages.entry_page(
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
        return pages.entry_page(
            request, known, who, "check", values, notice=notice, status=503, help_now=grading.urgent
        )
    return RedirectResponse("/workshops/session?sent=1#mine", status_code=303)
