"""Request dependencies shared by every domain, as typed aliases used as parameter types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.service import StaffIdentity
from app.areas import service as areas
from app.areas.models import Area
from app.core import i18n
from app.core.config import Settings
from app.core.db import Database
from app.core.security import UNSAFE_METHODS, cookie_name


class NoAreaConfigured(Exception):
    """The database has no area yet: the public site has nothing to serve."""


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class NotAllowed(Exception):
    """Signed in, but this role may not use this page."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_db)]


def get_session(request: Request, db: DatabaseDep) -> Iterator[Session]:
    # Unsafe methods may write, so they begin IMMEDIATE on SQLite (see app.core.db).
    with db.session(write=request.method in UNSAFE_METHODS) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def session_serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="staff-session")


def staff_cookie_name(settings: Settings) -> str:
    return cookie_name(settings, "sm_staff")


def optional_staff(request: Request, db: DatabaseDep, settings: SettingsDep) -> StaffIdentity | None:
    raw = request.cookies.get(staff_cookie_name(settings))
    if not raw:
        return None
    try:
        token = session_serializer(settings).loads(raw)
    except BadSignature:
        return None
    identity = accounts.resume_session(
        db,
        str(token),
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    request.state.staff = identity
    if identity:
        request.state.area = identity.area
    return identity


def resolve_area(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    staff: Annotated[StaffIdentity | None, Depends(optional_staff)],
) -> Area | None:
    """Staff work in the area of their session; the public in the area this host serves.

    Looked up in its own short read session: the request's session may be a write session, and on
    SQLite starting it here would hold the write lock for the whole request.
    """
    if staff:
        area: Area | None = staff.area
    else:
        with db.session() as session:
            area = areas.area_for_host(session, request.headers.get("host"), settings.default_area)
    request.state.area = area
    return area


async def use_locale(request: Request, area: Annotated[Area | None, Depends(resolve_area)]) -> str:
    """Picks the language for this request and makes it current for gettext.

    Async on purpose: it runs in the request's own task, so the context variable it sets is copied
    into the thread that runs a sync endpoint (a sync dependency would set it in a throwaway thread).
    """
    locale = i18n.choose_locale(
        explicit=request.query_params.get("lang"),
        cookie=request.cookies.get("sm_lang"),
        accept_language=request.headers.get("accept-language"),
        area_default=area.default_locale if area else i18n.DEFAULT_LOCALE,
        allowed=area.locale_list if area else list(i18n.LOCALES),
    )
    i18n.set_locale(locale)
    request.state.locale = locale
    return locale


def require_area(area: Annotated[Area | None, Depends(resolve_area)]) -> Area:
    if area is None:
        raise NoAreaConfigured
    return area


PublicArea = Annotated[Area, Depends(require_area)]


def require_staff(request: Request, identity: Annotated[StaffIdentity | None, Depends(optional_staff)]) -> StaffIdentity:
    if identity is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return identity


StaffDep = Annotated[StaffIdentity, Depends(require_staff)]


def require_role(*roles: str) -> Callable[[StaffIdentity], StaffIdentity]:
    """One dependency per staff route that names who may use it (admins may use every staff page)."""

    def dependency(identity: StaffDep) -> StaffIdentity:
        if not identity.has(*roles):
            raise NotAllowed
        return identity

    dependency.required_roles = roles  # type: ignore[attr-defined]
    return dependency


def client_address(request: Request, settings: Settings) -> str:
    """The client address, believing X-Forwarded-For only from a configured trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer in settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Walk back from the nearest hop, skipping our own proxies.
        for hop in reversed(hops):
            if hop not in settings.trusted_proxies:
                return hop
    return peer
