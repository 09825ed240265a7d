"""The patterns page: the area's patterns, newest first, each with the evidence that showed it.

Everything shown comes from the pattern's stored evidence (its weekly counts and per-context
counts), so a past pattern reads as it was found; context names are read from the register, and a
context no longer in it is named but not linked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.core.templating import format_date
from app.register import charts
from app.register.models import Context
from app.register.patterns.models import Pattern, PatternRun

# --- The patterns page -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekRow:
    starts: date
    count: int
    recent: bool


@dataclass(frozen=True)
class ContextRow:
    id: int
    name: str
    recent: int
    baseline: int
    in_register: bool  # still a context of this area (links only then)


@dataclass(frozen=True)
class PatternView:
    pattern: Pattern
    recent_weeks: int
    baseline_weeks: int
    recent: int
    baseline: int
    expected: float
    ratio: float | None
    p_value: float
    recent_from: date
    recent_to: date
    baseline_from: date
    weeks: list[WeekRow]
    contexts: list[ContextRow]
    chart: charts.Chart


SHOW = ("current", "past")


def last_day(week: date | None) -> date | None:
    """The Sunday a week's window ends on, for people (weeks are stored by the Monday after)."""
    return week - timedelta(days=1) if week is not None else None


def _weekly_chart(weeks: Sequence[WeekRow]) -> charts.Chart:
    """Weekly columns: the recent weeks as unsafe entries (hatched), the weeks before in the plain
    neutral fill, so the two parts differ in pattern as well as colour."""
    labels = [format_date(w.starts, "d/M") for w in weeks]
    chart = charts.stacked_columns(
        labels,
        {
            "unsafe": [w.count if w.recent else 0 for w in weeks],
            "structural": [0 if w.recent else w.count for w in weeks],
        },
        width=max(640, charts.AXIS_WIDTH + 56 * len(weeks)),
    )
    return replace(
        chart,
        bars=[
            replace(bar, series="neutral") if bar.series == "structural" else bar
            for bar in chart.bars
        ],
    )


def pattern_view(pattern: Pattern, names: dict[int, str]) -> PatternView:
    evidence = pattern.evidence
    recent_weeks, baseline_weeks = (
        int(evidence.get("recent_weeks", 4)),
        int(evidence.get("baseline_weeks", 12)),
    )
    weekly = [int(n) for n in evidence.get("weekly", [])]
    start = pattern.last_week - timedelta(weeks=len(weekly))
    weeks = [
        WeekRow(start + timedelta(weeks=i), n, i >= len(weekly) - recent_weeks)
        for i, n in enumerate(weekly)
    ]
    contexts = [
        ContextRow(
            int(c["id"]),
            names.get(int(c["id"]), str(c.get("name", ""))),
            int(c.get("recent", 0)),
            int(c.get("baseline", 0)),
            int(c["id"]) in names,
        )
        for c in evidence.get("contexts", [])
    ]
    ratio = evidence.get("ratio")
    return PatternView(
        pattern,
        recent_weeks,
        baseline_weeks,
        int(evidence.get("recent", 0)),
        int(evidence.get("baseline", 0)),
        float(evidence.get("expected", 0.0)),
        None if ratio is None else float(ratio),
        float(evidence.get("p_value", 1.0)),
        pattern.last_week - timedelta(weeks=recent_weeks),
        pattern.last_week - timedelta(days=1),
        pattern.last_week - timedelta(weeks=recent_weeks + baseline_weeks),
        weeks,
        contexts,
        _weekly_chart(weeks),
    )


def patterns_page(
    session: Session, area_id: int, show: str = "", *, limit: int = 200
) -> list[PatternView]:
    """The area's patterns, newest first (current, past, or both), each with its evidence."""
    query = select(Pattern).where(Pattern.area_id == area_id)
    if show == "current":
        query = query.where(col(Pattern.ended_week).is_(None))
    elif show == "past":
        query = query.where(col(Pattern.ended_week).is_not(None))
    # Newest first; among patterns of the same weeks, in the order the run found them (rising first).
    rows = session.exec(
        query.order_by(
            col(Pattern.last_week).desc(), col(Pattern.first_week).desc(), col(Pattern.id)
        ).limit(limit)
    ).all()
    ids = sorted(
        {i for row in rows for i in [int(c["id"]) for c in row.evidence.get("contexts", [])]}
    )
    names: dict[int, str] = {}
    for offset in range(0, len(ids), 500):
        found = session.exec(
            select(Context.id, Context.name).where(
                Context.area_id == area_id, col(Context.id).in_(ids[offset : offset + 500])
            )
        ).all()
        names.update({i: n for i, n in found if i is not None})
    return [pattern_view(row, names) for row in rows]


def last_run(session: Session, area_id: int) -> PatternRun | None:
    return session.exec(
        select(PatternRun)
        .where(PatternRun.area_id == area_id)
        .order_by(col(PatternRun.week).desc())
    ).first()
