"""Security by default: CSRF for every unsafe request, one CSP, and the response headers.

CSRF uses a random cookie and a form/header token derived from it with HMAC, so a page can carry the
token without the cookie value ever appearing in HTML. Routes opt out only with `csrf_exempt`, which
records why (for example the JSON API, which never reads cookies).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSRF_RAW_BYTES = 32
CSRF_RAW_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) makes

F = TypeVar("F", bound=Callable[..., Any])


class CSRFError(Exception):
    """The request's CSRF token is missing or does not match its cookie."""


def cookie_name(settings: Settings, name: str) -> str:
    # __Host- cookies must be Secure, so they only work behind HTTPS; plain http://127.0.0.1 in
    # development keeps the bare name.
    return f"__Host-{name}" if settings.secure_cookies else name


def csrf_exempt(reason: str) -> Callable[[F], F]:
    def mark(endpoint: F) -> F:
        endpoint.csrf_exempt_reason = reason  # type: ignore[attr-defined]
        return endpoint

    return mark


def _derive(secret: str, raw: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{raw}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token to put in forms and in hx-headers for this request's browser."""
    settings: Settings = request.app.state.settings
    return _derive(settings.secret_key.get_secret_value(), request.state.csrf_raw)


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: every unsafe request must carry the token, unless its route opts out."""
    if request.method not in UNSAFE_METHODS:
        return
    endpoint = request.scope.get("endpoint")
    if getattr(endpoint, "csrf_exempt_reason", None):
        return
    await check_csrf(request)


async def check_csrf(request: Request) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    check_csrf_token(request, sent)


def check_csrf_token(request: Request, form_token: str | None) -> None:
    """The same check for a route that already has the form as a model (its `csrf_token` field).

    Synchronous and reads no body, so a plain `def` route that checks CSRF itself (to show a stale
    form again instead of refusing it) can call it. The X-CSRF-Token header, which htmx sends, wins.
    """
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CSRFError("cross-site request")
    sent = request.headers.get(CSRF_HEADER) or form_token
    if not request.state.csrf_cookie_present or not sent:
        raise CSRFError("missing token")
    # Bytes: compare_digest refuses str with non-ASCII characters, and a forged token may have them.
    if not hmac.compare_digest(sent.encode(), csrf_token(request).encode()):
        raise CSRFError("token mismatch")


def csrf_passed(request: Request, form_token: str | None) -> bool:
    try:
        check_csrf_token(request, form_token)
    except CSRFError:
        return False
    return True


def content_security_policy(*, tile_origin: str | None = None) -> str:
    """The one CSP. Nothing inline, nothing from third parties unless an area sets a tile server."""
    img = "'self' data:" + (f" {tile_origin}" if tile_origin else "")
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": img,
        "font-src": "'self'",
        "connect-src": "'self'",
        "manifest-src": "'self'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(settings: Settings, path: str, *, tile_origin: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(tile_origin=tile_origin),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "permissions-policy": "camera=(), microphone=(), geolocation=(self), payment=(), usb=(), interest-cohort=()",
        "cross-origin-opener-policy": "same-origin",
        "x-frame-options": "DENY",
    }
    if not path.startswith("/static/"):
        # Shared phones: nothing a young person reported, and no staff page, stays in a cache.
        headers["cache-control"] = "no-store"
    if settings.secure_cookies:
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"
    return [(k.encode(), v.encode()) for k, v in headers.items()]


class SecurityMiddleware:
    """Sets the CSRF cookie when missing and adds the security headers to every response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.csrf_cookie = cookie_name(settings, "sm_csrf")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        raw = _read_cookie(scope, self.csrf_cookie)
        if raw is not None and not CSRF_RAW_FORMAT.fullmatch(raw):
            # Only values we could have made count: a value planted by someone else (a sibling
            # subdomain, a shared machine) is replaced, never adopted.
            raw = None
        state["csrf_cookie_present"] = raw is not None
        state["csrf_raw"] = raw or secrets.token_urlsafe(CSRF_RAW_BYTES)
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                existing = {name.lower() for name, _ in headers}
                # A page with the map picker may load tiles from the area's own tile server, and only then.
                tile_origin = state.get("tile_origin")
                headers += [h for h in security_headers(self.settings, path, tile_origin=tile_origin) if h[0] not in existing]
                if raw is None and not path.startswith("/static/") and not state.get("csrf_rotated"):
                    headers.append((b"set-cookie", self._cookie(state["csrf_raw"]).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self, value: str) -> str:
        parts = [f"{self.csrf_cookie}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if self.settings.secure_cookies:
            parts.append("Secure")
        return "; ".join(parts)


def new_csrf_cookie(request: Request, response: Response, settings: Settings) -> None:
    """A fresh CSRF cookie on this response (at sign-in: a token known before sign-in is no use after)."""
    request.state.csrf_rotated = True
    value = secrets.token_urlsafe(CSRF_RAW_BYTES)
    response.set_cookie(
        cookie_name(settings, "sm_csrf"), value, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )


def _read_cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name and v:
                    return v
    return None


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site paths: never //evil.example or a scheme."""
    return bool(target) and target.startswith("/") and not target.startswith(("//", "/\\"))  # type: ignore[union-attr]
