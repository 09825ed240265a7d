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
from app.core.types import utcnow
from app.register.counts import summed
from app.register.models import (
    Action,
    AggregateDimension,
    Context,
    ContextAggregate,
    ContextNoteChange,
    ContextRegrouping,
    ContextStatusChange,
    PanelDecision,
)
from app.register.periods import TREND_MONTHS, months_back
from app.register.service import get_context
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


@dataclass(frozen=True)
class ContextChoice:
    """Another context of the area, as the merge form offers it."""

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

    @property
    def entry_pages(self) -> int:
        return max((self.entries_total + ENTRIES_PER_PAGE - 1) // ENTRIES_PER_PAGE, 1)

    @property
    def timeline(self) -> list[HistoryItem]:
        """Status changes, merges and splits, note edits and panel decisions, newest first."""
        items = [HistoryItem(h.created_at, "status", h.to_status, h.note) for h in self.history]
        items += [HistoryItem(d.created_at, "decision", d.to_status or "", d.decision) for d in self.decisions]
        items += [HistoryItem(n.created_at, "note", n.field) for n in self.note_history]
        for regrouping, other in self.regroupings:
            direction = "out" if regrouping.source_context_id == self.context.id else "in"
            items.append(HistoryItem(regrouping.created_at, f"{regrouping.kind}_{direction}", other.name if other else "", str(regrouping.entries)))
        return sorted(items, key=lambda item: item.at, reverse=True)


def ordered(counts: Counter[str], order: Sequence[str]) -> list[tuple[str, int]]:
    """The known codes in their natural order (zeros too), then any others by count."""
    return [(code, counts.get(code, 0)) for code in order] + [(c, n) for c, n in counts.most_common() if c not in order]


def context_profile(
    session: Session, area_id: int, context_id: int, *, entries_page: int = 1, today: date | None = None
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
    return ContextProfile(
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
        merge_candidates=merge_candidates(session, area_id, context_id),
        people=_names(session, {i for i in people_ids if i}),
    )


def merge_candidates(session: Session, area_id: int, context_id: int) -> list[ContextChoice]:
    """The area's other open contexts by name (ids and names only: an area can have thousands)."""
    rows = session.exec(
        select(Context.id, Context.name)
        .where(Context.area_id == area_id, Context.id != context_id, col(Context.merged_into_id).is_(None))
        .order_by(col(Context.name))
    ).all()
    return [ContextChoice(i, name) for i, name in rows if i is not None]


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
