"""Staff sign-in and sign-out.

Two ways in. With a password (argon2) and then a six-digit code from an authenticator app (TOTP),
set up the first time. Or with the person's organisation (OpenID Connect), where the area has set
it up. Between the password and the code, a signed cookie that lasts ten minutes says whose code
we are waiting for; no session exists until the code is right.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from app.accounts import oidc, service, totp
from app.accounts.models import Role
from app.accounts.schemas import (
    FIELD_ERRORS,
    OidcConfigInput,
    format_role_mapping,
    parse_role_mapping,
)
from app.accounts.service import CodeRefusal, SsoRefusal, StaffIdentity
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import ngettext
from app.core.security import cookie_name, is_safe_redirect
from app.core.templating import render
from app.core.web import (
    DatabaseDep,
    SettingsDep,
    StaffDep,
    client_address,
    require_role,
    session_serializer,
    staff_cookie_name,
    use_locale,
)

router = APIRouter(prefix="/staff", dependencies=[Depends(use_locale)], include_in_schema=False)
Admin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]

PENDING_MAX_AGE_SECONDS = 600
CODE_PATH = "/staff/sign-in/code"
SET_UP_PATH = "/staff/sign-in/set-up-code"
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


def _signed_in(settings: Settings, token: str, next_path: str) -> Response:
    response = RedirectResponse(next_path, status_code=303)
    _set_cookie(response, settings, staff_cookie_name(settings), session_serializer(settings).dumps(token))
    _clear_cookie(response, settings, _pending_cookie(settings))
    _clear_cookie(response, settings, _oidc_cookie(settings))
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


def _sign_in_page(request: Request, db: DatabaseDep, *, email: str = "", error: str = "", next_path: str = "/staff/", status_code: int = 200) -> Response:
    with db.session() as session:
        organisations = service.areas_with_sso(session)
    return render(
        request,
        "accounts/sign_in.html",
        {"email": email, "error": error, "next": next_path, "organisations": organisations},
        status_code=status_code,
    )


@router.get("/sign-in")
def sign_in_form(request: Request, db: DatabaseDep, next: str = "/staff/") -> Response:
    return _sign_in_page(request, db, next_path=_safe_next(next))


@router.post("/sign-in")
async def sign_in(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    form = await request.form()
    email = str(form.get("email", ""))
    password = str(form.get("password", ""))
    next_path = _safe_next(form.get("next"))
    limiter = request.app.state.rate_limiter
    refused = _("That email and password do not match an active staff account, or the account is paused after several tries. Please try again in a few minutes.")
    if not limiter.hit("sign-in", client_address(request, settings), limit=20, window_seconds=900):
        return _sign_in_page(request, db, email=email, error=refused, next_path=next_path, status_code=429)

    def check_password() -> tuple[int, bool] | None:
        with db.transaction() as session:
            user = service.authenticate(session, email, password)
            if user is None or not service.areas_for(session, user):
                return None
            assert user.id is not None
            return user.id, service.prepare_second_factor(session, user)

    outcome = await run_in_threadpool(check_password)
    if outcome is None:
        return _sign_in_page(request, db, email=email, error=refused, next_path=next_path, status_code=401)
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


async def _check_code(request: Request, db: DatabaseDep, settings: Settings) -> Response:
    pending = _read_pending(request, settings)
    if pending is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    form = await request.form()
    code = str(form.get("code", ""))
    if not request.app.state.rate_limiter.hit("sign-in", client_address(request, settings), limit=20, window_seconds=900):
        return _code_page(request, db, settings, error=_("Too many tries from here. Please wait a few minutes and try again."), status_code=429)

    def check() -> tuple[service.CodeCheck, str | None]:
        with db.transaction() as session:
            result = service.check_second_factor(session, pending["u"], code)
            if not result.ok or result.user is None:
                return result, None
            areas = service.areas_for(session, result.user)
            if not areas:
                return service.CodeCheck(user=None, refusal=CodeRefusal.UNAVAILABLE), None
            return result, service.start_session(session, result.user, areas[0])

    result, token = await run_in_threadpool(check)
    if token is not None:
        return _signed_in(settings, token, pending["n"])
    if result.refusal == CodeRefusal.UNAVAILABLE:
        return RedirectResponse("/staff/sign-in", status_code=303)
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
async def code_submit(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await _check_code(request, db, settings)


@router.post("/sign-in/set-up-code")
async def set_up_code_submit(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await _check_code(request, db, settings)


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
            service.refuse_sso(session, area_id, refusal)
    status = 403 if refusal in {SsoRefusal.DOMAIN, SsoRefusal.NO_ROLE, SsoRefusal.INACTIVE, SsoRefusal.EMAIL_UNVERIFIED} else 400
    if refusal == SsoRefusal.PROVIDER:
        status = 502
    response = render(request, "accounts/sso_refused.html", {"message": _sso_message(refusal)}, status_code=status)
    _clear_cookie(response, settings, _oidc_cookie(settings))
    return response


@router.post("/sign-in/oidc/{area_slug}")
async def oidc_start(area_slug: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    form = await request.form()
    next_path = _safe_next(form.get("next"))
    # Each start calls the provider and stores an attempt, so it shares the sign-in rate limit.
    if not request.app.state.rate_limiter.hit("sign-in", client_address(request, settings), limit=20, window_seconds=900):
        error = _("Too many tries from here. Please wait a few minutes and try again.")
        return _sign_in_page(request, db, error=error, next_path=next_path, status_code=429)
    with db.session() as session:
        found = service.oidc_config_by_slug(session, area_slug)
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
            service.record_oidc_attempt(
                session, area=area, state=auth.state, browser_token=browser_token,
                nonce=auth.nonce, code_verifier=auth.code_verifier, next_path=next_path,
            )

    await run_in_threadpool(remember)
    response = RedirectResponse(auth.url, status_code=303)
    _set_cookie(response, settings, _oidc_cookie(settings), browser_token, max_age=int(service.OIDC_ATTEMPT_LIFETIME.total_seconds()))
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
            attempt, refusal = service.take_oidc_attempt(session, state, browser_token)
            config = service.oidc_config(session, attempt.area_id) if attempt else None
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
            current = service.oidc_config(session, attempt.area_id)
            if area is None or current is None:
                return None, SsoRefusal.STATE
            outcome = service.sign_in_with_oidc(session, area, current, result.claims)
            if outcome.user is None:
                return None, outcome.refusal
            token = service.start_session(session, outcome.user, area, method="oidc", provider_logout_url=result.logout_url)
            return token, None

    token, refusal = await run_in_threadpool(sign_in_user)
    if token is None:
        # sign_in_with_oidc has already written the refusal to the audit log.
        return _refused(request, db, settings, refusal or SsoRefusal.STATE, area_id, audit=False)
    return _signed_in(settings, token, attempt.next_path)


# --- Sign-out and home --------------------------------------------------------------------------


@router.post("/sign-out")
def sign_out(staff: StaffDep, db: DatabaseDep, settings: SettingsDep) -> Response:
    with db.transaction() as session:
        provider_logout = service.end_session(session, staff)
    # After single sign-on, end the organisation's session too, where the provider offers it.
    response = RedirectResponse(provider_logout or "/staff/sign-in", status_code=303)
    _clear_cookie(response, settings, staff_cookie_name(settings))
    return response


@router.get("/")
def staff_home(staff: StaffDep) -> Response:
    if staff.has("moderator"):
        return RedirectResponse("/staff/moderation", status_code=303)
    return RedirectResponse("/staff/register", status_code=303)


# --- The area's single sign-on settings (admins) -----------------------------------------------


def _settings_page(request: Request, staff: StaffIdentity, db: DatabaseDep, settings: Settings, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, saved: bool = False, status_code: int = 200) -> Response:
    assert staff.area.id is not None
    with db.session() as session:
        config = service.oidc_config(session, staff.area.id)
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
        parsed = OidcConfigInput(
            enabled=values["enabled"], organisation_name=values["organisation_name"], issuer=values["issuer"],
            client_id=values["client_id"], client_secret=str(form.get("client_secret", "")), scopes=values["scopes"],
            allowed_domains=values["allowed_domains"], groups_claim=values["groups_claim"], role_mapping=mapping,
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
    with db.transaction() as session:
        area = service.area_by_id(session, staff.area.id)
        assert area is not None
        service.save_oidc_config(session, area, parsed.model_dump(), actor_id=staff.user.id)
    return RedirectResponse("/staff/admin/sign-in?saved=1", status_code=303)
