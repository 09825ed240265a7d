from __future__ import annotations

import pytest

from app.core import i18n


@pytest.mark.parametrize(
    ("explicit", "cookie", "header", "expected"),
    [
        ("cy", None, "en", "cy"),
        (None, "cy", "en", "cy"),
        (None, None, "cy-GB,en;q=0.5", "cy"),
        (None, None, "fr-FR,fr;q=0.9", "en"),
        ("xx", None, None, "en"),
    ],
)
def test_locale_is_explicit_choice_then_browser_then_area_default(explicit: str | None, cookie: str | None, header: str | None, expected: str) -> None:
    assert i18n.choose_locale(explicit=explicit, cookie=cookie, accept_language=header, area_default="en", allowed=["en", "cy"]) == expected


def test_area_default_applies_when_the_browser_says_nothing_useful() -> None:
    assert i18n.choose_locale(explicit=None, cookie=None, accept_language=None, area_default="cy", allowed=["en", "cy"]) == "cy"


def test_welsh_catalogue_translates() -> None:
    i18n.set_locale("cy")
    try:
        assert i18n.gettext("Exit this page") != "Exit this page"
    finally:
        i18n.set_locale("en")
