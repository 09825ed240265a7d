"""Public pages that belong to no single domain: home, help, privacy, exit information, health."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from app.core.health import redis_status
from app.core.i18n import DEFAULT_LOCALE, LOCALES, catalogue_status
from app.core.mail import MailerDep
from app.core.security import is_safe_redirect
from app.core.templating import render
from app.core.web import DatabaseDep, PublicArea, SettingsDep, use_locale
from app.moderation import outbox
from app.reports.service import new_submission_token
from app.reports.taxonomy import KIND_HINTS, KIND_LABELS

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)
health_router = APIRouter()


@router.get("/")
def home(request: Request, area: PublicArea) -> Response:
    return render(request, "pages/home.html", {"kinds": KIND_LABELS, "hints": KIND_HINTS, "submission_token": new_submission_token()})


@router.get("/help")
def help_page(request: Request, area: PublicArea) -> Response:
    return render(request, "pages/help.html")


@router.get("/exit-this-page")
def exit_information(request: Request, area: PublicArea) -> Response:
    return render(request, "pages/exit_info.html")


@router.get("/privacy")
def privacy(request: Request, area: PublicArea) -> Response:
    return render(request, "pages/privacy.html")


@router.get("/languages")
def languages(request: Request, area: PublicArea) -> Response:
    """Which languages this site speaks, and how far each translation has been checked."""
    statuses = [catalogue_status(code) for code in LOCALES if code in area.locale_list and code != DEFAULT_LOCALE]
    return render(request, "pages/languages.html", {"statuses": statuses})


@router.get("/language/{code}")
def choose_language(code: str, settings: SettingsDep, next: str = "/") -> Response:
    """An explicit language choice, remembered in a small cookie for this browser session only."""
    target = next if is_safe_redirect(next) else "/"
    response = RedirectResponse(target, status_code=303)
    if code in LOCALES:
        response.set_cookie(
            "sm_lang", code, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
        )
    return response


@health_router.get("/healthz", tags=["health"])
def healthz(db: DatabaseDep, settings: SettingsDep, mailer: MailerDep) -> Response:
    """200 when the database answers ("degraded" when safeguarding alerts cannot be emailed, or Redis
    is set up and not answering); 503 when the database does not. See README, "Health"."""
    redis = redis_status(settings.redis_url)
    try:
        with db.read() as session:
            session.execute(text("SELECT 1"))
            mail = outbox.mail_health(session, configured=mailer.configured)
    except Exception:  # any database failure at all means "not healthy"
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "mail": "failing" if mailer.configured else "not_configured", "redis": redis},
            status_code=503,
        )
    status = "ok" if mail == "ok" and redis != "failing" else "degraded"
    return JSONResponse({"status": status, "database": db.engine.dialect.name, "mail": mail, "redis": redis})
