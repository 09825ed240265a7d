"""create_app: wiring only. Rules live in each domain's service module."""

from __future__ import annotations

import ctypes
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import sqlalchemy.exc
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from app.accounts.routes import router as accounts_router
from app.accounts.throttle import SignInThrottle
from app.api.cells import router as open_data_router
from app.api.routes import router as api_router
from app.areas.lookup import AreaLookup
from app.areas.routes import router as areas_router
from app.core import i18n
from app.core.config import Settings, load_settings
from app.core.db import Database
from app.core.head import HeadAsGet
from app.core.live import make_broker
from app.core.logs import (
    AccessLogMiddleware,
    configure_app_logging,
    fault_summary,
    install_log_filters,
)
from app.core.mail import make_mailer
from app.core.ratelimit import make_rate_limiter
from app.core.security import CSRFError, SecurityMiddleware, verify_csrf
from app.core.templating import STATIC_DIR, render
from app.core.web import NoAreaConfigured, NotAllowed, SignInRequired
from app.equality.routes import router as equality_router
from app.moderation.alert_routes import router as alerts_router
from app.moderation.alerts import AlertLoop
from app.moderation.question_routes import router as reporter_questions_router
from app.moderation.routes import router as moderation_router
from app.moderation.routes import triage_router
from app.outreach.routes import public_router as outreach_public_router
from app.outreach.routes import router as outreach_router
from app.pages.routes import health_router
from app.pages.routes import router as pages_router
from app.register.heatmap_routes import router as register_heatmap_router
from app.register.outcome_routes import router as register_outcomes_router
from app.register.pattern_routes import router as patterns_router
from app.register.public_routes import router as register_public_router
from app.register.routes import router as register_router
from app.reports import limits
from app.reports.notice_routes import router as notice_router
from app.reports.notices import NoticeLoop
from app.reports.routes import router as reports_router
from app.reports.track_routes import router as track_router
from app.taxonomy.routes import router as taxonomy_router
from app.workshops.public_routes import router as workshops_public_router
from app.workshops.routes import router as workshops_router

log = logging.getLogger("safetymap")
MAX_BODY_BYTES = 256 * 1024


class CompressStaticFiles:
    """gzip for /static/ only. Pages are not compressed: they carry a CSRF token next to text the
    visitor typed, which is what a compression side channel (BREACH) needs. Static files carry
    neither, and they are most of a first visit's bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/static/"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class CachedStaticFiles(StaticFiles):
    """Versioned static URLs (?v=hash) never change, so browsers may keep them for a year. Files
    fetched without a version (modules imported by other modules, Leaflet loaded on demand) are
    revalidated each time, so a deploy never leaves an old copy in use."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            versioned = b"v=" in scope.get("query_string", b"")
            response.headers["cache-control"] = "public, max-age=31536000, immutable" if versioned else "no-cache"
        return response


M_ARENA_MAX = -8  # glibc's mallopt() parameter number (malloc.h)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread heaps before the thread pool starts, as MALLOC_ARENA_MAX=2 would.

    Each thread-pool thread otherwise gets a heap of its own that is rarely given back: 14 MB of a
    worker's 177 under mixed load (bench/README.md, "Memory"), at no cost seen in throughput. Only
    on glibc; elsewhere (musl, macOS) there is nothing to set.
    """
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        log.debug("mallopt is not available: heaps per thread left as they are")


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    db = database or Database(settings)

    # Without a mail server this is NoMailServer: alerts are kept in the outbox as undeliverable,
    # shown on the entry, the queue, /staff/alerts and /healthz.
    mailer = make_mailer(settings)
    alert_loop = AlertLoop(
        db, mailer, base_url=settings.base_url,
        resend_after=timedelta(minutes=settings.alert_resend_minutes), interval=settings.alert_loop_seconds or 60,
    )
    # The reporters' optional "something changed" emails: their own loop, never the outbox staff read.
    notice_loop = NoticeLoop(db, mailer, base_url=settings.base_url, secret_key=settings.secret_key.get_secret_value())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything imported and built so far (about 220,000 objects: models, routes, templates,
        # the triage model) lives as long as the process. Frozen, the collector stops walking them:
        # a full collection under load took 130-160 ms and set the register profile's p95; frozen,
        # about 10 ms (bench/README.md, "Register").
        gc.collect()
        gc.freeze()
        limit_malloc_arenas()
        if settings.alert_loop_seconds:
            alert_loop.start()
            notice_loop.start()
        yield
        await alert_loop.stop()
        await notice_loop.stop()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="Safety Map",
        version="0.1.0",
        description="Community safety reporting built on Contextual Safeguarding.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(verify_csrf)],
        # The longest honest request is a report with two long answers; anything far bigger is
        # refused with 413 before it is read into memory.
        max_body_size=MAX_BODY_BYTES,
    )
    # Every outside thing the routes use is built here, once, from settings, and reached through the
    # typed dependency or accessor beside its class (SettingsDep, DatabaseDep, AreaLookupDep,
    # MailerDep, LiveBrokerDep, ratelimit.app_rate_limiter, the sign-in ThrottleDep): no module
    # globals, nothing made on first use.
    secret = settings.secret_key.get_secret_value()
    app.state.settings = settings
    app.state.db = db
    # Each area's gazetteer and words, checked against a stamp on every request (app/areas/lookup.py).
    app.state.area_lookup = AreaLookup()
    app.state.mailer = mailer
    app.state.alerts = alert_loop
    app.state.rate_limiter = make_rate_limiter(secret, settings.redis_url)
    app.state.sign_in_throttle = SignInThrottle(secret, settings.redis_url)
    # Live walls: Redis fan-out across app servers when SAFETYMAP_REDIS_URL is set.
    app.state.live_broker = make_broker(settings)

    app.add_middleware(SecurityMiddleware, settings=settings)
    app.add_middleware(CompressStaticFiles)
    app.add_middleware(HeadAsGet)
    app.add_middleware(AccessLogMiddleware)  # outermost: times and logs every request
    install_log_filters()
    configure_app_logging(settings.log_level)
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        health_router,
        pages_router,
        reports_router,
        track_router,
        notice_router,
        register_public_router,
        accounts_router,
        moderation_router,
        reporter_questions_router,
        alerts_router,
        areas_router,
        triage_router,
        register_router,
        equality_router,
        register_outcomes_router,
        register_heatmap_router,
        patterns_router,
        api_router,
        open_data_router,
        workshops_public_router,
        workshops_router,
        taxonomy_router,
        outreach_router,
        outreach_public_router,
    ):
        app.include_router(router)
    _add_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CSRFError)
    async def csrf_failed(request: Request, exc: CSRFError) -> Response:
        log.info("csrf refused", extra={"path": request.url.path, "reason": str(exc)})
        return render(request, "errors/csrf.html", status_code=403)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import quote

        target = f"/staff/sign-in?next={quote(exc.next_path, safe='/')}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        return render(request, "errors/not_allowed.html", status_code=403)

    @app.exception_handler(NoAreaConfigured)
    async def no_area(request: Request, exc: NoAreaConfigured) -> Response:
        return render(request, "errors/not_set_up.html", status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if getattr(request.state, "locale", None) is None:
            # No route matched (404, 405), so no route's use_locale ran: choose the reader's
            # language the same way, without an area (any shipped language may be asked for).
            area = getattr(request.state, "area", None)
            locale = i18n.choose_locale(
                explicit=request.query_params.get("lang"),
                cookie=request.cookies.get("sm_lang"),
                accept_language=request.headers.get("accept-language"),
                area_default=area.default_locale if area else i18n.DEFAULT_LOCALE,
                allowed=area.locale_list if area else list(i18n.SHIPPED_LOCALES),
            )
            i18n.set_locale(locale)
            request.state.locale = locale
        if _wants_json(request):
            if exc.status_code == 400 and request.url.path == "/api/v1/reports" and not limits.report_allowed(request, request.app.state.settings):
                return JSONResponse({"detail": "Too many reports from this connection; try again later."}, status_code=429)
            if exc.status_code == 400 and request.url.path.startswith("/api/"):
                # FastAPI answers a body it cannot decode at all (not UTF-8, cut short) with a bare
                # 400; the API promises one shape for every malformed body: the documented 422.
                detail = [{"loc": ["body"], "msg": "The body could not be read as JSON", "type": "json_invalid"}]
                return JSONResponse({"detail": detail}, status_code=422)
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        template = "errors/not_found.html" if exc.status_code == 404 else "errors/generic.html"
        return render(request, template, {"status_code": exc.status_code}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # Never log or echo the refused input: it is what the person typed.
        if _wants_json(request):
            if request.method == "POST" and request.url.path == "/api/v1/reports" and not limits.report_allowed(request, request.app.state.settings):
                # A malformed send counts in the same limit as a good one (a good one is counted
                # in the route, after its words are graded): a flood of bad bodies stops at 429.
                return JSONResponse({"detail": "Too many reports from this connection; try again later."}, status_code=429)
            return JSONResponse({"detail": validation_details(exc)}, status_code=422)
        if all(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            # /staff/moderation/abc or an id past any row: there is no such page.
            return render(request, "errors/not_found.html", {"status_code": 404}, status_code=404)
        return render(request, "errors/generic.html", {"status_code": 400}, status_code=400)

    @app.exception_handler(OverflowError)
    @app.exception_handler(sqlalchemy.exc.DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # The last line of defence behind bounded inputs: a number bigger than a database column
        # holds (2**31 on PostgreSQL, 2**63 on SQLite) names no row, so it is "not found" to look
        # up and "cannot be read" to send. Not a fault on our side, so no error is logged.
        if not _out_of_range(exc):
            return await unexpected(request, exc)
        status = 404 if request.method in ("GET", "HEAD") else 400
        if _wants_json(request):
            return JSONResponse({"detail": "A number in the request is out of range."}, status_code=status)
        template = "errors/not_found.html" if status == 404 else "errors/generic.html"
        return render(request, template, {"status_code": status}, status_code=status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # The log names the fault and where, never its message or traceback (either can quote input);
        # the person sees a generic page with no details.
        log.error("unhandled error on %s %s: %s", request.method, _route_path(request), fault_summary(exc))
        if _wants_json(request):
            return JSONResponse({"detail": "Something went wrong on our side."}, status_code=500)
        return render(request, "errors/generic.html", {"status_code": 500}, status_code=500)


def _out_of_range(exc: BaseException) -> bool:
    """An integer too big for its column: Python's OverflowError (SQLite), or PostgreSQL's 22003."""
    if isinstance(exc, OverflowError):
        return True
    original = getattr(exc, "orig", None)
    return isinstance(original, OverflowError) or getattr(original, "sqlstate", None) == "22003"


def validation_details(exc: RequestValidationError) -> list[dict[str, object]]:
    """FastAPI's documented ValidationError shape (loc, msg, type) without `input` or `ctx`, which
    hold the refused values: the answer never echoes what was sent."""
    return [
        {"loc": [str(part) if not isinstance(part, int) else part for part in error.get("loc", ())],
         "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
        for error in exc.errors()
    ]


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "an unrouted path"))
