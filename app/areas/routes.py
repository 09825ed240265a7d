"""The area's settings, for its admins: who is alerted, how soon things escalate, and its time zone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.areas import service
from app.areas.schemas import FIELD_ERRORS, SafeguardingSettings, SafeguardingSettingsForm
from app.core.i18n import known_time_zones
from app.core.mail import MailerDep
from app.core.templating import render
from app.core.web import DatabaseDep, require_role, use_locale

router = APIRouter(prefix="/staff/admin/safeguarding", dependencies=[Depends(use_locale)], include_in_schema=False)
AreaAdmin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]


def _page(request: Request, staff: StaffIdentity, mail_configured: bool, values: dict[str, Any], *, errors: dict[str, str] | None = None, saved: bool = False, status_code: int = 200) -> Response:
    return render(
        request, "areas/safeguarding.html",
        {
            "values": values, "errors": errors or {}, "saved": saved, "mail_configured": mail_configured,
            "time_zones": sorted(known_time_zones()), "area_locales": staff.area.locale_list,
        },
        status_code=status_code,
    )


@router.get("")
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


@router.post("")
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
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            if name in FIELD_ERRORS and name not in errors:
                errors[name] = str(FIELD_ERRORS[name])
    if errors:
        return _page(request, staff, mailer.configured, values, errors=errors, status_code=400)
    assert staff.area.id is not None
    with db.transaction() as session:
        area = service.get_area(session, staff.area.id)
        assert area is not None
        service.save_safeguarding_settings(session, area, parsed, actor_id=staff.user.id)
    return RedirectResponse("/staff/admin/safeguarding?saved=1", status_code=303)
