"""Period filters meet the counts: a period reaches back to the first of its oldest month, in UTC,
and anything that is not a known period means all time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from app.register import counts, periods
from tests import support_services
from tests.factories import make_area, make_context, make_published

TODAY = date(2026, 3, 15)

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def test_every_period_filter_reaches_back_whole_months_and_all_reaches_back_to_the_start() -> None:
    assert periods.DEFAULT_PERIOD in periods.PERIODS
    for period, months in periods.PERIODS.items():
        since = periods.period_since(TODAY, period)
        assert since == (None if months is None else periods.months_back(TODAY, months)[0])
    assert periods.period_since(TODAY, "3m") == "2026-01"


def test_a_period_nobody_offers_means_all_time_rather_than_an_error() -> None:
    assert periods.period_start(TODAY, "yesterday") is None
    assert periods.period_since(TODAY, "") is None


def test_a_period_counts_an_entry_from_the_first_moment_of_its_oldest_month_and_not_before(writer: Session) -> None:
    area = make_area(writer)
    park = make_context(writer, area, "Victoria Park")
    start = periods.period_start(TODAY, "3m")
    assert start == datetime(2026, 1, 1, tzinfo=UTC)
    make_published(writer, area, park, created_at=start)
    make_published(writer, area, park, created_at=start - timedelta(seconds=1))
    since = periods.period_since(TODAY, "3m")
    assert area.id is not None and park.id is not None
    agg = counts.aggregates_for(writer, area.id, [park], since=since)[park.id]
    assert agg.monthly() == Counter({"2026-01": 1})
    assert counts.aggregates_for(writer, area.id, [park])[park.id].monthly() == Counter({"2025-12": 1, "2026-01": 1})
