"""The staff heatmap: where and when unsafe entries cluster, month by month and by time of day.

Rows are calendar months (UTC, as the register counts them), columns the times of day people said
it happens (morning, afternoon, evening, night, all the time). An entry that names two times is
counted under both, so the month's total of entries is shown on its own and is not the sum of
its row. Entries that gave no time count only in that total.

Staff see exact counts here, as in the rest of the register (the register shows staff the counts
of every context, however small; the k rule is for what the public sees). Only published entries
of the staff member's own area are ever read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, literal
from sqlmodel import Session, col, select

from app.core.types import utcnow
from app.register.periods import DEFAULT_PERIOD, PERIODS, month_key, months_back, period_start
from app.reports.models import Report, ReportKind, ReportSource, ReportStatus
from app.reports.taxonomy import TIME_BANDS

BANDS = tuple(TIME_BANDS)  # morning, afternoon, evening, night, all_the_time
LEVELS = 5
# Geometry of the SVG, in its own units.
LABEL_WIDTH = 96
HEADER_HEIGHT = 34
COLUMN_WIDTH = 104
ROW_HEIGHT = 30


@dataclass(frozen=True)
class HeatmapFilters:
    context_id: int | None = None
    place_id: int | None = None
    category: str | None = None
    source: str | None = None
    period: str = DEFAULT_PERIOD

    def query_params(self) -> dict[str, str]:
        values = {
            "context": str(self.context_id or ""),
            "place": str(self.place_id or ""),
            "category": self.category or "",
            "source": self.source or "",
            "period": self.period,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class HeatCell:
    month: str
    band: str
    value: int
    level: int  # 0 (none) to LEVELS (the busiest)
    x: float
    y: float
    width: float = COLUMN_WIDTH
    height: float = ROW_HEIGHT


@dataclass(frozen=True)
class Heatmap:
    months: list[str]  # oldest first
    bands: tuple[str, ...]
    counts: dict[tuple[str, str], int]
    entries_by_month: dict[str, int]
    cells: list[HeatCell]
    width: int
    height: int
    max_value: int

    @property
    def band_headings(self) -> list[tuple[float, str]]:
        """(x, band) of each column heading, centred over its column."""
        return [
            (LABEL_WIDTH + i * COLUMN_WIDTH + COLUMN_WIDTH / 2, band)
            for i, band in enumerate(self.bands)
        ]

    @property
    def heading_y(self) -> float:
        """The baseline of the column headings, in the band above the first row."""
        return HEADER_HEIGHT * 0.65

    @property
    def month_label_x(self) -> float:
        """Where row headings are centred: the middle of the label column (the same in either direction)."""
        return LABEL_WIDTH / 2

    @property
    def month_headings(self) -> list[tuple[float, str]]:
        """(y, month) of each row heading, on the row's baseline."""
        return [
            (HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT * 0.67, month)
            for i, month in enumerate(self.months)
        ]

    @property
    def entries(self) -> int:
        return sum(self.entries_by_month.values())

    def band_total(self, band: str) -> int:
        return sum(self.counts.get((month, band), 0) for month in self.months)

    def busiest(self) -> tuple[str, str, int] | None:
        """The month and time with the most unsafe entries (the earliest, when several tie)."""
        best: tuple[str, str, int] | None = None
        for month in self.months:
            for band in self.bands:
                value = self.counts.get((month, band), 0)
                if value and (best is None or value > best[2]):
                    best = (month, band, value)
        return best


def month_date(key: str) -> date:
    """The first day of a 'YYYY-MM' month, for showing it in the reader's language."""
    return date(int(key[:4]), int(key[5:7]), 1)


def level_of(value: int, top: int) -> int:
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(LEVELS, -(-value * LEVELS // top)))


def _where(
    area_id: int, filters: HeatmapFilters, since: datetime | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        col(Report.area_id) == area_id,
        col(Report.status) == ReportStatus.PUBLISHED,
        col(Report.kind) == ReportKind.UNSAFE,
    ]
    if since:
        where.append(col(Report.created_at) >= since)
    if filters.context_id is not None:
        where.append(col(Report.context_id) == filters.context_id)
    if filters.place_id is not None:
        where.append(col(Report.place_id) == filters.place_id)
    if filters.source:
        where.append(col(Report.source) == filters.source)
    if filters.category:
        # Codes are stored comma-separated; the code was checked against the area's list, and its
        # underscores are escaped so that LIKE matches them literally.
        code = filters.category.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(
            (literal(",") + col(Report.categories) + literal(",")).like(f"%,{code},%", escape="\\")
        )
    return where


def unsafe_heatmap(
    session: Session, area_id: int, filters: HeatmapFilters, *, today: date | None = None
) -> Heatmap:
    today = today or utcnow().date()
    since = period_start(today, filters.period)
    query = select(Report.created_at, Report.time_bands).where(*_where(area_id, filters, since))
    counts: Counter[tuple[str, str]] = Counter()
    entries: Counter[str] = Counter()
    for created_at, time_bands in session.exec(query).all():
        month = month_key(created_at)
        entries[month] += 1
        for band in {code for code in (time_bands or "").split(",") if code in BANDS}:
            counts[(month, band)] += 1
    months = _months(today, filters.period, entries)
    top = max(counts.values(), default=0)
    cells = [
        HeatCell(
            month,
            band,
            counts.get((month, band), 0),
            level_of(counts.get((month, band), 0), top),
            LABEL_WIDTH + column * COLUMN_WIDTH,
            HEADER_HEIGHT + row * ROW_HEIGHT,
        )
        for row, month in enumerate(months)
        for column, band in enumerate(BANDS)
    ]
    return Heatmap(
        months=months,
        bands=BANDS,
        counts=dict(counts),
        entries_by_month={m: entries.get(m, 0) for m in months},
        cells=cells,
        width=LABEL_WIDTH + len(BANDS) * COLUMN_WIDTH,
        height=HEADER_HEIGHT + len(months) * ROW_HEIGHT + 4,
        max_value=top,
    )


def _months(today: date, period: str, entries: Counter[str]) -> list[str]:
    count = PERIODS.get(period)
    if count is not None:
        return months_back(today, count)
    if not entries:
        return months_back(today, 1)
    first = month_date(min(entries))
    span = (today.year - first.year) * 12 + today.month - first.month + 1
    return months_back(today, max(span, 1))


def parse_filters(
    *,
    context: str,
    place: str,
    category: str,
    source: str,
    period: str,
    context_ids: set[int],
    place_ids: set[int],
    categories: set[str],
) -> HeatmapFilters:
    """Filters from GET parameters: anything not on this area's own lists is ignored, not trusted."""

    def number(value: str, allowed: set[int]) -> int | None:
        return int(value) if value.isdigit() and int(value) in allowed else None

    return HeatmapFilters(
        context_id=number(context, context_ids),
        place_id=number(place, place_ids),
        category=category if category in categories else None,
        source=source if source in {s.value for s in ReportSource} else None,
        period=period if period in PERIODS else DEFAULT_PERIOD,
    )
