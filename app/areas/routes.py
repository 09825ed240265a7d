"""The area's settings, for its admins: who is alerted, how soon things escalate, its time zone, and
the area's own help contacts on every public page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.areas import help_contacts, service
from app.areas.forms import (
    HelpContactForm,
    HelpContactRemoveForm,
    check_help_contact,
    help_language_choices,
    language_choices,
)
from app.areas.schemas import FIELD_ERRORS, SafeguardingSettings, SafeguardingSettingsForm
from app.core.forms import field_messages
from app.core.i18n import known_time_zones
from app.core.i18n import lazy_gettext as _l
from app.core.mail import MailerDep
from app.core.templating import render
from app.core.web import DatabaseDep, ReadSession, WriteSession, require_role, use_locale

router = APIRouter(prefix="/staff/admin", dependencies=[Depends(use_locale)], include_in_schema=False)
AreaAdmin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]


def _page(request: Request, staff: StaffIdentity, mail_configured: bool, values: dict[str, Any], *, errors: dict[str, str] | None = None, saved: bool = False, status_code: int = 200) -> Response:
    return render(
        request, "areas/safeguarding.html",
        {
            "values": values, "errors": errors or {}, "saved": saved, "mail_configured": mail_configured,
            "time_zones": sorted(known_time_zones()), "alert_locale_choices": language_choices(staff.area.locale_list),
        },
        status_code=status_code,
    )


@router.get("/safeguarding")
def safeguarding_settings(request: Request, staff: AreaAdmin, db: DatabaseDep, mailer: MailerDep, saved: str = "") -> Response:
    assert staff.area.id is not None
    with db.session() as session:
        area = service.get_area(session, staff.area.id)
    assert area is not None
    values = {
        "safeguarding_emails": area.safeguarding_emails, "escalation_emails": area.escalation_emails,
        "urgent_response_minutes": str(area.urgent_response_minutes), "review_hours": str(area.review_hours),
        "time_zone": area.time_zone, "alert_locales": area.alert_locale_list,
    }
    return _page(request, staff, mailer.configured, values, saved=saved == "1")


@router.post("/safeguarding")
def safeguarding_settings_save(
    request: Request, staff: AreaAdmin, db: DatabaseDep, mailer: MailerDep, data: Annotated[SafeguardingSettingsForm, Form()],
) -> Response:
    values: dict[str, Any] = {name: value.strip() for name, value in data.model_dump(exclude={"alert_locales"}).items()}
    values["alert_locales"] = list(dict.fromkeys(code.strip() for code in data.alert_locales if code.strip()))
    errors: dict[str, str] = {}
    if any(code not in staff.area.locale_list for code in values["alert_locales"]):
        errors["alert_locales"] = str(FIELD_ERRORS["alert_locales"])
    try:
        parsed = SafeguardingSettings.model_validate(values)
    except ValidationError as exc:
        field_messages(exc, FIELD_ERRORS, into=errors)
    if errors:
        return _page(request, staff, mailer.configured, values, errors=errors, status_code=400)
    assert staff.area.id is not None
    with db.transaction() as session:
        area = service.get_area(session, staff.area.id)
        assert area is not None
        service.save_safeguarding_settings(session, area, parsed, actor_id=staff.user.id)
    return RedirectResponse("/staff/admin/safeguarding?saved=1", status_code=303)


# --- The area's own help contacts ---------------------------------------------------------------

HELP_CONTACT_ERRORS = {
    "gone": _l("Someone else removed this contact while you were changing it. Save again to add it back."),
    "too_many": _l("The list is full: remove a contact before adding another."),
}


def _help_contacts_page(
    request: Request, session: Session, staff: StaffIdentity, values: dict[str, Any], *, errors: dict[str, str] | None = None,
    done: str = "", status_code: int = 200,
) -> Response:
    assert staff.area.id is not None
    area = service.get_area(session, staff.area.id)
    assert area is not None
    return render(
        request, "areas/help_contacts.html",
        {
            "contacts": help_contacts.contacts_of(area), "values": values, "errors": errors or {}, "done": done,
            "language_choices": help_language_choices(), "max_contacts": help_contacts.MAX_CONTACTS,
        },
        status_code=status_code,
    )


def _contact_values(contact: help_contacts.HelpContact | None, position: int | None = None) -> dict[str, Any]:
    if contact is None:
        return {"key": "", "name": "", "phone": "", "url": "", "description": "", "languages": [], "position": ""}
    return {
        "key": contact.key, "name": contact.name, "phone": contact.phone, "url": contact.url, "description": contact.description,
        "languages": list(contact.languages), "position": str(position or ""),
    }


@router.get("/help-contacts")
def help_contacts_settings(
    request: Request, staff: AreaAdmin, session: ReadSession,
    edit: Annotated[str, Query(max_length=40)] = "", done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    assert staff.area.id is not None
    area = service.get_area(session, staff.area.id)
    assert area is not None
    contacts = help_contacts.contacts_of(area)
    keys = [contact.key for contact in contacts]
    editing = contacts[keys.index(edit)] if edit in keys else None
    if edit and editing is None:
        done = "gone"
    values = _contact_values(editing, keys.index(edit) + 1 if editing else None)
    return _help_contacts_page(request, session, staff, values, done=done)


@router.post("/help-contacts")
def help_contact_save(
    request: Request, staff: AreaAdmin, read: ReadSession, write: WriteSession, data: Annotated[HelpContactForm, Form()],
) -> Response:
    values: dict[str, Any] = data.model_dump()
    parsed, errors = check_help_contact(data)
    if parsed is not None:
        assert staff.area.id is not None
        try:
            help_contacts.save_help_contact(write, staff.area.id, parsed, key=data.key, actor_id=staff.user.id)
        except help_contacts.HelpContactError as exc:
            errors["name"] = str(HELP_CONTACT_ERRORS[exc.code])
            if exc.code == "gone":
                values["key"] = ""
        else:
            return RedirectResponse(f"/staff/admin/help-contacts?done={'changed' if data.key else 'added'}", status_code=303)
    write.close()
    return _help_contacts_page(request, read, staff, values, errors=errors, status_code=400)


@router.post("/help-contacts/remove")
def help_contact_remove(staff: AreaAdmin, session: WriteSession, data: Annotated[HelpContactRemoveForm, Form()]) -> Response:
    assert staff.area.id is not None
    removed = help_contacts.remove_help_contact(session, staff.area.id, data.key, actor_id=staff.user.id)
    return RedirectResponse(f"/staff/admin/help-contacts?done={'removed' if removed else 'gone'}", status_code=303)
