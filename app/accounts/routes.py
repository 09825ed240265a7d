"""Staff sign-in and sign-out.

Two ways in. With a password (argon2) and then a six-digit code from an authenticator app (TOTP),
set up the first time. Or with the person's organisation (OpenID Connect), where the area has set
it up. Between the password and the code, a signed cookie that lasts ten minutes says whose code
we are waiting for; no session exists until the code is right.

Someone with roles in several areas then chooses one (/staff/sign-in/area), and may switch later
(/staff/area). How many tries are allowed is decided in accounts/throttle.py; each refusal says
what is really happening (this connection must wait, or the account needs the code as well).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import oidc, service, sessions, sso, totp
from app.accounts.models import Role, User
from app.accounts.schemas import (
    FIELD_ERRORS,
    AreaChoiceForm,
    OidcConfigInput,
    format_role_mapping,
    parse_role_mapping,
)
from app.accounts.service import CodeRefusal, StaffIdentity
from app.accounts.sso import SsoRefusal
from app.accounts.throttle import SignInThrottle, Step, minutes
from app.areas.models import Area
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import ngettext
from app.core.security import cookie_name, is_safe_redirect, new_csrf_cookie
from app.core.templating import render
from app.core.web import (
    DatabaseDep,
    SettingsDep,
    StaffDep,
    client_address,
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


def _sign_in_page(
    request: Request, db: DatabaseDep, *, email: str = "", error: str = "", next_path: str = "/staff/",
    needs_code: bool = False, status_code: int = 200,
) -> Response:
    with db.session() as session:
        organisations = sso.areas_with_sso(session)
    return render(
        request,
        "accounts/sign_in.html",
        {"email": email, "error": error, "next": next_path, "organisations": organisations, "needs_code": needs_code},
        status_code=status_code,
    )


def _awaiting_choice(request: Request, db: DatabaseDep, settings: Settings) -> sessions.AreaChoice | None:
    """The person whose session still waits for them to choose an area, if this browser has one."""
    token = staff_session_token(request, settings)
    if token is None:
        return None
    return sessions.awaiting_area_choice(
        db, token,
        idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_absolute_hours),
    )


def _after_sign_in(session: Session, user: User, *, method: str = "password") -> tuple[str, bool] | None:
    """Starts the session of a person who has just proved who they are: (token, must choose an
    area), or None when they have no role anywhere."""
    area, choose = sessions.sign_in_area(session, user)
    if area is None and not choose:
        return None
    return sessions.start_session(session, user, area, method=method), choose


def _signed_in_to(request: Request, settings: Settings, token: str, choose: bool, next_path: str) -> Response:
    if choose:
        return _signed_in(request, settings, token, f"{CHOOSE_AREA_PATH}?{urlencode({'next': next_path})}")
    return _signed_in(request, settings, token, next_path)


@router.get("/sign-in")
def sign_in_form(request: Request, db: DatabaseDep, settings: SettingsDep, next: str = "/staff/") -> Response:
    if _awaiting_choice(request, db, settings) is not None:
        return RedirectResponse(f"{CHOOSE_AREA_PATH}?{urlencode({'next': _safe_next(next)})}", status_code=303)
    return _sign_in_page(request, db, next_path=_safe_next(next))


@router.post("/sign-in")
async def sign_in(request: Request, db: DatabaseDep, settings: SettingsDep, throttle: ThrottleDep) -> Response:
    """The password step. Every answer past the connection check costs one argon2 verification,
    whether the account exists, is paused, or the password is right or wrong."""
    form = await request.form()
    email = str(form.get("email", ""))
    password = str(form.get("password", ""))
    code = str(form.get("code", "")).strip()
    next_path = _safe_next(form.get("next"))
    account = service.normalise_email(email)
    address = client_address(request, settings)
    wait = throttle.address_wait(Step.PASSWORD, address)
    if wait:
        return _sign_in_page(request, db, email=email, error=_connection_wait(wait), next_path=next_path, status_code=429)
    paused = throttle.account_paused(account)
    paused_wait = throttle.take_paused_try(account, address) if paused and code else 0

    def check_password() -> tuple[int, bool] | None:
        with db.transaction() as session:
            user = service.authenticate(session, email, password)
            if user is None:
                return None
            assert user.id is not None
            return user.id, service.prepare_second_factor(session, user)

    def check_password_and_code() -> tuple[bool, tuple[str, bool] | None]:
        """For a paused account: (was the password right, the new session) after one password
        verification and, only when the password was right, the code."""
        with db.transaction() as session:
            user = service.authenticate(session, email, password)
            if user is None or user.id is None:
                return False, None
            if not user.has_second_factor:
                return True, None
            if not service.check_second_factor(session, user.id, code).ok:
                return True, None
            return True, _after_sign_in(session, user)

    if paused and (not code or paused_wait):
        # Still one verification, so this answer takes as long as any other; but a password alone,
        # right or not, goes no further while the account is paused.
        def verify_only() -> bool:
            with db.transaction() as session:
                return service.check_password_while_paused(session, email, password)

        right = await run_in_threadpool(verify_only)
        if not right:
            throttle.count_address(Step.PASSWORD, address)
        if paused_wait:
            num = minutes(paused_wait)
            error = ngettext(
                "Please wait %(num)s minute before you try your password and code again.",
                "Please wait %(num)s minutes before you try your password and code again.",
                num,
            )
            return _sign_in_page(request, db, email=email, error=error, next_path=next_path, needs_code=True, status_code=429)
        return _sign_in_page(request, db, email=email, error=_account_paused(), next_path=next_path, needs_code=True, status_code=401)

    if paused:
        right, started = await run_in_threadpool(check_password_and_code)
        if started is not None:
            throttle.clear_account(account)
            return _signed_in_to(request, settings, started[0], started[1], next_path)
        throttle.count_address(Step.CODE if right else Step.PASSWORD, address)
        error = _("That email, password and code do not match an active staff account. Please check them, wait for a new code, and try again.")
        return _sign_in_page(request, db, email=email, error=error, next_path=next_path, needs_code=True, status_code=401)

    outcome = await run_in_threadpool(check_password)
    if outcome is None:
        throttle.count_address(Step.PASSWORD, address)
        throttle.count_wrong_password(account)
        if throttle.account_paused(account):
            return _sign_in_page(request, db, email=email, error=_account_paused(), next_path=next_path, needs_code=True, status_code=401)
        return _sign_in_page(request, db, email=email, error=_wrong_password(), next_path=next_path, status_code=401)
    user_id, enrolled = outcome
    response = RedirectResponse(CODE_PATH if enrolled else SET_UP_PATH, status_code=303)
    pending = _pending_serializer(settings).dumps({"u": user_id, "n": next_path})
    _set_cookie(response, settings, _pending_cookie(settings), pending, max_age=PENDING_MAX_AGE_SECONDS)
    return response


def _code_page(request: Request, db: DatabaseDep, settings: Settings, *, error: str = "", status_code: int = 200) -> Response:
    pending = _read_pending(request, settings)
    if pending is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    with db.session() as session:
        user = service.pending_user(session, pending["u"])
        user_areas = service.areas_for(session, user) if user else []
        first_area = user_areas[0] if user_areas else None
    if user is None or not user.totp_secret:
        return RedirectResponse("/staff/sign-in", status_code=303)
    set_up = request.url.path == SET_UP_PATH
    if set_up and user.has_second_factor:
        return RedirectResponse(CODE_PATH, status_code=303)
    if not set_up and not user.has_second_factor:
        return RedirectResponse(SET_UP_PATH, status_code=303)
    context: dict[str, Any] = {"error": error, "action": request.url.path}
    if set_up:
        uri = totp.provisioning_uri(user.totp_secret, user.email, first_area.name if first_area else "")
        context |= {
            "qr_svg": totp.qr_svg(uri, _("QR code to add Safety Map to your authenticator app")),
            "secret": totp.grouped(user.totp_secret),
        }
    template = "accounts/set_up_code.html" if set_up else "accounts/code.html"
    return render(request, template, context, status_code=status_code)


@router.get("/sign-in/code")
def code_form(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return _code_page(request, db, settings)


@router.get("/sign-in/set-up-code")
def set_up_code_form(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return _code_page(request, db, settings)


async def _check_code(request: Request, db: DatabaseDep, settings: Settings, throttle: SignInThrottle) -> Response:
    pending = _read_pending(request, settings)
    if pending is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    form = await request.form()
    code = str(form.get("code", ""))
    address = client_address(request, settings)
    wait = throttle.address_wait(Step.CODE, address)
    if wait:
        return _code_page(request, db, settings, error=_connection_wait(wait), status_code=429)

    def check() -> tuple[service.CodeCheck, tuple[str, bool] | None]:
        with db.transaction() as session:
            result = service.check_second_factor(session, pending["u"], code)
            if not result.ok or result.user is None:
                return result, None
            started = _after_sign_in(session, result.user)
            if started is None:
                return service.CodeCheck(user=None, refusal=CodeRefusal.UNAVAILABLE), None
            return result, started

    result, started = await run_in_threadpool(check)
    if started is not None:
        assert result.user is not None
        throttle.clear_account(result.user.email)
        return _signed_in_to(request, settings, started[0], started[1], pending["n"])
    if result.refusal == CodeRefusal.UNAVAILABLE:
        return RedirectResponse("/staff/sign-in", status_code=303)
    if result.refusal in {CodeRefusal.WRONG, CodeRefusal.REUSED}:
        throttle.count_address(Step.CODE, address)
    messages = {
        CodeRefusal.WRONG: _("That code did not work. Check the time on your phone is right, and enter the newest code your app shows."),
        CodeRefusal.REUSED: _("That code has already been used. Wait for your app to show a new one, then enter it."),
        CodeRefusal.LOCKED: ngettext(
            "Too many codes did not work, so this account is paused for %(num)s minute. Please try again then, or ask your area administrator for help.",
            "Too many codes did not work, so this account is paused for %(num)s minutes. Please try again then, or ask your area administrator for help.",
            result.wait_minutes,
        ),
    }
    assert result.refusal is not None
    return _code_page(request, db, settings, error=messages[result.refusal], status_code=429 if result.refusal == CodeRefusal.LOCKED else 401)


@router.post("/sign-in/code")
async def code_submit(request: Request, db: DatabaseDep, settings: SettingsDep, throttle: ThrottleDep) -> Response:
    return await _check_code(request, db, settings, throttle)


@router.post("/sign-in/set-up-code")
async def set_up_code_submit(request: Request, db: DatabaseDep, settings: SettingsDep, throttle: ThrottleDep) -> Response:
    return await _check_code(request, db, settings, throttle)


# --- Choosing an area, after sign-in and later ---------------------------------------------------


def _area_page(
    request: Request, areas: list[Area], *, action: str, next_path: str, current: Area | None = None, held_by_provider: bool = False
) -> Response:
    context = {"areas": areas, "action": action, "next": next_path, "current": current, "held_by_provider": held_by_provider}
    return render(request, "accounts/choose_area.html", context)


@router.get("/sign-in/area")
def choose_area_form(request: Request, db: DatabaseDep, settings: SettingsDep, next: str = "/staff/") -> Response:
    choice = _awaiting_choice(request, db, settings)
    if choice is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    return _area_page(request, choice.areas, action=CHOOSE_AREA_PATH, next_path=_safe_next(next))


@router.post("/sign-in/area")
def choose_area(request: Request, db: DatabaseDep, settings: SettingsDep, data: Annotated[AreaChoiceForm, Form()]) -> Response:
    choice = _awaiting_choice(request, db, settings)
    if choice is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    assert choice.user.id is not None
    with db.transaction() as session:
        token = sessions.choose_area(session, choice.session_id, choice.user.id, data.area)
    if token is None:
        raise HTTPException(status_code=404)
    return _signed_in(request, settings, token, _safe_next(data.next))


@router.get("/area")
def switch_area_form(request: Request, staff: StaffDep, db: DatabaseDep) -> Response:
    with db.session() as session:
        areas, held_by_provider = sessions.areas_to_switch_to(session, staff)
    return _area_page(request, areas, action=SWITCH_AREA_PATH, next_path="/staff/", current=staff.area, held_by_provider=held_by_provider)


@router.post("/area")
def switch_area(request: Request, staff: StaffDep, db: DatabaseDep, settings: SettingsDep, data: Annotated[AreaChoiceForm, Form()]) -> Response:
    """Moves this session to another of the person's areas; refused (404) for an area where they
    have no role, and for a single sign-on session, which stays in its provider's area."""
    assert staff.user.id is not None
    with db.transaction() as session:
        token = sessions.choose_area(session, staff.session_id, staff.user.id, data.area)
    if token is None:
        raise HTTPException(status_code=404)
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


def _refused(request: Request, db: DatabaseDep, settings: Settings, refusal: SsoRefusal, area_id: int | None, *, audit: bool = True) -> Response:
    if audit:
        with db.transaction() as session:
            sso.refuse_sso(session, area_id, refusal)
    status = 403 if refusal in {SsoRefusal.DOMAIN, SsoRefusal.NO_ROLE, SsoRefusal.INACTIVE, SsoRefusal.EMAIL_UNVERIFIED} else 400
    if refusal == SsoRefusal.PROVIDER:
        status = 502
    response = render(request, "accounts/sso_refused.html", {"message": _sso_message(refusal)}, status_code=status)
    _clear_cookie(response, settings, _oidc_cookie(settings))
    return response


@router.post("/sign-in/oidc/{area_slug}")
async def oidc_start(area_slug: str, request: Request, db: DatabaseDep, settings: SettingsDep, throttle: ThrottleDep) -> Response:
    form = await request.form()
    next_path = _safe_next(form.get("next"))
    # Each start calls the provider and stores an attempt, so starts have their own limit.
    address = client_address(request, settings)
    wait = throttle.address_wait(Step.SSO_START, address)
    if wait:
        return _sign_in_page(request, db, error=_connection_wait(wait), next_path=next_path, status_code=429)
    throttle.count_address(Step.SSO_START, address)
    with db.session() as session:
        found = sso.oidc_config_by_slug(session, area_slug)
    if found is None:
        raise HTTPException(status_code=404)
    area, config = found
    redirect_uri, _logout = _redirect_uris(settings)
    try:
        auth = await oidc.start(config, redirect_uri)
    except oidc.OidcError as exc:
        return await run_in_threadpool(_refused, request, db, settings, exc.refusal, area.id)
    browser_token = secrets.token_urlsafe(32)

    def remember() -> None:
        with db.transaction() as session:
            sso.record_oidc_attempt(
                session, area=area, state=auth.state, browser_token=browser_token,
                nonce=auth.nonce, code_verifier=auth.code_verifier, next_path=next_path,
            )

    await run_in_threadpool(remember)
    response = RedirectResponse(auth.url, status_code=303)
    _set_cookie(response, settings, _oidc_cookie(settings), browser_token, max_age=int(sso.OIDC_ATTEMPT_LIFETIME.total_seconds()))
    return response


@router.get("/sign-in/oidc/callback")
async def oidc_callback(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """Where the provider sends the browser back. A GET by the protocol; it can be used only once,
    only by the browser that started the sign-in, and only within ten minutes."""
    params = request.query_params
    state = params.get("state", "")
    browser_token = request.cookies.get(_oidc_cookie(settings), "")

    def take() -> tuple[Any, Any, SsoRefusal | None]:
        with db.transaction() as session:
            attempt, refusal = sso.take_oidc_attempt(session, state, browser_token)
            config = sso.oidc_config(session, attempt.area_id) if attempt else None
            if attempt is not None and refusal is None and (config is None or not config.enabled):
                refusal = SsoRefusal.STATE
            return attempt, config, refusal

    attempt, config, refusal = await run_in_threadpool(take)
    area_id = attempt.area_id if attempt else None
    if refusal is None and (params.get("error") or not params.get("code")):
        refusal = SsoRefusal.PROVIDER
    # RFC 9207: when the provider names itself in the response, it must be the one we asked.
    if refusal is None and "iss" in params and params["iss"] != config.issuer:
        refusal = SsoRefusal.ISSUER
    if refusal is not None:
        return await run_in_threadpool(_refused, request, db, settings, refusal, area_id)
    redirect_uri, post_logout = _redirect_uris(settings)
    try:
        result = await oidc.finish(
            config, code=params["code"], code_verifier=attempt.code_verifier, nonce=attempt.nonce,
            redirect_uri=redirect_uri, post_logout_redirect_uri=post_logout,
        )
    except oidc.OidcError as exc:
        return await run_in_threadpool(_refused, request, db, settings, exc.refusal, area_id)

    def sign_in_user() -> tuple[str | None, SsoRefusal | None]:
        with db.transaction() as session:
            area = service.area_by_id(session, attempt.area_id)
            current = sso.oidc_config(session, attempt.area_id)
            if area is None or current is None:
                return None, SsoRefusal.STATE
            outcome = sso.sign_in_with_oidc(session, area, current, result.claims)
            if outcome.user is None:
                return None, outcome.refusal
            token = sessions.start_session(session, outcome.user, area, method="oidc", provider_logout_url=result.logout_url)
            return token, None

    token, refusal = await run_in_threadpool(sign_in_user)
    if token is None:
        # sign_in_with_oidc has already written the refusal to the audit log.
        return _refused(request, db, settings, refusal or SsoRefusal.STATE, area_id, audit=False)
    return _signed_in(request, settings, token, attempt.next_path)


# --- Sign-out and home --------------------------------------------------------------------------


@router.post("/sign-out")
def sign_out(
    request: Request, db: DatabaseDep, settings: SettingsDep,
    staff: Annotated[StaffIdentity | None, Depends(optional_staff)],
) -> Response:
    provider_logout = None
    if staff is None:
        # Signed in but not yet in an area (or not signed in at all).
        choice = _awaiting_choice(request, db, settings)
        if choice is not None and choice.user.id is not None:
            with db.transaction() as session:
                sessions.end_session_by_id(session, choice.session_id, choice.user.id)
    else:
        with db.transaction() as session:
            provider_logout = sessions.end_session(session, staff)
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


def _settings_page(request: Request, staff: StaffIdentity, db: DatabaseDep, settings: Settings, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, saved: bool = False, status_code: int = 200) -> Response:
    assert staff.area.id is not None
    with db.session() as session:
        config = sso.oidc_config(session, staff.area.id)
        claimed_elsewhere = sso.domains_claimed_elsewhere(session, config) if config else []
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
def sso_settings(request: Request, staff: Admin, db: DatabaseDep, settings: SettingsDep, saved: str = "") -> Response:
    return _settings_page(request, staff, db, settings, saved=saved == "1")


@router.post("/admin/sign-in")
async def sso_settings_save(request: Request, staff: Admin, db: DatabaseDep, settings: SettingsDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in ("organisation_name", "issuer", "client_id", "scopes", "allowed_domains", "groups_claim", "role_mapping")}
    values["enabled"] = bool(form.get("enabled"))
    errors: dict[str, str] = {}
    try:
        mapping = parse_role_mapping(values["role_mapping"])
    except ValueError:
        mapping = {}
        errors["role_mapping"] = str(FIELD_ERRORS["role_mapping"])
    try:
        parsed = OidcConfigInput.model_validate(
            {
                "enabled": values["enabled"], "organisation_name": values["organisation_name"], "issuer": values["issuer"],
                "client_id": values["client_id"], "client_secret": str(form.get("client_secret", "")), "scopes": values["scopes"],
                "allowed_domains": values["allowed_domains"], "groups_claim": values["groups_claim"], "role_mapping": mapping,
            },
            context={"allow_loopback_http": request.app.state.settings.env == "test"},
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            if field in FIELD_ERRORS and field not in errors:
                errors[field] = str(FIELD_ERRORS[field])
        parsed = None
    if errors or parsed is None:
        return _settings_page(request, staff, db, settings, values=values, errors=errors, status_code=400)
    assert staff.area.id is not None
    try:
        with db.transaction() as session:
            area = service.area_by_id(session, staff.area.id)
            assert area is not None
            sso.save_oidc_config(session, area, parsed.model_dump(), actor_id=staff.user.id)
    except sso.DomainTaken as exc:
        errors["allowed_domains"] = _domains_taken(exc.domains)
        return _settings_page(request, staff, db, settings, values=values, errors=errors, status_code=400)
    return RedirectResponse("/staff/admin/sign-in?saved=1", status_code=303)


def _domains_taken(domains: list[str]) -> str:
    return ngettext(
        "Another area's sign-in already lets in people at %(domains)s. An email domain can belong to one area only: take it out here, or ask a Safety Map administrator to move it.",
        "Another area's sign-in already lets in people at %(domains)s. An email domain can belong to one area only: take them out here, or ask a Safety Map administrator to move them.",
        len(domains),
        domains=", ".join(domains),
    )
