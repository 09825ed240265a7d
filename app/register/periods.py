"""Calendar months, the register's unit of time: period filters, trends and the panel's windows."""

from __future__ import annotations

from datetime import UTC, date, datetime

# Period filter: how many months back the counts reach (None: since the start).
PERIODS: dict[str, int | None] = {"3m": 3, "6m": 6, "12m": 12, "all": None}
DEFAULT_PERIOD = "12m"
TREND_MONTHS = 12
RECENT_MONTHS = 3


def month_key(value: datetime | date) -> str:
    """'YYYY-MM' of a date, or of a datetime in UTC (as entries are counted)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value.year:04d}-{value.month:02d}"


def months_back(today: date, count: int) -> list[str]:
    """The last `count` calendar months, oldest first, ending with this month."""
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return keys[::-1]


def period_start(today: date, period: str) -> datetime | None:
    months = PERIODS.get(period)
    if months is None:
        return None
    first = months_back(today, months)[0]
    return datetime(int(first[:4]), int(first[5:]), 1, tzinfo=UTC)


def period_since(today: date, period: str) -> str | None:
    """The first month ('YYYY-MM') a period filter counts, or None for all time."""
    start = period_start(today, period)
    return month_key(start) if start else None


def recent_windows(today: date) -> tuple[list[str], list[str]]:
    """The last three calendar months and the three before them, as 'YYYY-MM' keys."""
    six = months_back(today, 2 * RECENT_MONTHS)
    return six[RECENT_MONTHS:], six[:RECENT_MONTHS]
