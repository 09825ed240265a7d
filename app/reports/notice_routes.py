"""The optional "tell me when something changes" email: asking for it, and stopping it.

Asked for on the receipt page or on /track. As everywhere on /track the receipt code travels in the
POST body (never the address, so never a log or the history), every post checks CSRF, and every
post with a code counts against /track's rate limit. The stop link in an email carries a token of
its own instead (128 random bits, stored hashed): opening it only asks, the button stops.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from app.core import i18n
from app.core.i18n import gettext as _
from app.core.templating import render
from app.core.web import PublicArea, ReadSession, SettingsDep, WriteSession, use_locale
from app.reports import limits, notices, service, track_routes
from app.reports.models import Report

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)

RECEIPT_PAGE = "receipt"  # the page right after Send; anything else is /track
StopToken = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class NoticeForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = ""
    email: str = ""
    back_to: str = ""  # which page the form was on, so the answer is that page again


def _box(settings: SettingsDep) -> notices.AddressBox:
    return notices.AddressBox(settings.secret_key.get_secret_value())


AddressBoxDep = Annotated[notices.AddressBox, Depends(_box)]


def _address_error(code: str) -> str:
    if code == "address_empty":
        return _("Please type your email address. Or leave it: you do not need one.")
    if code == "address_too_long":
        return _("That email address is too long. Please check it.")
    return _("That does not look like an email address. Please check it: it looks like name@example.com.")


def _too_many(request: Request, code: str) -> Response:
    error = _("Too many tries. Please wait a little and try again.")
    return render(request, "reports/track.html", {"code": code.strip(), "error": error}, status_code=429)


def _not_found(request: Request, code: str) -> Response:
    return render(request, "reports/track.html", {"code": code.strip(), "error": str(track_routes.NOT_FOUND)}, status_code=422)


def _found(request: Request, read: Session, area: PublicArea, code: str) -> tuple[Report | None, dict[str, Any]]:
    assert area.id is not None
    report = service.find_by_receipt(read, area.id, code)
    if report is None:
        return None, {}
    context = track_routes.track_context(read, report)
    read.close()  # everything the page shows is loaded; the write below takes its own transaction
    return report, context


def _page(request: Request, data: NoticeForm, context: dict[str, Any], status: int = 200) -> Response:
    if data.back_to == RECEIPT_PAGE:
        # The receipt again, with the receipt code still in view.
        receipt = {key: context[key] for key in ("report", "help_now") if key in context}
        keys = ("notice_on", "notice_offered", "notice_email", "notice_error", "notice_said")
        values = receipt | {key: context[key] for key in keys} | {"back_to": RECEIPT_PAGE}
        return render(request, "reports/sent.html", values, status_code=status)
    return render(request, "reports/track_result.html", context, status_code=status)


@router.post("/track/notices")
def ask(
    request: Request, data: Annotated[NoticeForm, Form()], area: PublicArea, read: ReadSession, write: WriteSession,
    settings: SettingsDep, box: AddressBoxDep,
) -> Response:
    """The reporter asks to be emailed when something changes with their report."""
    if not limits.track_allowed(request, settings):
        return _too_many(request, data.code)
    report, context = _found(request, read, area, data.code)
    if report is None:
        return _not_found(request, data.code)
    context["help_now"] = context["kept"]
    try:
        notices.ask_to_be_told(write, box, report, data.email, i18n.get_locale())  # commits
    except notices.NoticeError as exc:
        if exc.code in ("closed", "no_report"):
            said = _("Nothing more will happen with this report, so there will be no news to email you about.")
            return _page(request, data, context | {"notice_offered": False, "notice_said": said}, 409)
        values = {"notice_email": data.email, "notice_error": _address_error(exc.code)}
        return _page(request, data, context | values, 422)
    said = _("Thank you. We will email you when something changes.")
    return _page(request, data, context | {"notice_on": True, "notice_said": said})


@router.post("/track/notices/stop")
def stop(
    request: Request, data: Annotated[NoticeForm, Form()], area: PublicArea, read: ReadSession, write: WriteSession,
    settings: SettingsDep,
) -> Response:
    """Stop the emails from /track (or the receipt page): the address is deleted at once."""
    if not limits.track_allowed(request, settings):
        return _too_many(request, data.code)
    report, context = _found(request, read, area, data.code)
    if report is None:
        return _not_found(request, data.code)
    notices.stop_for_report(write, report)  # commits
    said = _("We have stopped the emails and deleted your email address.")
    return _page(request, data, context | {"help_now": context["kept"], "notice_on": False, "notice_said": said})


@router.get("/track/notices/stop/{token}")
def stop_link(request: Request, token: StopToken, area: PublicArea, session: ReadSession) -> Response:
    """The link in every email: it asks first (a GET never changes anything), one button stops."""
    assert area.id is not None
    works = notices.stop_link_works(session, area.id, token)
    return render(request, "reports/_notice_stop.html", {"token": token, "works": works, "done": False})


@router.post("/track/notices/stop/{token}")
def stop_from_link(request: Request, token: StopToken, area: PublicArea, session: WriteSession) -> Response:
    assert area.id is not None
    notices.stop_by_token(session, area.id, token)  # commits
    return render(request, "reports/_notice_stop.html", {"token": token, "works": False, "done": True})
