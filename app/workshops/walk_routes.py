"""A safety walk on a participant's phone: their ratings of the stop the group is at, and a note.

The ratings are judged by walks.read_scores; a note is a workshop entry (walks.rate_stop), counted
against the same hourly limit as entries and never held back when its words may be a disclosure.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError

from app.core import i18n
from app.core.i18n import gettext as _
from app.core.live import LiveBrokerDep
from app.core.web import DbId, PublicAreaData, ReadSession, SettingsDep, WriteSession, use_locale
from app.reports import service as reports
from app.workshops import participant_pages as pages
from app.workshops import walks
from app.workshops.participant_pages import ENTRY_LIMIT

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)


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


@router.post("/workshops/session/walk/{stop_id}")
def rate_stop(
    request: Request,
    stop_id: DbId,
    data: Annotated[RatingForm, Form()],
    known: PublicAreaData,
    read: ReadSession,
    write: WriteSession,
    settings: SettingsDep,
    broker: LiveBrokerDep,
) -> Response:
    """A phone's ratings of the stop the group is at, and an optional note (a workshop entry)."""
    raw = data.model_dump(exclude={"csrf_token"})
    scores, errors = walks.read_scores(raw)
    values = {
        name: str(raw.get(name) or "")
        for name in (*walks.PARAMETER_NAMES, "note", "submission_token")
    }
    if not values["submission_token"]:
        values["submission_token"] = reports.new_submission_token()
    who = pages.current(request, write, settings)
    if who is None:
        write.close()
        return pages.ended(request)
    # For help on screen at once.
    grading = reports.grade_answers({"description": values["note"]}, known)
    if len(data.note) > walks.NOTE_MAX:
        errors["note"] = _(
            "Please keep this shorter: up to %(limit)s characters.", limit=f"{walks.NOTE_MAX:,}"
        )
    if errors:
        return pages.page_after_write(
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
    if values["note"].strip() and not pages.entry_allowed(request, who, limit=ENTRY_LIMIT):
        # A note is an entry: the same limit, and never for words that may be a disclosure.
        if reports.may_hold_back(grading):
            notice = _(
                "You have sent a lot of entries. Please wait a little and send again: what you wrote is still here."
            )
            return pages.page_after_write(
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
            note=data.note,
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
            return pages.page_after_write(
                request,
                write,
                read,
                known,
                who,
                status=422,
                walk_values=values,
                walk_errors={"lighting": message},
            )
        return pages.page_after_write(
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
        return pages.page_after_write(
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
