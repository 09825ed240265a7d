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


# ---- Accept-Language: q-values and language ranges, among the shipped languages only ----
ALL = list(i18n.LOCALES)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ur-PK", "ur"),
        ("ar-EG,ar;q=0.9,en;q=0.5", "ar"),
        ("pl-PL", "pl"),
        ("ro-RO,ro;q=0.9", "ro"),
        ("so-SO,so;q=0.8,en-GB;q=0.6", "so"),
        ("en;q=0.5, ur;q=0.9", "ur"),  # weight beats order
        ("pl , ro", "pl"),  # equal weight keeps the header's order
        ("fr-FR, ar-EG;q=0.4", "ar"),  # an unknown first choice is skipped
        ("UR-pk", "ur"),  # tags are case-insensitive
        ("ur-Arab-PK", "ur"),  # shortened subtag by subtag
        ("ar;q=0, en", "en"),  # q=0 means "not this"
        ("ar; q = 0.7, cy ;q=0.6", "ar"),  # spaces around the weight
        ("ar;q=nonsense, cy;q=0.2", "cy"),  # a broken weight counts as zero
        ("*;q=0.5", "en"),
        ("", "en"),
    ],
)
def test_browser_language_honours_weights_and_ranges(header: str, expected: str) -> None:
    chosen = i18n.choose_locale(explicit=None, cookie=None, accept_language=header, area_default="en", allowed=ALL, shipped=i18n.LOCALES)
    assert chosen == expected


def test_browser_language_never_picks_a_language_that_has_not_shipped() -> None:
    chosen = i18n.choose_locale(explicit=None, cookie=None, accept_language="ar-EG,ar;q=0.9,cy;q=0.3", area_default="en", allowed=ALL, shipped=("en", "cy"))
    assert chosen == "cy"


def test_a_choice_made_on_purpose_previews_a_language_that_has_not_shipped() -> None:
    assert i18n.choose_locale(explicit="ur", cookie=None, accept_language=None, area_default="en", allowed=ALL, shipped=("en", "cy")) == "ur"
    assert i18n.choose_locale(explicit=None, cookie="ar", accept_language="cy", area_default="en", allowed=ALL, shipped=("en", "cy")) == "ar"


def test_a_language_the_area_has_not_switched_on_is_never_chosen() -> None:
    assert i18n.choose_locale(explicit="ar", cookie=None, accept_language="ar", area_default="en", allowed=["en", "cy"], shipped=i18n.LOCALES) == "en"


def test_an_area_default_that_has_not_shipped_falls_back_to_a_shipped_language() -> None:
    assert i18n.choose_locale(explicit=None, cookie=None, accept_language=None, area_default="pl", allowed=["pl", "en"], shipped=("en", "cy")) == "en"


def test_offered_languages_are_switched_on_and_shipped_in_a_steady_order() -> None:
    assert i18n.offered_locales(["so", "cy", "en", "ar"], shipped=i18n.LOCALES) == ["en", "cy", "ar", "so"]
    assert i18n.offered_locales(["so", "cy", "en", "ar"], shipped=("en", "cy")) == ["en", "cy"]
    assert i18n.offered_locales([], shipped=("en",)) == ["en"]


def test_every_language_has_its_own_name_and_a_direction() -> None:
    assert set(i18n.LOCALE_NAMES) == set(i18n.LOCALES)
    assert i18n.LOCALE_NAMES["ur"] == "اردو" and i18n.LOCALE_NAMES["ar"] == "العربية"
    assert i18n.LOCALE_NAMES["pl"] == "Polski" and i18n.LOCALE_NAMES["ro"] == "Română" and i18n.LOCALE_NAMES["so"] == "Soomaali"
    assert [code for code in i18n.LOCALES if i18n.text_direction(code) == "rtl"] == ["ur", "ar"]
    assert set(i18n.SHIPPED_LOCALES) <= set(i18n.LOCALES)


def test_every_catalogue_has_the_plural_forms_of_its_language() -> None:
    from babel.messages.plurals import get_plural

    for code in i18n.LOCALES:
        if code == i18n.DEFAULT_LOCALE:
            continue
        status = i18n.catalogue_status(code)
        assert status.strings > 0, code
        translations = i18n.translations_for(code)
        forms = {translations.plural(n) for n in range(1000)}  # type: ignore[attr-defined]
        assert forms == set(range(get_plural(code).num_plurals)), code


def test_arabic_plural_forms_follow_the_cldr_order() -> None:
    # zero, one, two, few (3-10), many (11-99), other (100-102): the order translators' tools use.
    plural = i18n.translations_for("ar").plural  # type: ignore[attr-defined]
    assert [plural(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)] == [0, 1, 2, 3, 3, 4, 4, 5, 5, 3, 4]


def test_an_untranslated_string_shows_in_english_not_empty() -> None:
    # Strings no catalogue has (a string added after the last translation round) read in English.
    i18n.set_locale("so")
    try:
        assert i18n.gettext("A sentence added after the last translation round") == "A sentence added after the last translation round"
        text = i18n.ngettext("%(num)s new thing", "%(num)s new things", 3)
        assert text == "3 new things"
    finally:
        i18n.set_locale("en")


def test_dates_and_numbers_follow_the_readers_language() -> None:
    from datetime import UTC, datetime

    from app.core.templating import format_date, format_datetime, format_number

    moment = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)
    expected = {"en": "24 Nov 2026", "cy": "24 Tach 2026", "pl": "24 lis 2026", "ro": "24 nov. 2026"}
    try:
        for code, text in expected.items():
            i18n.set_locale(code)
            assert format_date(moment) == text
        i18n.set_locale("en")
        assert format_datetime(moment, "short") == "24/11/2026, 21:05"
        i18n.set_locale("pl")
        assert format_number(12345.5) == "12\xa0345,5"
        assert format_date(None) == "–"
    finally:
        i18n.set_locale("en")
