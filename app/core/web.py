"""Request dependencies shared by every domain, as typed aliases used as parameter types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.service import StaffIdentity
from app.accounts.sessions import resume_session
from app.areas.lookup import AreaData, AreaLookup
from app.areas.models import Area
from app.core import i18n
from app.core.config import Settings
from app.core.db import Database
from app.core.security import cookie_name


class NoAreaConfigured(Exception):
    """The database has no area yet: the public site has nothing to serve."""


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class NotAllowed(Exception):
    """Signed in, but this role may not use this page."""


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


# The small dependencies that only read app state are `async def` on purpose: they never block, and
# FastAPI would otherwise hop to a worker thread and back for each one on every request. Anything
# that touches the database stays a plain `def` (run in the thread pool).
# Numbers in addresses are bounded where they come in: an id past what an INTEGER column holds on
# PostgreSQL (2**31 - 1) names no row and is refused with 422 before any query runs.
MAX_DB_INT = 2**31 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]

T = TypeVar("T")


def found(row: T | None) -> T:
    """The row a page is about, or 404. Lookups are scoped to the staff member's area, so a row in
    another area answers exactly as a row that does not exist: nothing says it is there."""
    if row is None:
        raise HTTPException(status_code=404)
    return row


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_db)]


def read_session(db: DatabaseDep) -> Iterator[Session]:
    with db.read() as session:
        yield session


def write_session(db: DatabaseDep) -> Iterator[Session]:
    with db.writer() as session:
        yield session


# How a route reaches the database (app.core.db has the why):
# - ReadSession for a screen that only looks: never a write lock; it refuses to flush a change.
# - WriteSession for a request that changes something: BEGIN IMMEDIATE on SQLite at its first
#   statement (an unused one costs nothing); the service that makes the change commits it, before
#   the route renders the page. Don't read more through it after that commit (the next statement
#   would take the write lock again): build the page from what is already loaded.
# Both close when the route function returns (scope="function"), so no connection or lock is held
# while the response goes out to a slow phone. FastAPI's default for dependencies with yield is to
# run the code after `yield` only after the response has been sent.
# A route may take both (report steps read, only Send writes) but uses one at a time: close the one it
# is done with before the other runs a statement. Each checks out its own pooled connection, and
# requests that hold one while waiting for a second can starve the pool under load.
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]


async def get_area_lookup(request: Request) -> AreaLookup:
    lookup: AreaLookup = request.app.state.area_lookup
    return lookup


AreaLookupDep = Annotated[AreaLookup, Depends(get_area_lookup)]


def session_serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="staff-session")


def staff_cookie_name(settings: Settings) -> str:
    return cookie_name(settings, "sm_staff")


def staff_session_token(request: Request, settings: Settings) -> str | None:
    """The server-side session token this browser's signed staff cookie carries, if any."""
    raw = request.cookies.get(staff_cookie_name(settings))
    if not raw:
        return None
    try:
        return str(session_serializer(settings).loads(raw))
    except BadSignature:
        return None


async def optional_staff(request: Request, db: DatabaseDep, settings: SettingsDep) -> StaffIdentity | None:
    # Async so that the public, who carry no staff cookie, never pay a thread-pool hop for this; a
    # staff session is looked up in the pool like any other database work.
    token = staff_session_token(request, settings)
    if token is None:
        return None
    identity = await run_in_threadpool(
        resume_session,
        db,
        str(token),
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    request.state.staff = identity
    if identity:
        request.state.area = identity.area
    return identity


def resolve_area_data(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    lookup: AreaLookupDep,
    staff: Annotated[StaffIdentity | None, Depends(optional_staff)],
) -> AreaData | None:
    """Staff work in the area of their session; the public in the area this host serves.

    One query (the area row and its stamp, app.areas.lookup) in its own short read session, closed
    before the route runs: the route's own session may be a write session.
    """
    with db.read() as session:
        if staff:
            assert staff.area.id is not None
            data = lookup.for_area(session, staff.area.id)
        else:
            data = lookup.for_host(session, request.headers.get("host"), settings.default_area)
    request.state.area = data.area if data else None
    return data


async def resolve_area(data: Annotated[AreaData | None, Depends(resolve_area_data)]) -> Area | None:
    return data.area if data else None


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


async def require_area(area: Annotated[Area | None, Depends(resolve_area)]) -> Area:
    if area is None:
        raise NoAreaConfigured
    return area


PublicArea = Annotated[Area, Depends(require_area)]


async def require_area_data(data: Annotated[AreaData | None, Depends(resolve_area_data)]) -> AreaData:
    if data is None:
        raise NoAreaConfigured
    return data


# The area with its gazetteer and co-designed words, for screens that show or check them.
PublicAreaData = Annotated[AreaData, Depends(require_area_data)]


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
