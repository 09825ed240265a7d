"""Dates and times are shown on the area's clock, in the reader's language; machines get UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.areas.schemas import parse_time_zone
from app.core import i18n
from app.core.templating import environment, format_datetime

SUMMER_NIGHT = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London (BST)
WINTER_NIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 23:30 on 1 December in London (GMT)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    yield
    i18n.set_locale("en")
    i18n.set_time_zone(None)


def _render(source: str, **context: object) -> str:
    return environment.from_string(source).render(context)


def test_british_summer_time_moves_a_late_report_to_the_next_day() -> None:
    assert i18n.format_local_datetime(SUMMER_NIGHT, "Europe/London") == "2 Jul 2026, 00:30"
    assert i18n.format_local_date(SUMMER_NIGHT, "Europe/London") == "2 Jul 2026"
    assert i18n.format_local_datetime(WINTER_NIGHT, "Europe/London") == "1 Dec 2026, 23:30"
    assert i18n.format_local_datetime(SUMMER_NIGHT, "UTC", "short") == "01/07/2026, 23:30"
    assert (
        i18n.format_local_datetime(SUMMER_NIGHT, "Europe/London", "short", seconds=True)
        == "02/07/2026, 00:30:00"
    )


def test_the_words_follow_the_readers_language() -> None:
    assert i18n.format_local_date(SUMMER_NIGHT, "Europe/London", locale="cy") == "2 Gorff 2026"
    i18n.set_locale("pl")
    assert i18n.format_local_date(SUMMER_NIGHT, "Europe/London") == "2 lip 2026"


def test_naive_values_are_utc_as_the_database_keeps_them() -> None:
    naive = SUMMER_NIGHT.replace(tzinfo=None)
    assert i18n.format_local_datetime(naive, "Europe/London") == "2 Jul 2026, 00:30"
    assert i18n.machine_moment(naive) == "2026-07-01T23:30:00Z"


def test_an_unknown_or_missing_zone_falls_back_to_london_never_an_error() -> None:
    assert i18n.format_local_datetime(SUMMER_NIGHT, "Mars/Olympus_Mons") == "2 Jul 2026, 00:30"
    assert i18n.format_local_datetime(SUMMER_NIGHT, None) == "2 Jul 2026, 00:30"
    i18n.set_time_zone("America/New_York")
    assert i18n.format_local_datetime(SUMMER_NIGHT, None) == "1 Jul 2026, 19:30"


def test_the_filters_read_the_pages_area_and_wrap_the_text_in_a_time_element() -> None:
    london, utc = SimpleNamespace(time_zone="Europe/London"), SimpleNamespace(time_zone="UTC")
    page = "{{ when|local_datetime }} · {{ when|local_date }}"
    assert _render(page, when=SUMMER_NIGHT, area=london) == (
        '<time datetime="2026-07-01T23:30:00Z">2 Jul 2026, 00:30</time> · <time datetime="2026-07-02">2 Jul 2026</time>'
    )
    assert _render(page, when=SUMMER_NIGHT, area=utc) == (
        '<time datetime="2026-07-01T23:30:00Z">1 Jul 2026, 23:30</time> · <time datetime="2026-07-01">1 Jul 2026</time>'
    )
    # No area (a page outside any area): the default zone.
    assert (
        _render("{{ when|local_date }}", when=SUMMER_NIGHT, area=None)
        == '<time datetime="2026-07-02">2 Jul 2026</time>'
    )


def test_the_filters_give_plain_text_where_markup_cannot_go() -> None:
    area = SimpleNamespace(time_zone="Europe/London")
    assert (
        _render(
            '<a title="{{ when|local_datetime("short", tag=False) }}">',
            when=SUMMER_NIGHT,
            area=area,
        )
        == '<a title="02/07/2026, 00:30">'
    )
    assert _render("{{ when|format_date('MMMM y') }}", when=SUMMER_NIGHT, area=area) == "July 2026"
    assert (
        _render("{{ when|format_datetime('short') }}", when=SUMMER_NIGHT, area=area)
        == "02/07/2026, 00:30"
    )
    # Plain-text emails are not escaped, so they get the words without markup.
    email = environment.overlay(autoescape=False).from_string("{{ when|local_datetime }}")
    assert email.render(when=SUMMER_NIGHT, area=area) == "2 Jul 2026, 00:30"


def test_a_plain_date_is_a_day_already_and_none_is_a_dash() -> None:
    area = SimpleNamespace(time_zone="Pacific/Auckland")
    assert (
        _render("{{ due|local_date }}", due=date(2026, 7, 1), area=area)
        == '<time datetime="2026-07-01">1 Jul 2026</time>'
    )
    assert (
        _render("{{ nothing|local_date }}|{{ nothing|local_datetime }}", nothing=None, area=area)
        == "–|–"
    )


def test_translated_sentences_keep_the_time_element_intact() -> None:
    area = SimpleNamespace(time_zone="Europe/London")
    rendered = _render(
        '{{ _("Raised %(time)s.", time=when|local_datetime) }}', when=SUMMER_NIGHT, area=area
    )
    assert rendered == 'Raised <time datetime="2026-07-01T23:30:00Z">2 Jul 2026, 00:30</time>.'


def test_python_callers_name_the_zone() -> None:
    assert format_datetime(SUMMER_NIGHT, "short", zone="Europe/Dublin") == "02/07/2026, 00:30"
    assert format_datetime(SUMMER_NIGHT, "short", zone="Asia/Karachi") == "02/07/2026, 04:30"


def test_an_admin_may_type_a_zone_in_any_case_and_a_wrong_one_is_refused() -> None:
    assert parse_time_zone(" europe/london ") == "Europe/London"
    assert parse_time_zone("") == "Europe/London"
    assert parse_time_zone("Europe/Dublin") == "Europe/Dublin"
    with pytest.raises(ValueError, match="unknown_time_zone"):
        parse_time_zone("Brackenford/Town_Hall")


def test_no_template_formats_dates_with_strftime() -> None:
    """strftime writes English digits in UTC: every template uses local_date / local_datetime."""
    offenders = [
        f"{path}:{number}"
        for path in sorted(Path("templates").rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".svg"}
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bstrftime\b", line)
    ]
    assert offenders == []
