"""Staff sign-in and sign-out with email and password (argon2)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts import service
from app.core.i18n import gettext as _
from app.core.security import is_safe_redirect
from app.core.templating import render
from app.core.web import (
    DatabaseDep,
    SettingsDep,
    StaffDep,
    client_address,
    session_serializer,
    staff_cookie_name,
    use_locale,
)

router = APIRouter(prefix="/staff", dependencies=[Depends(use_locale)], include_in_schema=False)


@router.get("/sign-in")
def sign_in_form(request: Request, next: str = "/staff/") -> Response:
    return render(request, "accounts/sign_in.html", {"email": "", "error": "", "next": next if is_safe_redirect(next) else "/staff/"})


@router.post("/sign-in")
async def sign_in(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    form = await request.form()
    email = str(form.get("email", ""))
    password = str(form.get("password", ""))
    next_path = str(form.get("next", "/staff/"))
    next_path = next_path if is_safe_redirect(next_path) else "/staff/"
    limiter = request.app.state.rate_limiter
    refused = _("That email and password do not match an active staff account, or the account is paused after several tries. Please try again in a few minutes.")
    if not limiter.hit("sign-in", client_address(request, settings), limit=20, window_seconds=900):
        return render(request, "accounts/sign_in.html", {"email": email, "error": refused, "next": next_path}, status_code=429)
    with db.transaction() as session:
        user = service.authenticate(session, email, password)
        areas = service.areas_for(session, user) if user else []
        token = service.start_session(session, user, areas[0]) if user and areas else None
    if token is None:
        return render(request, "accounts/sign_in.html", {"email": email, "error": refused, "next": next_path}, status_code=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        staff_cookie_name(settings),
        session_serializer(settings).dumps(token),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.post("/sign-out")
def sign_out(staff: StaffDep, db: DatabaseDep, settings: SettingsDep) -> Response:
    with db.transaction() as session:
        service.end_session(session, staff)
    response = RedirectResponse("/staff/sign-in", status_code=303)
    response.delete_cookie(staff_cookie_name(settings), path="/", secure=settings.secure_cookies, httponly=True, samesite="lax")
    return response


@router.get("/")
def staff_home(staff: StaffDep) -> Response:
    if staff.has("moderator"):
        return RedirectResponse("/staff/moderation", status_code=303)
    return RedirectResponse("/staff/register", status_code=303)
