"""Before and after an action: a context's published entries in equal windows either side of the
action's start or completion date, counted by kind in the database.

These are what people told us, not proof that something changed, and a window with fewer entries
than the area's small-number rule (k) shows no numbers at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.i18n import gettext
from app.core.types import utcnow
from app.register import charts
from app.register.models import Action, Context
from app.reports.models import Report, ReportKind, ReportStatus

# --- before and after an action -------------------------------------------------------------------

WINDOW_WEEKS = (4, 8, 12, 26)
DEFAULT_WINDOW_WEEKS = 8
ANCHORS = ("start", "completion")
KINDS = (ReportKind.SAFE.value, ReportKind.UNSAFE.value, ReportKind.STRUCTURAL.value)


@dataclass(frozen=True)
class Window:
    start: date  # first day counted
    end: date  # last day counted
    days: int  # days the window should have
    days_so_far: int  # days of it that have happened (less than `days` only for an after-window still running)

    @property
    def complete(self) -> bool:
        return self.days_so_far >= self.days


def comparison_windows(anchor: date, weeks: int, today: date) -> tuple[Window, Window]:
    """Equal windows either side of the anchor day: `weeks` weeks before it, and the anchor day plus the
    days after it. The after-window never reaches past today; `days_so_far` says how much of it there is."""
    days = weeks * 7
    before = Window(anchor - timedelta(days=days), anchor - timedelta(days=1), days, days)
    end = anchor + timedelta(days=days - 1)
    so_far = max(min((today - anchor).days + 1, days), 0)
    after = Window(anchor, min(end, today) if so_far else anchor, days, so_far)
    return before, after


@dataclass(frozen=True)
class WindowSummary:
    window: Window
    counts: dict[str, int]
    total: int
    mean_feeling: float | None  # 1 (very unsafe) to 5 (very safe), over the entries that said
    hidden: bool  # fewer than k entries: no numbers are shown

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)


@dataclass(frozen=True)
class Tally:
    """One kind's entries in a window, as the database sums them."""

    kind: str
    entries: int
    feeling_total: int = 0  # the sum of the feelings given (1 very unsafe .. 5 very safe)
    feelings: int = 0  # how many entries gave a feeling


def summarise_window(window: Window, tallies: Iterable[Tally], k: int) -> WindowSummary:
    """Counts by kind and the mean feeling; below k entries in all, the numbers are withheld."""
    counts = dict.fromkeys(KINDS, 0)
    feeling_total = feelings = 0
    for tally in tallies:
        counts[tally.kind] = counts.get(tally.kind, 0) + tally.entries
        feeling_total += tally.feeling_total
        feelings += tally.feelings
    total = sum(counts.values())
    if total < k:
        return WindowSummary(window, dict.fromkeys(KINDS, 0), 0, None, True)
    mean = round(feeling_total / feelings, 1) if feelings else None
    return WindowSummary(window, counts, total, mean, False)


@dataclass(frozen=True)
class BeforeAfter:
    action: Action
    anchor: str  # "start" or "completion"
    anchor_date: date | None  # None: the action has no completion date yet
    weeks: int
    before: WindowSummary | None
    after: WindowSummary | None
    k: int

    @property
    def any_shown(self) -> bool:
        return bool(
            (self.before and not self.before.hidden) or (self.after and not self.after.hidden)
        )

    def chart(self) -> charts.Chart | None:
        """Two stacked columns, before and after; a window below k has no column, only its note."""
        if self.before is None or self.after is None or not self.any_shown:
            return None
        windows = (self.before, self.after)
        return charts.stacked_columns(
            [gettext("Before"), gettext("After")],
            {kind: [w.count(kind) for w in windows] for kind in KINDS},
            width=300,
            height=220,
        )

    def chart_notes(self) -> list[str]:
        """What the chart says in place of a hidden window's column."""
        return [
            gettext("fewer than %(k)s", k=self.k) if w is not None and w.hidden else ""
            for w in (self.before, self.after)
        ]


def anchor_date(action: Action, anchor: str) -> date | None:
    if anchor == "completion":
        return action.completed_on
    return action.started_on or action.created_at.date()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _entries_between(session: Session, context_id: int, window: Window) -> list[Tally]:
    """The window's published entries, counted by kind in the database (the profile never loads them)."""
    if window.days_so_far <= 0:
        return []
    query = (
        select(
            Report.kind,
            func.count(),
            func.sum(col(Report.feeling)),
            func.count(col(Report.feeling)),
        )
        .where(
            col(Report.context_id) == context_id,
            col(Report.status) == ReportStatus.PUBLISHED,
            col(Report.created_at) >= _day_start(window.start),
            col(Report.created_at) < _day_start(window.end + timedelta(days=1)),
        )
        .group_by(col(Report.kind))
    )
    return [
        Tally(kind, int(n), int(total or 0), int(given))
        for kind, n, total, given in session.exec(query).all()
    ]


def before_after(
    session: Session,
    context: Context,
    actions: Sequence[Action],
    *,
    k: int,
    weeks: int = DEFAULT_WINDOW_WEEKS,
    anchor: str = "start",
    today: date | None = None,
) -> list[BeforeAfter]:
    """For each action, its context's published entries in equal windows before and after its start
    (or completion) date. Entries are counted by the day they were made (UTC)."""
    today = today or utcnow().date()
    weeks = weeks if weeks in WINDOW_WEEKS else DEFAULT_WINDOW_WEEKS
    anchor = anchor if anchor in ANCHORS else "start"
    assert context.id is not None
    results = []
    for action in actions:
        day = anchor_date(action, anchor)
        if day is None:
            results.append(BeforeAfter(action, anchor, None, weeks, None, None, k))
            continue
        before_w, after_w = comparison_windows(day, weeks, today)
        before = summarise_window(before_w, _entries_between(session, context.id, before_w), k)
        after = summarise_window(after_w, _entries_between(session, context.id, after_w), k)
        results.append(BeforeAfter(action, anchor, day, weeks, before, after, k))
    return results

