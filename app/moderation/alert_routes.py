"""The alerts page for the area's admins: every safeguarding alert and what happened to each email."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.core.i18n import lazy_gettext as _l
from app.core.mail import MailerDep
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import ReadSession, require_role, use_locale
from app.moderation import alert_status
from app.moderation.models import OutboxState

router = APIRouter(prefix="/staff/alerts", dependencies=[Depends(use_locale)], include_in_schema=False)
AreaAdmin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]

STATE_LABELS = {
    OutboxState.QUEUED: _l("Waiting or trying again"),
    OutboxState.SENDING: _l("Being sent"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Failed"),
    OutboxState.UNDELIVERABLE: _l("Could not be sent"),
}


@router.get("")
def alerts_page(request: Request, staff: AreaAdmin, session: ReadSession, mailer: MailerDep, state: str = "") -> Response:
    assert staff.area.id is not None
    chosen = state if state in {s.value for s in OutboxState} else ""
    return render(
        request,
        "moderation/alerts.html",
        {
            "views": alert_status.alerts_overview(session, staff.area.id, state=chosen or None),
            "state_labels": STATE_LABELS,
            "state": chosen,
            "mail_configured": mailer.configured,
            "status": alert_status.message_status,
            "purpose_labels": alert_status.PURPOSE_LABELS,
            "now": utcnow(),
        },
    )
