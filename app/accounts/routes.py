"""Staff sign-in and sign-out.

Two ways in. With a password (argon2) and then a six-digit code from an authenticator app (TOTP),
set up the first time. Or with the person's organisation (OpenID Connect), where the area has set
it up. Between the password and the code, a signed cookie that lasts ten minutes says whose code
we are waiting for; no session exists until the code is right.

Someone with roles in several areas then chooses one (/staff/sign-in/area), and may switch later
(/staff/area). How many tries are allowed is decided in accounts/throttle.py; each refusal says
what is really happening (this connection must wait, or the account needs the code as well).

The routes read the form as a typed model (accounts/schemas.py), call one function of
accounts/sign_in.py, which decides and commits, and turn its outcome into a page or a redirect
and cookies. Screens that only look take a ReadSession; steps that change something a WriteSession.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import sessions, sso, totp
from app.accounts.models import Role
from app.accounts.schemas import (
    AreaChoiceForm,
    CodeForm,
    PasswordForm,
    SsoSettingsForm,
    SsoStartForm,
    check_sso_settings,
    format_role_mapping,
)
from app.accounts.service import CodeRefusal, StaffIdentity
from app.accounts.sign_in import (
    CodeOutcome,
    PasswordOutcome,
    PasswordRefusal,
    Started,
    code_screen,
    finish_with_organisation,
    move_to_area,
    sign_in_with_code,
    sign_in_with_password,
    sign_out_browser,
    start_with_organisation,
)
from app.accounts.sso import SsoRefusal
from app.accounts.throttle import SignInThrottle, minutes
from app.areas.models import Area
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import ngettext
from app.core.security import cookie_name, is_safe_redirect, new_csrf_cookie
from app.core.templating import render
from app.core.web import (
    DatabaseDep,
    ReadSession,
    SettingsDep,
    StaffDep,
    WriteSession,
    client_address,
    found,
    optional_staff,
    require_role,
    session_serializer,
    staff_cookie_name,
    staff_session_token,
    use_locale,
)

router = APIRouter(prefix="/staff", dependencies=[Depends(use_locale)], include_in_schema=False)
Admin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]


def get_throttle(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    return throttle


ThrottleDep = Annotated[SignInThrottle, Depends(get_throttle)]


def awaiting_choice(request: Request, db: DatabaseDep, settings: SettingsDep) -> sessions.AreaChoice | None:
    """The person whose session still waits for them to choose an area, if this browser has one.

    Like `optional_staff` (app.core.web), it resumes the session in its own short sessions (an
    expired one is dropped in a write transaction of its own), closed before the route runs.
    """
    token = staff_session_token(request, settings)
    if token is None:
        return None
    return sessions.awaiting_area_choice(
        db, token,
        idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_absolute_hours),
    )


AwaitingChoice = Annotated[sessions.AreaChoice | None, Depends(awaiting_choice)]
OptionalStaff = Annotated[StaffIdentity | None, Depends(optional_staff)]

PENDING_MAX_AGE_SECONDS = 600
CODE_PATH = "/staff/sign-in/code"
SET_UP_PATH = "/staff/sign-in/set-up-code"
CHOOSE_AREA_PATH = "/staff/sign-in/area"
SWITCH_AREA_PATH = "/staff/area"
CALLBACK_PATH = "/staff/sign-in/oidc/callback"


# --- Cookies ------------------------------------------------------------------------------------


def _pending_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="staff-sign-in-pending")


def _pending_cookie(settings: Settings) -> str:
    return cookie_name(settings, "sm_pending")


def _oidc_cookie(settings: Settings) -> str:
    return cookie_name(settings, "sm_oidc")


def _set_cookie(response: Response, settings: Settings, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")


def _clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax")


def _signed_in(request: Request, settings: Settings, token: str, next_path: str) -> Response:
    response = RedirectResponse(next_path, status_code=303)
    _set_cookie(response, settings, staff_cookie_name(settings), session_serializer(settings).dumps(token))
    _clear_cookie(response, settings, _pending_cookie(settings))
    _clear_cookie(response, settings, _oidc_cookie(settings))
    new_csrf_cookie(request, response, settings)
    return response


def _read_pending(request: Request, settings: Settings) -> dict[str, Any] | None:
    raw = request.cookies.get(_pending_cookie(settings))
    if not raw:
        return None
    try:
        value = _pending_serializer(settings).loads(raw, max_age=PENDING_MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        return None
    next_path = value.get("n")
    value["n"] = next_path if isinstance(next_path, str) and is_safe_redirect(next_path) else "/staff/"
    return value


def _pending_redirect(settings: Settings, user_id: int, enrolled: bool, next_path: str) -> Response:
    """After a right password: on to the code (or to setting one up), remembering whose it is."""
    response = RedirectResponse(CODE_PATH if enrolled else SET_UP_PATH, status_code=303)
    pending = _pending_serializer(settings).dumps({"u": user_id, "n": next_path})
    _set_cookie(response, settings, _pending_cookie(settings), pending, max_age=PENDING_MAX_AGE_SECONDS)
    return response


def _safe_next(value: object) -> str:
    text = str(value or "/staff/")
    return text if is_safe_redirect(text) else "/staff/"


# --- Password, then code ------------------------------------------------------------------------


def _connection_wait(seconds: int) -> str:
    num = minutes(seconds)
    return ngettext(
        "Too many tries from this connection, please wait %(num)s minute and try again.",
        "Too many tries from this connection, please wait %(num)s minutes and try again.",
        num,
    )


def _wrong_password() -> str:
    return _("That email and password do not match an active staff account. Please check them and try again.")


def _account_paused() -> str:
    return _("There have been several wrong passwords for this account in the last few minutes. To keep it safe, please enter your password and the six-digit code from your authenticator app together.")


def _password_refused(outcome: PasswordOutcome) -> tuple[str, int, bool]:
    """What the sign-in page says about a refused password: (message, status, ask for the code too)."""
    if outcome.connection_wait:
        return _connection_wait(outcome.connection_wait), 429, False
    if outcome.refusal == PasswordRefusal.PAUSED_WAIT:
        num = minutes(outcome.paused_wait)
        error = ngettext(
            "Please wait %(num)s minute before you try your password and code again.",
            "Please wait %(num)s minutes before you try your password and code again.",
            num,
        )
        return error, 429, True
    if outcome.refusal == PasswordRefusal.PAUSED:
        return _account_paused(), 401, True
    if outcome.refusal == PasswordRefusal.WRONG_WITH_CODE:
        return _("That email, password and code do not match an active staff account. Please check them, wait for a new code, and try again."), 401, True
    return _wrong_password(), 401, False


def _sign_in_page(
    request: Request, read: Session, *, email: str = "", error: str = "", next_path: str = "/staff/",
    needs_code: bool = False, status_code: int = 200,
) -> Response:
    organisations = sso.areas_with_sso(read)
    return render(
        request,
        "accounts/sign_in.html",
        {"email": email, "error": error, "next": next_path, "organisations": organisations, "needs_code": needs_code},
        status_code=status_code,
    )


def _signed_in_to(request: Request, settings: Settings, started: Started, next_path: str) -> Response:
    if started.choose_area:
        return _signed_in(request, settings, started.token, f"{CHOOSE_AREA_PATH}?{urlencode({'next': next_path})}")
    return _signed_in(request, settings, started.token, next_path)


@router.get("/sign-in")
def sign_in_form(request: Request, read: ReadSession, choice: AwaitingChoice, next: str = "/staff/") -> Response:
    if choice is not None:
        return RedirectResponse(f"{CHOOSE_AREA_PATH}?{urlencode({'next': _safe_next(next)})}", status_code=303)
    return _sign_in_page(request, read, next_path=_safe_next(next))


@router.post("/sign-in")
def sign_in(
    request: Request, data: Annotated[PasswordForm, Form()], read: ReadSession, write: WriteSession,
    settings: SettingsDep, throttle: ThrottleDep,
) -> Response:
    """The password step (accounts/sign_in.py decides; every answer costs one argon2 verification)."""
    next_path = _safe_next(data.next)
    outcome = sign_in_with_password(
        write, throttle, email=data.email, password=data.password, code=data.code, address=client_address(request, settings)
    )
    if outcome.started is not None:
        return _signed_in_to(request, settings, outcome.started, next_path)
    if outcome.user_id is not None:
        return _pending_redirect(settings, outcome.user_id, outcome.enrolled, next_path)
    error, status_code, needs_code = _password_refused(outcome)
    return _sign_in_page(request, read, email=data.email, error=error, next_path=next_path, needs_code=needs_code, status_code=status_code)


def _code_page(request: Request, read: Session, settings: Settings, *, error: str = "", status_code: int = 200) -> Response:
    pending = _read_pending(request, settings)
    if pending is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    screen = code_screen(read, pending["u"])
    user = screen.user if screen is not None else None
    if screen is None or user is None or not user.totp_secret:
        return RedirectResponse("/staff/sign-in", status_code=303)
    set_up = request.url.path == SET_UP_PATH
    if set_up and user.has_second_factor:
        return RedirectResponse(CODE_PATH, status_code=303)
    if not set_up and not user.has_second_factor:
        return RedirectResponse(SET_UP_PATH, status_code=303)
    context: dict[str, Any] = {"error": error, "action": request.url.path}
    if set_up:
        uri = totp.provisioning_uri(user.totp_secret, user.email, screen.area_name)
        context |= {
            "qr_svg": totp.qr_svg(uri, _("QR code to add Safety Map to your authenticator app")),
            "secret": totp.grouped(user.totp_secret),
        }
    template = "accounts/set_up_code.html" if set_up else "accounts/code.html"
    return render(request, template, context, status_code=status_code)


@router.get("/sign-in/code")
def code_form(request: Request, read: ReadSession, settings: SettingsDep) -> Response:
    return _code_page(request, read, settings)


@router.get("/sign-in/set-up-code")
def set_up_code_form(request: Request, read: ReadSession, settings: SettingsDep) -> Response:
    return _code_page(request, read, settings)


def _code_refused(outcome: CodeOutcome) -> tuple[str, int]:
    if outcome.connection_wait:
        return _connection_wait(outcome.connection_wait), 429
    if outcome.refusal == CodeRefusal.LOCKED:
        error = ngettext(
            "Too many codes did not work, so this account is paused for %(num)s minute. Please try again then, or ask your area administrator for help.",
            "Too many codes did not work, so this account is paused for %(num)s minutes. Please try again then, or ask your area administrator for help.",
            outcome.wait_minutes,
        )
        return error, 429
    if outcome.refusal == CodeRefusal.REUSED:
        return _("That code has already been used. Wait for your app to show a new one, then enter it."), 401
    return _("That code did not work. Check the time on your phone is right, and enter the newest code your app shows."), 401


def _check_code(
    request: Request, data: CodeForm, read: Session, write: Session, settings: Settings, throttle: SignInThrottle
) -> Response:
    pending = _read_pending(request, settings)
    if pending is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    outcome = sign_in_with_code(write, throttle, user_id=pending["u"], code=data.code, address=client_address(request, settings))
    if outcome.started is not None:
        return _signed_in_to(request, settings, outcome.started, pending["n"])
    if outcome.refusal == CodeRefusal.UNAVAILABLE:
        return RedirectResponse("/staff/sign-in", status_code=303)
    error, status_code = _code_refused(outcome)
    return _code_page(request, read, settings, error=error, status_code=status_code)


@router.post("/sign-in/code")
def code_submit(
    request: Request, data: Annotated[CodeForm, Form()], read: ReadSession, write: WriteSession,
    settings: SettingsDep, throttle: ThrottleDep,
) -> Response:
    return _check_code(request, data, read, write, settings, throttle)


@router.post("/sign-in/set-up-code")
def set_up_code_submit(
    request: Request, data: Annotated[CodeForm, Form()], read: ReadSession, write: WriteSession,
    settings: SettingsDep, throttle: ThrottleDep,
) -> Response:
    return _check_code(request, data, read, write, settings, throttle)


# --- Choosing an area, after sign-in and later ---------------------------------------------------


def _area_page(
    request: Request, areas: list[Area], *, action: str, next_path: str, current: Area | None = None, held_by_provider: bool = False
) -> Response:
    context = {"areas": areas, "action": action, "next": next_path, "current": current, "held_by_provider": held_by_provider}
    return render(request, "accounts/choose_area.html", context)


@router.get("/sign-in/area")
def choose_area_form(request: Request, choice: AwaitingChoice, next: str = "/staff/") -> Response:
    if choice is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    return _area_page(request, choice.areas, action=CHOOSE_AREA_PATH, next_path=_safe_next(next))


@router.post("/sign-in/area")
def choose_area(
    request: Request, choice: AwaitingChoice, write: WriteSession, settings: SettingsDep, data: Annotated[AreaChoiceForm, Form()]
) -> Response:
    if choice is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    assert choice.user.id is not None
    token = found(move_to_area(write, choice.session_id, choice.user.id, data.area))
    return _signed_in(request, settings, token, _safe_next(data.next))


@router.get("/area")
def switch_area_form(request: Request, staff: StaffDep, read: ReadSession) -> Response:
    areas, held_by_provider = sessions.areas_to_switch_to(read, staff)
    return _area_page(request, areas, action=SWITCH_AREA_PATH, next_path="/staff/", current=staff.area, held_by_provider=held_by_provider)


@router.post("/area")
def switch_area(request: Request, staff: StaffDep, write: WriteSession, settings: SettingsDep, data: Annotated[AreaChoiceForm, Form()]) -> Response:
    """Moves this session to another of the person's areas; refused (404) for an area where they
    have no role, and for a single sign-on session, which stays in its provider's area."""
    assert staff.user.id is not None
    token = found(move_to_area(write, staff.session_id, staff.user.id, data.area))
    return _signed_in(request, settings, token, "/staff/")


# --- Signing in with your organisation (OpenID Connect) ----------------------------------------


SSO_MESSAGES = {
    SsoRefusal.STATE: _l("This sign-in link has already been used or is too old. Please start again from the sign-in page."),
    SsoRefusal.BROWSER: _l("This sign-in was started in a different browser. Please start again from the sign-in page in this one."),
    SsoRefusal.PROVIDER: _l("We could not reach your organisation's sign-in service just now. Please try again in a few minutes, or sign in with a password and code."),
    SsoRefusal.ISSUER: _l("Your organisation's sign-in service did not identify itself as the one set up for this area, so we stopped. Please tell your area administrator."),
    SsoRefusal.TOKEN: _l("We could not check the answer from your organisation's sign-in service. Please start again."),
    SsoRefusal.EXPIRED: _l("The answer from your organisation's sign-in service had expired. Please start again."),
    SsoRefusal.EMAIL_UNVERIFIED: _l("Your organisation's sign-in service did not confirm your email address, so we cannot match it to a staff account."),
    SsoRefusal.DOMAIN: _l("Your email address is not one of the organisations set up for this area. If you think it should be, ask your area administrator."),
    SsoRefusal.NO_ROLE: _l("You signed in with your organisation, but none of your groups gives you a role in Safety Map here. If you need access, ask your area administrator to add your team."),
    SsoRefusal.INACTIVE: _l("Your staff account here is paused. Ask your area administrator if you think it should not be."),
}


def _sso_message(refusal: SsoRefusal) -> str:
    # Lazy strings, turned into words at request time so the page is in the person's language.
    return str(SSO_MESSAGES[refusal])


def _redirect_uris(settings: Settings) -> tuple[str, str]:
    return settings.base_url + CALLBACK_PATH, settings.base_url + "/staff/sign-in"


def _refused(request: Request, settings: Settings, refusal: SsoRefusal) -> Response:
    """The page for a refused single sign-on (accounts/sign_in.py has already audited it)."""
    status = 403 if refusal in {SsoRefusal.DOMAIN, SsoRefusal.NO_ROLE, SsoRefusal.INACTIVE, SsoRefusal.EMAIL_UNVERIFIED} else 400
    if refusal == SsoRefusal.PROVIDER:
        status = 502
    response = render(request, "accounts/sso_refused.html", {"message": _sso_message(refusal)}, status_code=status)
    _clear_cookie(response, settings, _oidc_cookie(settings))
    return response


# These two are `async`: they wait for the organisation's provider over the network, and
# accounts/sign_in.py runs every database and throttle step in the thread pool.


@router.post("/sign-in/oidc/{area_slug}")
async def oidc_start(
    area_slug: str, request: Request, data: Annotated[SsoStartForm, Form()], read: ReadSession, write: WriteSession,
    settings: SettingsDep, throttle: ThrottleDep,
) -> Response:
    next_path = _safe_next(data.next)
    redirect_uri, _logout = _redirect_uris(settings)
    started = await start_with_organisation(
        read, write, throttle, area_slug=area_slug, next_path=next_path, address=client_address(request, settings),
        redirect_uri=redirect_uri,
    )
    if started is None:
        raise HTTPException(status_code=404)
    if started.connection_wait:
        error = _connection_wait(started.connection_wait)
        return await run_in_threadpool(_sign_in_page, request, read, error=error, next_path=next_path, status_code=429)
    if started.refusal is not None:
        return _refused(request, settings, started.refusal)
    response = RedirectResponse(started.redirect_to, status_code=303)
    _set_cookie(response, settings, _oidc_cookie(settings), started.browser_token, max_age=int(sso.OIDC_ATTEMPT_LIFETIME.total_seconds()))
    return response


@router.get("/sign-in/oidc/callback")
async def oidc_callback(
    request: Request, write: WriteSession, settings: SettingsDep,
    state: str = "", code: str = "", error: str = "", iss: str | None = None,
) -> Response:
    """Where the provider sends the browser back. A GET by the protocol; it can be used only once,
    only by the browser that started the sign-in, and only within ten minutes."""
    redirect_uri, post_logout = _redirect_uris(settings)
    finished = await finish_with_organisation(
        write, state=state, browser_token=request.cookies.get(_oidc_cookie(settings), ""), code=code, error=error,
        issuer=iss, redirect_uri=redirect_uri, post_logout_redirect_uri=post_logout,
    )
    if finished.token is None:
        return _refused(request, settings, finished.refusal or SsoRefusal.STATE)
    return _signed_in(request, settings, finished.token, finished.next_path)


# --- Sign-out and home --------------------------------------------------------------------------


@router.post("/sign-out")
def sign_out(request: Request, write: WriteSession, settings: SettingsDep, staff: OptionalStaff, choice: AwaitingChoice) -> Response:
    """Ends this browser's session, signed in to an area or not yet (or not signed in at all)."""
    provider_logout = sign_out_browser(write, staff, choice)
    # After single sign-on, end the organisation's session too, where the provider offers it.
    response = RedirectResponse(provider_logout or "/staff/sign-in", status_code=303)
    _clear_cookie(response, settings, staff_cookie_name(settings))
    return response


@router.get("/")
def staff_home(staff: StaffDep) -> Response:
    """Each role lands on the first page of its own work, never on a page it may not open."""
    if staff.has(Role.MODERATOR):
        return RedirectResponse("/staff/moderation", status_code=303)
    if staff.has(Role.STATUTORY):
        return RedirectResponse("/staff/register", status_code=303)
    return RedirectResponse("/staff/workshops", status_code=303)


# --- The area's single sign-on settings (admins) -----------------------------------------------


def _settings_page(request: Request, staff: StaffIdentity, read: Session, settings: Settings, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, saved: bool = False, status_code: int = 200) -> Response:
    assert staff.area.id is not None
    config = sso.oidc_config(read, staff.area.id)
    claimed_elsewhere = sso.domains_claimed_elsewhere(read, config) if config else []
    if values is None:
        values = {
            "enabled": config.enabled if config else True,
            "organisation_name": config.organisation_name if config else "",
            "issuer": config.issuer if config else "",
            "client_id": config.client_id if config else "",
            "scopes": config.scopes if config else "openid email profile",
            "allowed_domains": config.allowed_domains if config else "",
            "groups_claim": config.groups_claim if config else "groups",
            "role_mapping": format_role_mapping(config.role_mapping) if config else "",
        }
    redirect_uri, post_logout = _redirect_uris(settings)
    return render(
        request,
        "accounts/sso_settings.html",
        {
            "values": values,
            "errors": errors or {},
            "saved": saved,
            # Whether a secret is saved, never the secret itself.
            "has_secret": bool(config and config.client_secret),
            "redirect_uri": redirect_uri,
            "post_logout_redirect_uri": post_logout,
            "roles": [role.value for role in Role],
            "domains_taken": _domains_taken(claimed_elsewhere) if claimed_elsewhere else "",
        },
        status_code=status_code,
    )


@router.get("/admin/sign-in")
def sso_settings(request: Request, staff: Admin, read: ReadSession, settings: SettingsDep, saved: str = "") -> Response:
    return _settings_page(request, staff, read, settings, saved=saved == "1")


@router.post("/admin/sign-in")
def sso_settings_save(
    request: Request, staff: Admin, data: Annotated[SsoSettingsForm, Form()], read: ReadSession, write: WriteSession,
    settings: SettingsDep,
) -> Response:
    parsed, errors = check_sso_settings(data, allow_loopback_http=settings.env == "test")
    if parsed is None:
        return _settings_page(request, staff, read, settings, values=data.shown_again(), errors=errors, status_code=400)
    assert staff.area.id is not None
    try:
        sso.save_area_settings(write, staff.area.id, parsed, actor_id=staff.user.id)
    except sso.DomainTaken as exc:
        errors = {"allowed_domains": _domains_taken(exc.domains)}
        return _settings_page(request, staff, read, settings, values=data.shown_again(), errors=errors, status_code=400)
    return RedirectResponse("/staff/admin/sign-in?saved=1", status_code=303)


def _domains_taken(domains: list[str]) -> str:
    return ngettext(
        "Another area's sign-in already lets in people at %(domains)s. An email domain can belong to one area only: take it out here, or ask a Safety Map administrator to move it.",
        "Another area's sign-in already lets in people at %(domains)s. An email domain can belong to one area only: take them out here, or ask a Safety Map administrator to move them.",
        len(domains),
        domains=", ".join(domains),
    )
