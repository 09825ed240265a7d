"""A context's profile: its counts over time and by time of day, day, theme and source, the redacted
entries a page at a time, its actions and history, and safe places nearby."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import h3
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.areas.models import Area
from app.core.types import utcnow
from app.register.counts import aggregates_for, summed, window_counts
from app.register.labels import status_note
from app.register.models import (
    Action,
    ActionStatus,
    AggregateDimension,
    Context,
    ContextAggregate,
    ContextNoteChange,
    ContextRegrouping,
    ContextStatusChange,
    PanelDecision,
)
from app.register.outcomes import goals as outcome_goals
from app.register.outcomes import windows as outcome_windows
from app.register.periods import TREND_MONTHS, months_back, recent_windows
from app.register.service import get_context
from app.register.weighting import Factor, score_factors
from app.reports.models import Report, ReportKind, ReportStatus

ENTRIES_PER_PAGE = 25
TIME_BAND_ORDER = ("morning", "afternoon", "evening", "night", "all_the_time")
DAY_ORDER = ("weekdays", "weekends", "school_days", "holidays")


@dataclass(frozen=True)
class MonthCounts:
    month: str
    safe: int
    unsafe: int
    structural: int

    @property
    def total(self) -> int:
        return self.safe + self.unsafe + self.structural


@dataclass(frozen=True)
class SafePlace:
    context: Context
    safe: int
    rings: int  # how many hexagon rings away (each about 1 km at the default resolution)


@dataclass(frozen=True, slots=True)
class ContextChoice:
    """Another context of the area, as the merge form offers it (slots: one object each, see below)."""

    id: int
    name: str


@dataclass(frozen=True)
class HistoryItem:
    """One line in a context's history: a status change, a merge or split, a note edit, a decision."""

    at: datetime
    kind: str
    text: str
    note: str = ""


@dataclass
class ContextProfile:
    context: Context
    entries: Sequence[Report]
    actions: Sequence[Action]
    history: Sequence[ContextStatusChange]
    counts: dict[str, int] = field(default_factory=dict)
    monthly: list[MonthCounts] = field(default_factory=list)
    time_of_day: list[tuple[str, int]] = field(default_factory=list)
    days: list[tuple[str, int]] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    entries_total: int = 0
    entries_page: int = 1
    note_history: Sequence[ContextNoteChange] = field(default_factory=list)
    regroupings: list[tuple[ContextRegrouping, Context | None]] = field(default_factory=list)
    decisions: Sequence[PanelDecision] = field(default_factory=list)
    safe_places: list[SafePlace] = field(default_factory=list)
    merged_into: Context | None = None
    merge_candidates: Sequence[ContextChoice] = field(default_factory=list)
    people: dict[int, str] = field(default_factory=dict)
    today: date = field(default_factory=lambda: utcnow().date())
    goals: list[outcome_goals.GoalView] = field(default_factory=list)
    before_after: dict[int, outcome_windows.BeforeAfter] = field(default_factory=dict)  # action id -> comparison
    window_weeks: int = outcome_windows.DEFAULT_WINDOW_WEEKS
    window_anchor: str = "start"
    k: int = 5
    weighting: list[Factor] = field(default_factory=list)
    change_first: list[tuple[str, int]] = field(default_factory=list)

    @property
    def status_change(self) -> ContextStatusChange | None:
        """The change that set the current status (with its date and who made it), if there is one."""
        return next((h for h in self.history if h.to_status == self.context.status), None)

    @property
    def latest_decision(self) -> PanelDecision | None:
        return self.decisions[0] if self.decisions else None

    @property
    def latest_actions(self) -> list[Action]:
        """Open actions first (soonest due first), then the finished ones, newest first: the top of the page shows three."""
        open_ = [a for a in self.actions if a.status in OPEN_ACTION_STATUSES]
        rest = [a for a in self.actions if a.status not in OPEN_ACTION_STATUSES]
        open_.sort(key=lambda a: (a.due_date or date.max, -(a.id or 0)))
        return (open_ + rest)[:3]

    def action_overdue(self, action: Action) -> bool:
        return action_overdue(action, self.today)

    @property
    def overdue_actions(self) -> list[Action]:
        return [a for a in self.actions if self.action_overdue(a)]

    @property
    def goals_overdue(self) -> list[outcome_goals.GoalView]:
        return [g for g in self.goals if g.review_overdue]

    @property
    def window_choices(self) -> tuple[int, ...]:
        return outcome_windows.WINDOW_WEEKS

    @property
    def weighting_score(self) -> float:
        return round(sum(f.points for f in self.weighting), 1)

    @property
    def entry_pages(self) -> int:
        return max((self.entries_total + ENTRIES_PER_PAGE - 1) // ENTRIES_PER_PAGE, 1)

    @property
    def timeline(self) -> list[HistoryItem]:
        """Status changes, merges and splits, note edits and panel decisions, newest first."""
        items = [HistoryItem(h.created_at, "status", h.to_status, status_note(h)) for h in self.history]
        items += [HistoryItem(d.created_at, "decision", d.to_status or "", d.decision) for d in self.decisions]
        items += [HistoryItem(n.created_at, "note", n.field) for n in self.note_history]
        for regrouping, other in self.regroupings:
            direction = "out" if regrouping.source_context_id == self.context.id else "in"
            items.append(HistoryItem(regrouping.created_at, f"{regrouping.kind}_{direction}", other.name if other else "", str(regrouping.entries)))
        return sorted(items, key=lambda item: item.at, reverse=True)


OPEN_ACTION_STATUSES = frozenset({ActionStatus.PLANNED, ActionStatus.IN_PROGRESS})


def action_overdue(action: Action, today: date) -> bool:
    """Still planned or in progress after its due date."""
    return action.status in OPEN_ACTION_STATUSES and action.due_date is not None and action.due_date < today


def ordered(counts: Counter[str], order: Sequence[str]) -> list[tuple[str, int]]:
    """The known codes in their natural order (zeros too), then any others by count."""
    return [(code, counts.get(code, 0)) for code in order] + [(c, n) for c, n in counts.most_common() if c not in order]


def context_profile(
    session: Session, area_id: int, context_id: int, *, entries_page: int = 1, today: date | None = None,
    window_weeks: int = outcome_windows.DEFAULT_WINDOW_WEEKS, window_anchor: str = "start", merge_query: str = "",
) -> ContextProfile | None:
    context = get_context(session, area_id, context_id)
    if context is None:
        return None
    today = today or utcnow().date()
    by_month: Counter[tuple[str, str]] = Counter()
    counts = {kind.value: 0 for kind in ReportKind}
    for _, kind, month, n in summed(session, area_id, [context_id], AggregateDimension.ENTRIES, by=("kind", "month")):
        by_month[(kind, month)] += n
        counts[kind] = counts.get(kind, 0) + n
    monthly = [
        MonthCounts(m, *(by_month[(k, m)] for k in (ReportKind.SAFE, ReportKind.UNSAFE, ReportKind.STRUCTURAL)))
        for m in months_back(today, TREND_MONTHS)
    ]
    by_code = {
        dimension: Counter({code: n for _, code, n in summed(session, area_id, [context_id], dimension)})
        for dimension in (AggregateDimension.THEME, AggregateDimension.TIME_BAND, AggregateDimension.DAY, AggregateDimension.SOURCE)
    }
    entries_total = sum(counts.values())
    pages = max((entries_total + ENTRIES_PER_PAGE - 1) // ENTRIES_PER_PAGE, 1)
    entries_page = min(max(entries_page, 1), pages)
    entries = session.exec(
        select(Report)
        .where(col(Report.context_id) == context_id, col(Report.status) == ReportStatus.PUBLISHED)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .limit(ENTRIES_PER_PAGE)
        .offset((entries_page - 1) * ENTRIES_PER_PAGE)
    ).all()
    actions = session.exec(select(Action).where(Action.context_id == context_id).order_by(col(Action.created_at).desc())).all()
    history = session.exec(
        select(ContextStatusChange)
        .where(ContextStatusChange.context_id == context_id)
        .order_by(col(ContextStatusChange.created_at).desc(), col(ContextStatusChange.id).desc())
    ).all()
    note_history = session.exec(
        select(ContextNoteChange).where(ContextNoteChange.context_id == context_id).order_by(col(ContextNoteChange.id).desc())
    ).all()
    decisions = session.exec(select(PanelDecision).where(PanelDecision.context_id == context_id).order_by(col(PanelDecision.id).desc())).all()
    people_ids = {h.changed_by_id for h in history} | {n.changed_by_id for n in note_history} | {a.created_by_id for a in actions}
    people_ids |= {a.published_by_id for a in actions} | {d.recorded_by_id for d in decisions}
    area = session.get(Area, area_id)
    k = area.min_cell_count if area else 5
    window_weeks = window_weeks if window_weeks in outcome_windows.WINDOW_WEEKS else outcome_windows.DEFAULT_WINDOW_WEEKS
    window_anchor = window_anchor if window_anchor in outcome_windows.ANCHORS else "start"
    comparisons = outcome_windows.before_after(session, context, actions, k=k, weeks=window_weeks, anchor=window_anchor, today=today)
    factors, change_first = context_weighting(session, context, today)
    return ContextProfile(
        today=today,
        goals=outcome_goals.context_goals(session, context, today=today),
        before_after={c.action.id: c for c in comparisons if c.action.id is not None},
        window_weeks=window_weeks,
        window_anchor=window_anchor,
        k=k,
        weighting=factors,
        change_first=change_first,
        context=context,
        entries=entries,
        actions=actions,
        history=history,
        counts=counts,
        monthly=monthly,
        time_of_day=ordered(by_code[AggregateDimension.TIME_BAND], TIME_BAND_ORDER),
        days=ordered(by_code[AggregateDimension.DAY], DAY_ORDER),
        themes=by_code[AggregateDimension.THEME].most_common(),
        sources=by_code[AggregateDimension.SOURCE].most_common(),
        entries_total=entries_total,
        entries_page=entries_page,
        note_history=note_history,
        regroupings=regroupings_of(session, context),
        decisions=decisions,
        safe_places=safe_places_near(session, context),
        merged_into=get_context(session, area_id, context.merged_into_id) if context.merged_into_id else None,
        merge_candidates=merge_candidates(session, context, query=merge_query),
        people=_names(session, {i for i in people_ids if i}),
    )


def context_weighting(session: Session, context: Context, today: date) -> tuple[list[Factor], list[tuple[str, int]]]:
    """This context's lines of the area's weighting (app.register.weighting), without workshop votes,
    and the themes to change first: read from its own counts only."""
    recent, previous = recent_windows(today)
    agg = aggregates_for(
        session, context.area_id, [context], since=previous[0],
        dimensions=[AggregateDimension.ENTRIES, AggregateDimension.URGENT, AggregateDimension.THEME],
    ).get(context.id or 0)
    if agg is None:
        return [], []
    now_counts, before_counts = window_counts(agg, recent), window_counts(agg, previous)
    factors = score_factors(
        recent_unsafe=now_counts[ReportKind.UNSAFE], previous_unsafe=before_counts[ReportKind.UNSAFE],
        urgent=sum(agg.urgent_by_month.get(m, 0) for m in recent), recent_safe=now_counts[ReportKind.SAFE],
        flagged=context.flagged_for_panel, votes=0,
    )
    return factors, agg.theme_counts(recent[0], kinds=(ReportKind.UNSAFE, ReportKind.STRUCTURAL)).most_common(3)


MERGE_CHOICES = 25  # how many contexts the merge form offers at once; a name search finds the rest


def merge_candidates(session: Session, context: Context, *, query: str = "") -> list[ContextChoice]:
    """Contexts this one could be merged into: those whose names hold `query`, or, without one, the
    nearest (the same and the neighbouring cells first, as two contexts that are one place usually
    are) and then the most recently active. Never the area's whole list: an area has thousands of
    contexts, and a select of 4,000 names was both unusable and most of the profile's cost (its
    objects set off the garbage collections behind the page's slow tail, bench/README.md, "Register").
    Ids and names only, read through the table into slotted objects."""
    table = Context.__table__  # type: ignore[attr-defined]
    others = sa_select(table.c.id, table.c.name).where(
        table.c.area_id == context.area_id, table.c.id != context.id, table.c.merged_into_id.is_(None)
    )
    words = query.strip()[:100]
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = session.execute(
            others.where(table.c.name.ilike(pattern, escape="\\")).order_by(table.c.name).limit(MERGE_CHOICES)
        )
        return [ContextChoice(i, name) for i, name in rows]
    chosen: list[ContextChoice] = []
    if context.h3_cell:
        try:
            ring = list(h3.grid_disk(context.h3_cell, 2))
        except (ValueError, h3.H3BaseException):
            ring = []
        if ring:
            rows = session.execute(
                others.where(table.c.h3_cell.in_(ring)).order_by(table.c.last_entry_at.desc().nulls_last(), table.c.name).limit(MERGE_CHOICES)
            )
            chosen = [ContextChoice(i, name) for i, name in rows]
    if len(chosen) < MERGE_CHOICES:
        seen = [c.id for c in chosen]
        rest = others.where(table.c.id.not_in(seen)) if seen else others
        rows = session.execute(
            rest.order_by(table.c.last_entry_at.desc().nulls_last(), table.c.name).limit(MERGE_CHOICES - len(chosen))
        )
        chosen += [ContextChoice(i, name) for i, name in rows]
    return chosen


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(ids))).all() if u.id is not None}


def regroupings_of(session: Session, context: Context) -> list[tuple[ContextRegrouping, Context | None]]:
    rows = session.exec(
        select(ContextRegrouping)
        .where(
            ContextRegrouping.area_id == context.area_id,
            (col(ContextRegrouping.source_context_id) == context.id) | (col(ContextRegrouping.target_context_id) == context.id),
        )
        .order_by(col(ContextRegrouping.id).desc())
    ).all()
    result = []
    for row in rows:
        other_id = row.target_context_id if row.source_context_id == context.id else row.source_context_id
        result.append((row, get_context(session, context.area_id, other_id)))
    return result


def safe_places_near(session: Session, context: Context, *, rings: int = 2, limit: int = 6) -> list[SafePlace]:
    """Other contexts close by where people said they feel safe: strengths to build on.

    One query per ring, each returning only its `limit` safest contexts: a town centre can have
    hundreds of contexts within two rings, and only a handful are shown.
    """
    if not context.h3_cell:
        return []
    table = ContextAggregate.__table__  # type: ignore[attr-defined]
    safe = func.sum(table.c.count).label("safe")
    found: list[SafePlace] = []
    for ring in range(rings + 1):
        cells = list(h3.grid_ring(context.h3_cell, ring))
        query = (
            sa_select(Context, safe)
            .join(table, table.c.context_id == col(Context.id))
            .where(
                col(Context.area_id) == context.area_id, col(Context.id) != context.id, col(Context.merged_into_id).is_(None),
                col(Context.h3_cell).in_(cells), table.c.area_id == context.area_id, table.c.dimension == AggregateDimension.ENTRIES,
                table.c.kind == ReportKind.SAFE,
            )
            .group_by(col(Context.id))
            .order_by(safe.desc(), col(Context.id))
            .limit(limit)
        )
        found += [SafePlace(other, int(n), ring) for other, n in session.execute(query).all() if n]
        if len(found) >= limit:
            break
    return sorted(found, key=lambda p: (p.rings, -p.safe))[:limit]


def safe_totals(session: Session, area_id: int, context_ids: list[int]) -> dict[int, int]:
    """How many safe entries each context has had, summed in the database."""
    if not context_ids:
        return {}
    table = ContextAggregate.__table__  # type: ignore[attr-defined]
    query = (
        sa_select(table.c.context_id, func.sum(table.c.count))
        .where(
            table.c.area_id == area_id, table.c.dimension == AggregateDimension.ENTRIES, table.c.kind == ReportKind.SAFE,
            table.c.context_id.in_(context_ids),
        )
        .group_by(table.c.context_id)
    )
    return {int(i): int(n) for i, n in session.execute(query).all()}
