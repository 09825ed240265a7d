"""Jinja2 rendering, with one helper that decides between a full page and an HTMX fragment.

htmx 4 sends `HX-Request: true` and `HX-Target: tag#id`. When a page template has a block named after
the target's id (dashes become underscores), only that block is rendered; otherwise, and for history
restores and full-page requests, the whole page is.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2_fragments import render_block
from markupsafe import Markup, escape

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
    # Imported here, not at the top: app.areas' modules are loaded after this one.
    from app.areas.help_contacts import contacts_for_page

    env.globals["help_contacts_for"] = contacts_for_page
    env.filters["local_date"] = local_date
    env.filters["local_datetime"] = local_datetime
    # The older names: the same conversion to the area's zone, as plain text (they are used where
    # markup cannot go, such as SVG <title> and <text>, and with CLDR patterns like "MMMM y").
    env.filters["format_date"] = plain_local_date
    env.filters["format_datetime"] = plain_local_datetime
    env.filters["format_number"] = format_number
    return env


# Dates and times as people read them: in the area's time zone (the `area` the page was rendered
# for: the staff member's current area, or the area this host serves), in the reader's language
# (Babel's CLDR data: month names, order and digits follow the language). `format` is a CLDR width
# ("short", "medium", "long"). In HTML the text comes in <time datetime="..."> with the machine
# value; pass tag=False where markup cannot go (an attribute, an <option>).
def _zone(context: Context, zone: str | None) -> str | None:
    if zone:
        return zone
    area = context.get("area")
    return getattr(area, "time_zone", None) if area is not None else None


def _tagged(context: Context, text: str, machine: str, tag: bool) -> str:
    if not tag or not context.eval_ctx.autoescape:
        return text
    return Markup('<time datetime="{}">{}</time>').format(machine, escape(text))


@pass_context
def local_date(context: Context, value: date | datetime | None, format: str = "medium", *, tag: bool = True, zone: str | None = None) -> str:
    """The day a moment falls on in the area's zone ("2 Jul 2026"); a plain date (a due date) as it is."""
    if value is None:
        return "–"
    area_zone = _zone(context, zone)
    text = format_date(value, format, zone=area_zone)
    return _tagged(context, text, i18n.local_day(value, area_zone).isoformat(), tag)


@pass_context
def local_datetime(
    context: Context, value: datetime | None, format: str = "medium", *, seconds: bool = False, tag: bool = True, zone: str | None = None
) -> str:
    """Date and clock time in the area's zone ("2 Jul 2026, 00:30"); the <time> carries UTC for machines."""
    if value is None:
        return "–"
    text = format_datetime(value, format, zone=_zone(context, zone), seconds=seconds)
    return _tagged(context, text, i18n.machine_moment(value), tag)


@pass_context
def plain_local_date(context: Context, value: date | datetime | None, format: str = "medium") -> str:
    return format_date(value, format, zone=_zone(context, None))


@pass_context
def plain_local_datetime(context: Context, value: datetime | None, format: str = "medium") -> str:
    return format_datetime(value, format, zone=_zone(context, None))


def format_date(value: date | datetime | None, format: str = "medium", *, zone: str | None = None) -> str:
    """For Python callers: the day in `zone` (default Europe/London), in the current language."""
    if value is None:
        return "–"
    return i18n.format_local_date(value, zone, format)


def format_datetime(value: datetime | None, format: str = "medium", *, zone: str | None = None, seconds: bool = False) -> str:
    if value is None:
        return "–"
    return i18n.format_local_datetime(value, zone, format, seconds=seconds)


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
    area = getattr(state, "area", None)
    i18n.set_time_zone(getattr(area, "time_zone", None))
    return {
        "request": request,
        "locale": i18n.get_locale(),
        "csrf_token": csrf_token(request),
        "area": area,
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
