"""Calendar months: the register's unit of time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from app.register.periods import month_key, months_back, period_since, period_start, recent_windows


def test_months_back_ends_with_this_month_and_crosses_the_year() -> None:
    assert months_back(date(2026, 2, 14), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_a_period_starts_on_the_first_of_its_oldest_month() -> None:
    assert period_start(date(2026, 3, 31), "3m") == datetime(2026, 1, 1, tzinfo=UTC)
    assert period_since(date(2026, 3, 31), "12m") == "2025-04"
    assert period_start(date(2026, 3, 31), "all") is None and period_since(date(2026, 3, 31), "all") is None


def test_an_entry_counts_in_its_utc_month() -> None:
    # Half past midnight on 1 March in Paris is still February in UTC.
    paris = timezone(timedelta(hours=1))
    assert month_key(datetime(2026, 3, 1, 0, 30, tzinfo=paris)) == "2026-02"
    assert month_key(date(2026, 3, 1)) == "2026-03"


def test_recent_windows_are_the_last_three_months_and_the_three_before() -> None:
    recent, previous = recent_windows(date(2026, 1, 5))
    assert recent == ["2025-11", "2025-12", "2026-01"]
    assert previous == ["2025-08", "2025-09", "2025-10"]
