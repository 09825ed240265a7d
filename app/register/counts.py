"""Per-context counts of published entries: kept as entries come and go, read by every register page.

The register never counts entries at read time. Each published entry adds one to a handful of
context_aggregate rows (its month and kind, its urgency, each of its themes, time bands and days,
its source), and `context.last_entry_at` remembers the newest one. Every change that moves an entry
into or out of a context calls one function here, in the same transaction as that change:

- `entry_published(session, report)`: a moderator published it (app.moderation.service.publish);
- `entry_unpublished(session, report)`: a published entry leaves the register (withdrawn, or
  rejected after publishing), called with the entry as it was published;
- `context_merged(...)` and `entries_moved(...)`: merge and split (app.register.regrouping).

`rebuild(session)` recomputes everything from the entries (`safetymap register rebuild-counts`),
and a test checks that it agrees with the incremental path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Insert, bindparam, delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.register.models import AggregateDimension as Dim
from app.register.models import Context, ContextAggregate
from app.register.periods import month_key
from app.reports.models import Report, ReportKind, ReportStatus

# (dimension, month, kind, code): one context_aggregate row of one context.
Key = tuple[str, str, str, str]
_TABLE = ContextAggregate.__table__  # type: ignore[attr-defined]
_BATCH = 5000


class CountedEntry(Protocol):
    """What the counts read from an entry (a Report, or a row of the demo loader)."""

    kind: str
    created_at: datetime
    urgent: bool
    categories: str
    time_bands: str
    days: str
    source: str


def _codes(value: str | None) -> list[str]:
    return sorted({code for code in (value or "").split(",") if code})


def contributions(entry: CountedEntry) -> list[Key]:
    """The rows one published entry adds one to."""
    month, kind = month_key(entry.created_at), entry.kind
    keys: list[Key] = [(Dim.ENTRIES, month, kind, "")]
    if entry.urgent:
        keys.append((Dim.URGENT, month, kind, ""))
    keys += [(Dim.THEME, month, kind, code) for code in _codes(entry.categories)]
    keys += [(Dim.TIME_BAND, "", "", code) for code in _codes(entry.time_bands)]
    keys += [(Dim.DAY, "", "", code) for code in _codes(entry.days)]
    keys.append((Dim.SOURCE, "", "", entry.source or "unknown"))
    return keys


# --- keeping them up to date --------------------------------------------------------------------


def entry_published(session: Session, report: Report) -> None:
    """Count a newly published entry in its context. Call after the report row says published."""
    if report.context_id is None:
        return
    _apply(session, report.area_id, report.context_id, Counter(contributions(report)))
    _later_entry(session, report.context_id, report.created_at)


def entry_unpublished(session: Session, report: Report) -> None:
    """Take a published entry out of its context's counts (withdrawn, deleted, rejected after all).

    Pass the report as it was while published (its context and fields); it may be called just
    before the row is deleted or changed, or just after.
    """
    if report.context_id is None or report.status != ReportStatus.PUBLISHED:
        return
    _apply(session, report.area_id, report.context_id, Counter(dict.fromkeys(contributions(report), -1)))
    refresh_last_entry(session, [report.context_id], exclude_report_id=report.id)


def entries_moved(session: Session, area_id: int, source_id: int, target_id: int, reports: Sequence[Report]) -> None:
    """Some published entries of `source` now belong to `target` (a split). Call after the move."""
    deltas: Counter[Key] = Counter()
    for report in reports:
        if report.status == ReportStatus.PUBLISHED:
            deltas.update(contributions(report))
    if not deltas:
        return
    _apply(session, area_id, source_id, Counter({key: -n for key, n in deltas.items()}))
    _apply(session, area_id, target_id, deltas)
    refresh_last_entry(session, [source_id, target_id])


def context_merged(session: Session, area_id: int, source_id: int, target_id: int) -> None:
    """Every entry of `source` now belongs to `target`: its rows are added to target's and removed."""
    rows = session.execute(
        sa_select(_TABLE.c.dimension, _TABLE.c.month, _TABLE.c.kind, _TABLE.c.code, _TABLE.c.count).where(_TABLE.c.context_id == source_id)
    ).all()
    _apply(session, area_id, target_id, Counter({(d, m, k, c): n for d, m, k, c, n in rows}))
    session.execute(delete(ContextAggregate).where(col(ContextAggregate.context_id) == source_id))
    refresh_last_entry(session, [source_id, target_id])


def _upsert(session: Session) -> Insert:
    statement: Any = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(_TABLE)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["context_id", "dimension", "month", "kind", "code"],
        set_={"count": _TABLE.c.count + statement.excluded["count"]},
    )


def _apply(session: Session, area_id: int, context_id: int, deltas: Counter[Key]) -> None:
    """Add each delta to its row (creating it), then drop the rows that reached zero.

    Rows are written in key order, so two transactions touching one context lock its rows in the
    same order and cannot deadlock each other.
    """
    changes: list[dict[str, Any]] = [
        {"context_id": context_id, "dimension": d, "month": m, "kind": k, "code": c, "area_id": area_id, "count": n}
        for (d, m, k, c), n in sorted(deltas.items())
        if n
    ]
    if not changes:
        return
    for start in range(0, len(changes), _BATCH):
        session.execute(_upsert(session), changes[start : start + _BATCH])
    if any(change["count"] < 0 for change in changes):
        session.execute(delete(ContextAggregate).where(col(ContextAggregate.context_id) == context_id, col(ContextAggregate.count) <= 0))


def _later_entry(session: Session, context_id: int, created_at: datetime) -> None:
    session.execute(
        update(Context)
        .where(col(Context.id) == context_id, col(Context.last_entry_at).is_(None) | (col(Context.last_entry_at) < created_at))
        .values(last_entry_at=created_at)
        .execution_options(synchronize_session="fetch")
    )


def refresh_last_entry(session: Session, context_ids: Iterable[int], *, exclude_report_id: int | None = None) -> None:
    """Recompute `last_entry_at` from the entries (one index lookup per context)."""
    for context_id in context_ids:
        query = sa_select(func.max(col(Report.created_at))).where(
            col(Report.context_id) == context_id, col(Report.status) == ReportStatus.PUBLISHED
        )
        if exclude_report_id is not None:
            query = query.where(col(Report.id) != exclude_report_id)
        latest = session.execute(query).scalar_one_or_none()
        session.execute(
            update(Context).where(col(Context.id) == context_id).values(last_entry_at=_aware(latest)).execution_options(synchronize_session="fetch")
        )


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back max() of a datetime column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- rebuilding them from the entries -----------------------------------------------------------


@dataclass
class _Row:
    kind: str
    created_at: datetime
    urgent: bool
    categories: str
    time_bands: str
    days: str
    source: str


def rebuild(session: Session, *, area_id: int | None = None) -> int:
    """Recompute every context's rows and last entry from the published entries; returns the rows written.

    Streams the entries in context order, so memory holds one context's counts at a time.
    """
    where_area = [col(ContextAggregate.area_id) == area_id] if area_id is not None else []
    session.execute(delete(ContextAggregate).where(*where_area))
    session.execute(
        update(Context).where(*([col(Context.area_id) == area_id] if area_id is not None else [])).values(last_entry_at=None)
        .execution_options(synchronize_session=False)
    )
    query = (
        sa_select(
            col(Report.area_id), col(Report.context_id), col(Report.kind), col(Report.created_at), col(Report.urgent),
            col(Report.categories), col(Report.time_bands), col(Report.days), col(Report.source),
        )
        .where(col(Report.status) == ReportStatus.PUBLISHED, col(Report.context_id).is_not(None))
        .order_by(col(Report.context_id))
        .execution_options(yield_per=10_000)
    )
    if area_id is not None:
        query = query.where(col(Report.area_id) == area_id)
    pending: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []
    written = 0
    for context_id, context_area, counts, last in _per_context(session.execute(query)):
        pending += [
            {"context_id": context_id, "dimension": d, "month": m, "kind": k, "code": c, "area_id": context_area, "count": n}
            for (d, m, k, c), n in sorted(counts.items())
        ]
        latest.append({"context_id": context_id, "last": last})
        if len(pending) >= _BATCH:
            written += _insert(session, pending)
    written += _insert(session, pending)
    if latest:
        statement = update(_context_table()).where(_context_table().c.id == bindparam("context_id")).values(last_entry_at=bindparam("last"))
        for start in range(0, len(latest), _BATCH):
            session.connection().execute(statement, latest[start : start + _BATCH])
    return written


def _context_table() -> Any:
    return Context.__table__  # type: ignore[attr-defined]


def _per_context(rows: Iterable[Any]) -> Iterator[tuple[int, int, Counter[Key], datetime]]:
    current: int | None = None
    area = 0
    counts: Counter[Key] = Counter()
    last: datetime | None = None
    for area_id, context_id, kind, created_at, urgent, categories, time_bands, days, source in rows:
        if context_id != current:
            if current is not None and last is not None:
                yield current, area, counts, last
            current, area, counts, last = context_id, area_id, Counter(), None
        created = _aware(created_at)
        assert created is not None
        counts.update(contributions(_Row(kind, created, bool(urgent), categories, time_bands, days, source)))
        if last is None or created > last:
            last = created
    if current is not None and last is not None:
        yield current, area, counts, last


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    session.execute(insert(_TABLE), rows)
    written = len(rows)
    rows.clear()
    return written


def snapshot(session: Session) -> dict[tuple[int, Key], int]:
    """Every row as {(context_id, key): count}: for comparing incremental counts with a rebuild."""
    rows = session.execute(sa_select(_TABLE.c.context_id, _TABLE.c.dimension, _TABLE.c.month, _TABLE.c.kind, _TABLE.c.code, _TABLE.c.count))
    return {(context_id, (d, m, k, c)): n for context_id, d, m, k, c, n in rows if n}


# --- reading them ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextAggregates:
    """Counts of one context's published entries, by the dimensions the register shows."""

    by_month: dict[str, Counter[str]]  # kind -> month -> count
    urgent_by_month: Counter[str]
    themes: Counter[tuple[str, str, str]]  # (month, kind, category) -> count
    time_bands: Counter[str]
    days: Counter[str]
    sources: Counter[str]
    last_entry: datetime | None

    def total(self, kind: str, since: str | None = None) -> int:
        return sum(n for m, n in self.by_month.get(kind, Counter()).items() if since is None or m >= since)

    def monthly(self, kind: str | None = None) -> Counter[str]:
        if kind is not None:
            return self.by_month.get(kind, Counter())
        total: Counter[str] = Counter()
        for counter in self.by_month.values():
            total.update(counter)
        return total

    def theme_counts(self, since: str | None = None, kinds: Iterable[str] | None = None) -> Counter[str]:
        wanted = set(kinds) if kinds is not None else None
        counts: Counter[str] = Counter()
        for (bucket, kind, code), n in self.themes.items():
            if (since is None or bucket >= since) and (wanted is None or kind in wanted):
                counts[code] += n
        return counts


EMPTY_AGGREGATES = ContextAggregates({}, Counter(), Counter(), Counter(), Counter(), Counter(), None)


def aggregates_for(
    session: Session, area_id: int, contexts: Sequence[Context], *, since: str | None = None,
    dimensions: Iterable[str] | None = None,
) -> dict[int, ContextAggregates]:
    """Each context's counts, read from its rows (only months from `since`, only `dimensions`)."""
    by_id = {c.id: c for c in contexts if c.id is not None and c.area_id == area_id}
    if not by_id:
        return {}
    parts: dict[int, dict[str, Any]] = {
        i: {"by_month": {}, "urgent": Counter(), "themes": Counter(), "times": Counter(), "days": Counter(), "sources": Counter()} for i in by_id
    }
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        query = sa_select(_TABLE.c.context_id, _TABLE.c.dimension, _TABLE.c.month, _TABLE.c.kind, _TABLE.c.code, _TABLE.c.count).where(
            _TABLE.c.area_id == area_id, _TABLE.c.context_id.in_(ids[start : start + 500])
        )
        if since is not None:
            query = query.where((_TABLE.c.month == "") | (_TABLE.c.month >= since))
        if dimensions is not None:
            query = query.where(_TABLE.c.dimension.in_(list(dimensions)))
        for context_id, dimension, month, kind, code, n in session.execute(query):
            part = parts[context_id]
            if dimension == Dim.ENTRIES:
                part["by_month"].setdefault(kind, Counter())[month] += n
            elif dimension == Dim.URGENT:
                part["urgent"][month] += n
            elif dimension == Dim.THEME:
                part["themes"][(month, kind, code)] += n
            elif dimension == Dim.TIME_BAND:
                part["times"][code] += n
            elif dimension == Dim.DAY:
                part["days"][code] += n
            elif dimension == Dim.SOURCE:
                part["sources"][code] += n
    return {
        i: ContextAggregates(p["by_month"], p["urgent"], p["themes"], p["times"], p["days"], p["sources"], by_id[i].last_entry_at)
        for i, p in parts.items()
    }


def summed(
    session: Session, area_id: int, context_ids: Sequence[int], dimension: str, *, by: Sequence[str] = ("code",),
    since: str | None = None,
) -> list[tuple[Any, ...]]:
    """Rows of (context_id, *by, count) for one dimension, summed in the database over what `by` leaves out."""
    columns = [_TABLE.c[name] for name in by]
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(context_ids), 500):
        query = (
            sa_select(_TABLE.c.context_id, *columns, func.sum(_TABLE.c.count))
            .where(_TABLE.c.area_id == area_id, _TABLE.c.dimension == dimension, _TABLE.c.context_id.in_(context_ids[start : start + 500]))
            .group_by(_TABLE.c.context_id, *columns)
        )
        if since is not None:
            query = query.where(_TABLE.c.month >= since)
        rows += [(*tuple(row[:-1]), int(row[-1])) for row in session.execute(query).all()]
    return rows


def kind_totals(session: Session, area_id: int, *, since: str | None = None) -> dict[int, dict[str, int]]:
    """Every context of the area: how many entries of each kind (since a month), summed in the database."""
    query = (
        sa_select(_TABLE.c.context_id, _TABLE.c.kind, func.sum(_TABLE.c.count))
        .where(_TABLE.c.area_id == area_id, _TABLE.c.dimension == Dim.ENTRIES, *([_TABLE.c.month >= since] if since else []))
        .group_by(_TABLE.c.context_id, _TABLE.c.kind)
    )
    totals: dict[int, dict[str, int]] = {}
    for context_id, kind, n in session.execute(query).all():
        totals.setdefault(int(context_id), {})[kind] = int(n)
    return totals


def window_counts(agg: ContextAggregates, months: Sequence[str]) -> dict[str, int]:
    return {kind.value: sum(agg.monthly(kind.value).get(m, 0) for m in months) for kind in ReportKind}
