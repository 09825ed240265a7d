"""The patterns page: what rose lately, in one context or across several, with the numbers that show it.

Who may do what:
- read the patterns (current and past, with their evidence): as for the register, statutory teams
  and moderators;
- change the area's thresholds for finding them: the area's admins.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.audit.access import ViewRecord, records_view
from app.core.templating import render
from app.core.web import ReadSession, WriteSession, require_role, use_locale
from app.register.patterns import page as pattern_page
from app.register.patterns import settings as pattern_settings
from app.register.patterns import words as pattern_words
from app.taxonomy.service import category_names

router = APIRouter(
    prefix="/staff/register/patterns", dependencies=[Depends(use_locale)], include_in_schema=False
)
PatternReader = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY, Role.MODERATOR))]
AreaAdmin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]


def _area_id(staff: StaffIdentity) -> int:
    assert staff.area.id is not None
    return staff.area.id


def _page(
    request: Request,
    session: Session,
    staff: StaffIdentity,
    show: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    views = pattern_page.patterns_page(session, _area_id(staff), show)
    thresholds = pattern_settings.thresholds_for(session, _area_id(staff))
    last_run = pattern_page.last_run(session, _area_id(staff))
    label = pattern_words.facet_labels(category_names(session, _area_id(staff)))
    return render(
        request,
        "register/patterns.html",
        {
            "views": views,
            "show": show,
            "thresholds": thresholds,
            "floor": thresholds.floor(staff.area.min_cell_count),
            "k": staff.area.min_cell_count,
            "last_run": last_run,
            "label": label,
            "facet_name": pattern_words.facet_name,
            "values": values or pattern_settings.form_values(thresholds),
            "errors": errors or {},
            "saved": saved,
            "significance_choices": pattern_settings.SIGNIFICANCE_CHOICES,
            "last_day": pattern_page.last_day,
        },
        status_code=status_code,
    )


@router.get("")
def patterns_list(
    request: Request,
    staff: PatternReader,
    session: ReadSession,
    view: Annotated[ViewRecord, Depends(records_view("patterns_viewed"))],
    show: str = "",
    saved: str = "",
) -> Response:
    chosen = show if show in pattern_page.SHOW else ""
    view.note(show=chosen or "all")
    return _page(request, session, staff, chosen, saved=saved == "1" and staff.has(Role.ADMIN))


@router.post("/settings")
def patterns_settings_save(
    request: Request,
    staff: AreaAdmin,
    read: ReadSession,
    write: WriteSession,
    data: Annotated[pattern_settings.PatternSettingsForm, Form()],
) -> Response:
    values = {name: value.strip() for name, value in data.model_dump().items()}
    try:
        parsed = pattern_settings.PatternSettingsInput.model_validate(values)
    except ValidationError as exc:
        return _page(
            request,
            read,
            staff,
            "",
            values=values,
            errors=pattern_settings.settings_errors(exc),
            status_code=400,
        )
    pattern_settings.save_settings(write, _area_id(staff), parsed, actor_id=staff.user.id)
    return RedirectResponse("/staff/register/patterns?saved=1#thresholds-h", status_code=303)
