"""Jinja2 rendering, with one helper that decides between a full page and an HTMX fragment.

htmx 4 sends `HX-Request: true` and `HX-Target: tag#id`. When a page template has a block named after
the target's id (dashes become underscores), only that block is rendered; otherwise, and for history
restores and full-page requests, the whole page is.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import dates as babel_dates
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block

from app.core import i18n
from app.core.security import csrf_token

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


@cache
def static_version(path: str) -> str:
    file = STATIC_DIR / path
    if not file.is_file():
        return "0"
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    # The version in the query lets static files be cached for a year and still change on deploy.
    return f"/static/{path}?v={static_version(path)}"


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # Plain-text email templates (.txt) are not HTML, so they are not escaped.
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations_for(i18n.get_locale()).ugettext(message),
        lambda singular, plural, n: i18n.translations_for(i18n.get_locale()).ungettext(singular, plural, n),
        newstyle=True,
    )
    env.globals["static_url"] = static_url
    env.globals["LOCALE_NAMES"] = i18n.LOCALE_NAMES
    env.globals["offered_locales"] = i18n.offered_locales
    env.globals["text_direction"] = i18n.text_direction
    env.filters["format_date"] = format_date
    env.filters["format_datetime"] = format_datetime
    env.filters["format_number"] = format_number
    return env


# Dates and numbers in the reader's locale (Babel's CLDR data): month names, order and digits
# follow the language. `format` is a CLDR width ("short", "medium", "long") or a CLDR pattern.
def format_date(value: date | datetime | None, format: str = "medium") -> str:
    if value is None:
        return "–"
    return babel_dates.format_date(value, format=format, locale=i18n.format_locale())


def format_datetime(value: datetime | None, format: str = "medium") -> str:
    # Times are stored and shown in UTC, as the staff pages already say.
    if value is None:
        return "–"
    return babel_dates.format_datetime(value, format=format, tzinfo=UTC, locale=i18n.format_locale())


def format_number(value: float | None, format: str | None = None) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format=format, locale=i18n.format_locale())


environment = build_environment()


def fragment_block(request: Request, template_name: str) -> str | None:
    headers = request.headers
    if headers.get("hx-request") != "true" or headers.get("hx-history-restore-request") == "true":
        return None
    if headers.get("hx-request-type") == "full":
        return None
    target = headers.get("hx-target", "")
    target_id = target.partition("#")[2]
    if not target_id:
        return None
    block = target_id.replace("-", "_")
    template = environment.get_template(template_name)
    return block if block in template.blocks else None


def base_context(request: Request) -> dict[str, Any]:
    state = request.state
    if hasattr(state, "locale"):
        i18n.set_locale(state.locale)
    return {
        "request": request,
        "locale": i18n.get_locale(),
        "csrf_token": csrf_token(request),
        "area": getattr(state, "area", None),
        "staff": getattr(state, "staff", None),
        "current_path": request.url.path,
    }


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    full_context = base_context(request) | (context or {})
    block = fragment_block(request, template_name)
    if block:
        html = render_block(environment, template_name, block, full_context)
    else:
        html = environment.get_template(template_name).render(full_context)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    # A page and its fragment share a URL; caches must keep them apart.
    response.headers["vary"] = "HX-Request, HX-Target, Accept-Language, Cookie"
    return response


def render_string(template_name: str, context: dict[str, Any]) -> str:
    """For emails and exports rendered outside a request."""
    return environment.get_template(template_name).render(context)
