"""Translations with Babel. The shipped locales live in one constant.

Catalogues are read from the committed .po files and compiled in memory at start-up, so a fresh
checkout needs no build step to speak Welsh. The locale for a request is the person's explicit
choice, then their browser's Accept-Language, then the area's default.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

LOCALES: tuple[str, ...] = ("en", "cy")
DEFAULT_LOCALE = "en"
LOCALE_NAMES = {"en": "English", "cy": "Cymraeg"}
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


def choose_locale(
    *, explicit: str | None, cookie: str | None, accept_language: str | None, area_default: str, allowed: list[str]
) -> str:
    allowed = [code for code in allowed if code in LOCALES] or [DEFAULT_LOCALE]
    for candidate in (explicit, cookie):
        if candidate in allowed:
            return candidate  # type: ignore[return-value]
    if accept_language:
        preferred = _parse_accept_language(accept_language)
        chosen = Locale.negotiate(preferred, allowed, sep="-")
        if chosen is not None:
            return chosen.language
    return area_default if area_default in allowed else allowed[0]


def _parse_accept_language(header: str) -> list[str]:
    weighted: list[tuple[float, str]] = []
    for part in header.split(","):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code and code != "*" and quality > 0:
            weighted.append((quality, code.strip()))
    weighted.sort(key=lambda item: -item[0])
    # Offer both the full tag and its language, so "cy-GB" finds "cy".
    out: list[str] = []
    for _, code in weighted:
        out.append(code)
        out.append(code.split("-")[0])
    return out
