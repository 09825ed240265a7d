"""Translations with Babel. The known and the shipped locales each live in one constant.

Catalogues are read from the committed .po files and compiled in memory at start-up, so a fresh
checkout needs no build step to speak Welsh. The locale for a request is the person's explicit
choice, then their browser's Accept-Language, then the area's default.

Two lists, on purpose:
- `LOCALES` is every language the app knows: it has a catalogue in locales/<code>/, a name, a text
  direction and plural rules. An area switches languages on in `Area.locales`.
- `SHIPPED_LOCALES` is the languages whose catalogues are complete. Only these are offered to
  visitors (the language links, Accept-Language) and only these must pass `make messages-check`.
  A known locale that is not shipped yet can still be chosen on purpose (`/language/<code>`,
  `?lang=<code>`) where the area has switched it on: that is how translators and fluent reviewers
  see their words in place before release. Untranslated strings show in English meanwhile.
A language ships by adding it to SHIPPED_LOCALES once `make messages-check` passes for it.
Translations a fluent speaker has checked carry the `reviewed` flag; `make messages-review
LOCALE=xx` lists the rest (see scripts/check_messages.py).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

LOCALES: tuple[str, ...] = ("en", "cy", "pl", "ur", "ar", "ro", "so")
SHIPPED_LOCALES: tuple[str, ...] = ("en", "cy", "pl", "ur", "ar", "ro", "so")
DEFAULT_LOCALE = "en"
# Each language by its own name, as the person who reads it would look for it.
LOCALE_NAMES = {
    "en": "English",
    "cy": "Cymraeg",
    "pl": "Polski",
    "ur": "اردو",
    "ar": "العربية",
    "ro": "Română",
    "so": "Soomaali",
}
RTL_LOCALES = frozenset({"ar", "ur"})
# Dates and numbers for the places we serve: Babel's bare "en" is American ("Nov 24, 2026").
FORMAT_LOCALES = {"en": "en_GB", "cy": "cy_GB"}
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@cache
def translations_for(locale: str) -> NullTranslations:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


REVIEWED_FLAG = "reviewed"


@dataclass(frozen=True)
class CatalogueStatus:
    """How far a language's catalogue has got, for the public languages page."""

    locale: str
    strings: int
    translated: int
    reviewed: int

    @property
    def shipped(self) -> bool:
        return self.locale in SHIPPED_LOCALES


@cache
def catalogue_status(locale: str) -> CatalogueStatus:
    """Counts from locales/<code>/LC_MESSAGES/messages.po. A translation counts as reviewed only
    when a fluent speaker has marked it `#, reviewed` (see scripts/check_messages.py)."""
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return CatalogueStatus(locale, 0, 0, 0)
    with po_path.open("rb") as handle:
        messages = [m for m in read_po(handle, locale=locale) if m.id]
    done = [m for m in messages if m.string and not m.fuzzy and (not isinstance(m.string, tuple) or all(m.string))]
    return CatalogueStatus(locale, len(messages), len(done), sum(REVIEWED_FLAG in m.flags for m in done))


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def gettext(message: str, **variables: object) -> str:
    text = translations_for(get_locale()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations_for(get_locale()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def lazy_gettext(message: str) -> LazyProxy:
    """For labels defined at import time (enums, choices): translated when shown."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def format_locale(locale: str | None = None) -> str:
    """The Babel locale to format dates and numbers with, for a language (default: the current one)."""
    locale = locale or get_locale()
    return FORMAT_LOCALES.get(locale, locale)


def text_direction(locale: str) -> str:
    """"rtl" for Arabic and Urdu, "ltr" otherwise: the `dir` of the page."""
    return "rtl" if locale in RTL_LOCALES else "ltr"


def offered_locales(area_locales: list[str] | None = None, *, shipped: tuple[str, ...] | None = None) -> list[str]:
    """The languages to offer a visitor: those the area switched on that have shipped, in the
    order of LOCALES (English first, so the list does not jump about from page to page)."""
    shipped = SHIPPED_LOCALES if shipped is None else shipped
    switched_on = LOCALES if area_locales is None else area_locales
    return [code for code in LOCALES if code in shipped and code in switched_on] or [DEFAULT_LOCALE]


def choose_locale(
    *,
    explicit: str | None,
    cookie: str | None,
    accept_language: str | None,
    area_default: str,
    allowed: list[str],
    shipped: tuple[str, ...] | None = None,
) -> str:
    """The person's own choice first, then their browser's preference, then the area's default.

    `allowed` is what the area switched on. A choice made on purpose may pick any known locale the
    area switched on, shipped or not (a preview for translators); the browser's preference and the
    fallback only pick shipped ones, so nobody lands on a half-translated page by accident.
    """
    switched_on = [code for code in allowed if code in LOCALES] or [DEFAULT_LOCALE]
    for candidate in (explicit, cookie):
        if candidate in switched_on:
            return candidate  # type: ignore[return-value]
    offered = offered_locales(switched_on, shipped=shipped)
    if accept_language:
        chosen = negotiate_accept_language(accept_language, offered)
        if chosen is not None:
            return chosen
    return area_default if area_default in offered else offered[0]


def negotiate_accept_language(header: str, available: list[str]) -> str | None:
    """RFC 4647 "lookup": the highest-weighted range that, shortened tag by tag ("ur-Arab-PK",
    "ur-Arab", "ur"), names an available locale. Ties keep the header's order; q=0 means "not this"."""
    by_code = {code.lower(): code for code in available}
    for range_ in _parse_accept_language(header):
        subtags = range_.lower().split("-")
        while subtags:
            code = by_code.get("-".join(subtags))
            if code is not None:
                return code
            subtags.pop()
    return None


def _parse_accept_language(header: str) -> list[str]:
    """Language ranges, best first: "pl-PL, en;q=0.7, *;q=0.1" gives ["pl-PL", "en"]."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:1000].split(",")):
        range_, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if range_ and range_ != "*" and quality > 0:
            weighted.append((-quality, position, range_))
    weighted.sort()
    return [range_ for _, _, range_ in weighted]


# --- Dates and times in the area's time zone --------------------------------------------------
# The database keeps UTC (naive on disk, aware once read: app.core.types.UTCDateTime). People read
# the time on the clock where they are, so every date and time shown is converted to the area's
# zone (`Area.time_zone`, an IANA name) and written in the reader's language through Babel.
# Machine formats (CSV timestamps, filenames, HTTP headers) stay ISO 8601 in UTC.
DEFAULT_TIME_ZONE = "Europe/London"
# The zone of the area a page is being rendered for (set with the page's context in
# app.core.templating.base_context), for Python helpers that templates call.
_current_zone: ContextVar[str] = ContextVar("time_zone", default=DEFAULT_TIME_ZONE)


def set_time_zone(name: str | None) -> None:
    _current_zone.set(name if name and name in known_time_zones() else DEFAULT_TIME_ZONE)


def get_time_zone() -> str:
    return _current_zone.get()


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_for(name: str | None) -> ZoneInfo:
    """The zone for an IANA name (None: the current page's area's); the default zone for an unknown
    one (never an error on a page)."""
    name = name or get_time_zone()
    return _zone_info(name if name in known_time_zones() else DEFAULT_TIME_ZONE)


@cache
def _zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def as_utc(value: datetime) -> datetime:
    """A stored moment as aware UTC: naive values are UTC, as the database keeps them."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_moment(value: datetime, zone: str | None) -> datetime:
    return as_utc(value).astimezone(zone_for(zone))


def local_day(value: date | datetime, zone: str | None) -> date:
    """The calendar day a moment falls on in the zone; a plain date is a day already."""
    if isinstance(value, datetime):
        return local_moment(value, zone).date()
    return value


def format_local_date(value: date | datetime, zone: str | None, format: str = "medium", locale: str | None = None) -> str:
    """"2 Jul 2026" (en), "2 Gorff 2026" (cy): the day in the area's zone, in the reader's language."""
    return babel_dates.format_date(local_day(value, zone), format=format, locale=format_locale(locale))


def format_local_datetime(
    value: datetime, zone: str | None, format: str = "medium", locale: str | None = None, *, seconds: bool = False
) -> str:
    """"2 Jul 2026, 00:30" (medium) or "02/07/2026, 00:30" (short): date and clock time in the zone.

    The date has the width asked for; the time is hours and minutes (with seconds when asked), which
    is what staff read, joined the way the language joins them (CLDR's date-time pattern).
    """
    babel_locale = format_locale(locale)
    day = babel_dates.format_date(local_day(value, zone), format=format, locale=babel_locale)
    clock = format_local_time(value, zone, locale, seconds=seconds)
    width: Literal["full", "long", "medium", "short"] = format if format in ("full", "long", "short") else "medium"  # type: ignore[assignment]
    pattern = babel_dates.get_datetime_format(width, locale=babel_locale)
    return str(pattern).replace("{1}", day).replace("{0}", clock)


def format_local_time(value: datetime, zone: str | None, locale: str | None = None, *, seconds: bool = False) -> str:
    """"00:30": the clock time in the zone, in the reader's language."""
    moment = local_moment(value, zone)
    return babel_dates.format_time(moment, format="medium" if seconds else "short", tzinfo=moment.tzinfo, locale=format_locale(locale))


def machine_moment(value: datetime) -> str:
    """The moment for machines: ISO 8601 in UTC with a Z ("2026-07-01T23:30:00Z")."""
    return as_utc(value).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
