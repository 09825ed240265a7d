"""The participant's side, shared by its routes: the participant cookie, who this phone is, and
the pages every route shows (the join page, the participant's page, one screen of an entry).

The join code opens a short-lived participant session: a cookie with a signed random token whose
hash is all the database keeps (service.join). When the session or the code has ended, every form
shows the join page with a clear message and what the person typed still on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from app.areas.lookup import AreaData
from app.core import i18n
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.ratelimit import app_rate_limiter
from app.core.security import cookie_name
from app.core.templating import render
from app.reports import service as reports
from app.workshops import entries, entry_flow, phone, service, wording
from app.workshops.events import Participation
from app.workshops.models import WallStatus

ENTRY_FIELDS = (*entry_flow.ANSWER_FIELDS, "submission_token")
LIST_FIELDS = entry_flow.LIST_FIELDS
ENTRY_LIMIT = 30  # per participant per hour, for entries and a walk's notes alike


def serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="workshop-participant")


def participant_cookie(settings: Settings) -> str:
    return cookie_name(settings, "sm_workshop")


def token(request: Request, settings: Settings) -> str | None:
    raw = request.cookies.get(participant_cookie(settings))
    if not raw:
        return None
    try:
        return str(serializer(settings).loads(raw))
    except BadSignature:
        return None


def current(request: Request, session: Session, settings: Settings) -> Participation | None:
    who = service.resume(session, token(request, settings))
    if who is not None:
        # The workshop's language, unless the person picked another one on this phone.
        chosen = request.query_params.get("lang") or request.cookies.get("sm_lang")
        if chosen not in i18n.LOCALES:
            i18n.set_locale(who.workshop.language)
            request.state.locale = who.workshop.language
    return who


def entry_allowed(request: Request, who: Participation, *, limit: int) -> bool:
    """Count one entry (or a walk's note) from this participant; False once over `limit` an hour."""
    limiter = app_rate_limiter(request)
    return bool(
        limiter.hit(
            "workshop_entry", f"participant:{who.participant.id}", limit=limit, window_seconds=3600
        )
    )


def carried(values: dict[str, Any]) -> dict[str, Any]:
    """The entry's answers to keep through the join page (nothing else a step posted)."""
    return {name: values.get(name) or ([] if name in LIST_FIELDS else "") for name in ENTRY_FIELDS}


def join_page(
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


def session_page(
    request: Request,
    session: Session,
    known: AreaData,
    who: Participation,
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
    my_entries = entries.entries_of(session, participant.id)
    context = {
        "workshop": workshop,
        "seq": workshop.event_seq,
        "notice": notice,
        "my_entries": my_entries,
        # Help at the top while words of theirs may mean someone is not safe.
        "help_now": help_now
        or any(reports.kept_for_safeguarding(report) for _entry, report in my_entries),
        "questions": wording.wording_results(
            session, wording.questions_of(session, workshop.id, open_only=True), participant.id
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


def entry_page(
    request: Request,
    known: AreaData,
    who: Participation,
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


def ended(request: Request, values: dict[str, Any] | None = None) -> Response:
    error = _(
        "Your workshop session has ended. Type the code again to carry on: what you wrote is still here."
    )
    return join_page(request, values=carried(values) if values else None, error=error, status=401)


def page_after_write(
    request: Request,
    write: Session,
    read: Session,
    known: AreaData,
    who: Participation,
    **page: Any,
) -> Response:
    """The participant's page after a write route: the write transaction ends (committed by the
    service, or rolled back when nothing was changed) before the page is read and rendered."""
    write.close()
    return session_page(request, read, known, who, **page)
