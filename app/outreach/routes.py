"""Posters with a QR code, partners' links and campaigns (staff), and the short link they open (/r/CODE)."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field, ValidationError, field_validator

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.areas.service import places
from app.core.i18n import lazy_gettext as _l
from app.core.security import csrf_passed
from app.core.templating import render
from app.core.web import (
    DbId,
    ReadSession,
    SettingsDep,
    WriteSession,
    found,
    require_role,
    use_locale,
)
from app.outreach import service
from app.outreach.models import LinkKind, OutreachLink
from app.reports.taxonomy import KIND_LABELS as REPORT_KIND_LABELS

router = APIRouter(prefix="/staff/outreach", dependencies=[Depends(use_locale)], include_in_schema=False)
public_router = APIRouter(include_in_schema=False)
# Facilitators bring people in (workshops, posters, partners); admins can too.
Outreach = Annotated[StaffIdentity, Depends(require_role(Role.FACILITATOR))]

MESSAGES = {
    "kind_unknown": _l("Choose a poster or a partner's link."),
    "label_missing": _l("Say where it will be, so you can tell the counts apart."),
    "label_too_long": _l("Keep the name to 120 characters or fewer."),
    "partner_missing": _l("Say which partner the link is for."),
    "partner_too_long": _l("Keep the partner's name to 160 characters or fewer."),
    "place_unknown": _l("Choose a place from the list, or none."),
    "campaign_unknown": _l("Choose a campaign from the list, or none."),
    "name_missing": _l("Give the campaign a name."),
    "name_too_long": _l("Keep the name to 120 characters or fewer."),
    "purpose_too_long": _l("Keep what it is for to 500 characters or fewer."),
    "date_invalid": _l("Enter a date like 2027-03-31."),
    "ends_before_start": _l("The end date must be on or after the start date."),
    "too_long": _l("A campaign can last a year at most."),
    "csrf": _l("This form had expired. Your answers are below: please send it again."),
}
KIND_LABELS = {LinkKind.POSTER: _l("Poster with a QR code"), LinkKind.PARTNER: _l("A partner's link")}


def _optional_id(value: object) -> object:
    return None if value in ("", None) else value


class LinkForm(BaseModel):
    csrf_token: str = ""
    kind: str = Field("poster", max_length=12)
    label: str = Field("", max_length=2000)
    partner_name: str = Field("", max_length=2000)
    place_id: str = Field("", max_length=12)
    campaign_id: str = Field("", max_length=12)


class CampaignForm(BaseModel):
    csrf_token: str = ""
    name: str = Field("", max_length=2000)
    purpose: str = Field("", max_length=5000)
    starts_on: str = Field("", max_length=20)
    ends_on: str = Field("", max_length=20)


class ActiveForm(BaseModel):
    csrf_token: str = ""
    active: bool = False


class _Id(BaseModel):
    value: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None

    @field_validator("value", mode="before")
    @classmethod
    def blank(cls, value: object) -> object:
        return _optional_id(value)


def _id_or_error(text: str, field: str, errors: dict[str, str]) -> int | None:
    try:
        return _Id(value=text).value  # type: ignore[arg-type]
    except ValidationError:
        errors[field] = str(MESSAGES[f"{field.removesuffix('_id')}_unknown"])
        return None


def _date_or_error(text: str, field: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = str(MESSAGES["date_invalid"])
        return None


def _page(
    request: Request, session: Any, staff: StaffIdentity, *, link_values: dict[str, str] | None = None,
    campaign_values: dict[str, str] | None = None, link_errors: dict[str, str] | None = None,
    campaign_errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    assert staff.area.id is not None
    return render(
        request,
        "outreach/list.html",
        {
            "rows": service.link_rows(session, staff.area.id),
            "campaigns": service.campaigns(session, staff.area.id),
            "places": places(session, staff.area.id),
            "kinds": KIND_LABELS,
            "link_values": link_values or {"kind": "poster"},
            "campaign_values": campaign_values or {},
            "link_errors": link_errors or {},
            "campaign_errors": campaign_errors or {},
            "notice": request.query_params.get("done", ""),
            "today": service.today(),
        },
        status_code=status_code,
    )


@router.get("")
def outreach_home(request: Request, staff: Outreach, session: ReadSession) -> Response:
    return _page(request, session, staff)


@router.post("/links")
def create_link(request: Request, staff: Outreach, read: ReadSession, write: WriteSession, data: Annotated[LinkForm, Form()]) -> Response:
    values = data.model_dump(exclude={"csrf_token"})
    errors: dict[str, str] = {}
    if not csrf_passed(request, data.csrf_token):
        return _page(request, read, staff, link_values=values, link_errors={"label": str(MESSAGES["csrf"])}, status_code=400)
    place_id = _id_or_error(data.place_id, "place_id", errors)
    campaign_id = _id_or_error(data.campaign_id, "campaign_id", errors)
    if not errors:
        try:
            link = service.create_link(
                write, staff, kind=data.kind, label=data.label, partner_name=data.partner_name, place_id=place_id, campaign_id=campaign_id
            )
        except service.OutreachError as exc:
            errors[exc.field] = str(MESSAGES[exc.code])
        else:
            return RedirectResponse(f"/staff/outreach/links/{link.id}?done=created", status_code=303)
    write.close()
    return _page(request, read, staff, link_values=values, link_errors=errors, status_code=400)


@router.post("/campaigns")
def create_campaign(request: Request, staff: Outreach, read: ReadSession, write: WriteSession, data: Annotated[CampaignForm, Form()]) -> Response:
    values = data.model_dump(exclude={"csrf_token"})
    errors: dict[str, str] = {}
    if not csrf_passed(request, data.csrf_token):
        return _page(request, read, staff, campaign_values=values, campaign_errors={"name": str(MESSAGES["csrf"])}, status_code=400)
    starts_on = _date_or_error(data.starts_on, "starts_on", errors)
    ends_on = _date_or_error(data.ends_on, "ends_on", errors)
    if starts_on and ends_on and not errors:
        try:
            campaign = service.create_campaign(write, staff, name=data.name, purpose=data.purpose, starts_on=starts_on, ends_on=ends_on)
        except service.OutreachError as exc:
            errors[exc.field] = str(MESSAGES[exc.code])
        else:
            return RedirectResponse(f"/staff/outreach/campaigns/{campaign.id}", status_code=303)
    write.close()
    return _page(request, read, staff, campaign_values=values, campaign_errors=errors, status_code=400)


def _link_or_404(session: Any, staff: StaffIdentity, link_id: int) -> OutreachLink:
    assert staff.area.id is not None
    return found(service.get_link(session, staff.area.id, link_id))


def qr_svg(url: str, title: str) -> Markup:
    """The QR code as inline SVG, drawn here: no image service, nothing fetched."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=10, border=4, title=title, svgclass="qr-code", lineclass=None)
    svg = out.getvalue().decode("utf-8")
    # A viewBox, so the code scales to the poster instead of being cut off at its drawn size.
    size = re.search(r'width="(\d+)" height="(\d+)"', svg)
    if size:
        svg = svg.replace(size.group(0), f'{size.group(0)} viewBox="0 0 {size.group(1)} {size.group(2)}"', 1)
    return Markup(svg)  # noqa: S704 - segno's own SVG; the only text in it is our URL and title, escaped by segno


def _short_url(settings: Any, link: OutreachLink) -> str:
    return f"{str(settings.base_url).rstrip('/')}/r/{link.code}"


@router.get("/links/{link_id}")
def link_page(request: Request, link_id: DbId, staff: Outreach, session: ReadSession, settings: SettingsDep) -> Response:
    link = _link_or_404(session, staff, link_id)
    (row,) = service.link_rows(session, link.area_id, only=link)
    url = _short_url(settings, link)
    return render(request, "outreach/link.html", {"row": row, "url": url, "kinds": KIND_LABELS, "notice": request.query_params.get("done", "")})


@router.get("/links/{link_id}/poster")
def poster(request: Request, link_id: DbId, staff: Outreach, session: ReadSession, settings: SettingsDep) -> Response:
    link = _link_or_404(session, staff, link_id)
    url = _short_url(settings, link)
    return render(request, "outreach/poster.html", {"link": link, "url": url, "qr": qr_svg(url, str(_l("QR code: opens Safety Map")))})


@router.post("/links/{link_id}/active")
def set_active(request: Request, link_id: DbId, staff: Outreach, session: WriteSession, data: Annotated[ActiveForm, Form()]) -> Response:
    if not csrf_passed(request, data.csrf_token):
        raise HTTPException(status_code=400)
    link = _link_or_404(session, staff, link_id)
    service.set_active(session, staff, link, data.active)
    return RedirectResponse(f"/staff/outreach/links/{link_id}?done={'resumed' if data.active else 'paused'}", status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: DbId, staff: Outreach, session: ReadSession) -> Response:
    assert staff.area.id is not None
    campaign = found(service.get_campaign(session, staff.area.id, campaign_id))
    summary = service.campaign_summary(session, staff.area, campaign)
    return render(request, "outreach/campaign.html", {"summary": summary, "kinds": KIND_LABELS, "report_kinds": REPORT_KIND_LABELS})


@public_router.get("/r/{code}")
def open_link(request: Request, code: Annotated[str, Path(max_length=16)], session: WriteSession) -> Response:
    """A poster's QR code or a partner's link: count one opening, then the report form.

    The one GET that writes, and all it writes is a number for the day: no cookie is set and
    nothing about the person is kept. HEAD (link previews) is not counted. An unknown or paused
    code still goes to the form, so a poster left up never leads nowhere.
    """
    if not request.scope.get("safetymap.head") and code.isalnum():
        service.count_visit(session, code)
    return RedirectResponse("/report", status_code=303)
