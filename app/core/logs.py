"""Logging that never carries what people typed or where they are.

Exception messages and tracebacks can quote request bodies (a validation error holds the input it
refused), so a fault is logged as its type and the line of our code it came from, never its message.
The access log is ours: method, route template (`/track/{code}`, not the code), status, duration and
a per-request id; no client address, no query string. uvicorn's own access log is turned off.
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

APP_ROOT = Path(__file__).resolve().parent.parent
access_log = logging.getLogger("safetymap.access")


def fault_summary(exc: BaseException) -> str:
    """`TypeError at app/reports/service.py:120 in submit_report`: the type and the deepest frame of
    our own code, with no message (it may quote input) and no chained exceptions."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if f.filename.startswith(str(APP_ROOT))]
    if not (ours or frames):
        return type(exc).__name__
    frame = (ours or frames)[-1]
    where = Path(frame.filename)
    shown = where.relative_to(APP_ROOT.parent) if where.is_relative_to(APP_ROOT.parent) else Path(where.name)
    return f"{type(exc).__name__} at {shown}:{frame.lineno} in {frame.name}"


class NoTracebackFilter(logging.Filter):
    """For loggers we do not own (uvicorn logs the exception Starlette re-raises after our error
    page): replace the traceback with its summary, so the input a validation error quotes stays out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()} ({fault_summary(record.exc_info[1])})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = NoTracebackFilter()


class _AppHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler for the app's own loggers (`safetymap.*`), to standard error."""


def configure_app_logging(level: str) -> None:
    """Without this, nothing shows the app's INFO lines (the access log among them): uvicorn sets up
    only its own loggers. Idempotent, so every create_app may call it; records still propagate, so
    a test's log capture sees them."""
    logger = logging.getLogger("safetymap")
    logger.setLevel(level.upper())
    if not any(isinstance(h, _AppHandler) for h in logger.handlers):
        handler = _AppHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)


def install_log_filters() -> None:
    """Idempotent: safe to call from every create_app."""
    for name in ("uvicorn.error", "uvicorn", "starlette", "fastapi"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    raw = str(scope.get("path", ""))
    # Unrouted paths (404s, static files) are logged by their first segment only: a mistyped
    # address can hold anything.
    first = raw.split("/")[1] if raw.count("/") >= 1 else ""
    return f"/{first}/…" if first else "/"


class AccessLogMiddleware:
    """One line per request, after it ends. The request id is also sent as X-Request-ID, so a
    person reporting a problem can quote it without quoting anything else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not str(scope.get("path", "")).startswith("/static/"):
                access_log.info(
                    "%s %s %d %.1fms id=%s", scope.get("method", ""), _route_template(scope), status,
                    (time.perf_counter() - started) * 1000, request_id,
                )
