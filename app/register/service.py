"""The context register: contexts, their entries and actions, the panel, and "You said, we did".

Everything here reads redacted text only. Every query is scoped to one area: a function that takes an
area id never returns a row of another area, and one that takes a context checks it first.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import h3
from sqlalchemy import ColumnElement, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core.db import Database
from app.core.types import utcnow
from app.moderation.triage import find_personal_details
from app.register.models import (
    Action,
    ActionStatus,
    AssessmentField,
    Context,
    ContextKind,
    ContextNoteChange,
    ContextRegrouping,
    ContextStatus,
    ContextStatusChange,
    PanelDecision,
    RegroupingKind,
    ResponseType,
)
from app.reports.models import Report, ReportKind, ReportStatus
from app.reports.taxonomy import CATEGORIES

STATUS_ORDER = {status.value: index for index, status in enumerate(ContextStatus)}
# Period filter: how many months back the counts reach (None: since the start).
PERIODS: dict[str, int | None] = {"3m": 3, "6m": 6, "12m": 12, "all": None}
DEFAULT_PERIOD = "12m"
SORTS = ("activity", "unsafe", "total", "name", "status")
TREND_MONTHS = 12
ENTRIES_PER_PAGE = 25


class RegisterError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- time helpers -----------------------------------------------------------------------------


def month_key(value: datetime | date) -> str:
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


def _month_bucket(session: Session) -> ColumnElement[Any]:
    """'YYYY-MM' of an entry's creation, computed by the database (UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(col(Report.created_at), "YYYY-MM")
    return func.strftime("%Y-%m", col(Report.created_at))


def _published(area_id: int) -> list[ColumnElement[bool]]:
    return [col(Report.area_id) == area_id, col(Report.status) == ReportStatus.PUBLISHED]


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back max() of a datetime column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- aggregates, cached per context until something about that context changes --------------------


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


class _AggregateCache:
    """A small in-process cache of each context's aggregates.

    The key includes a stamp read cheaply from an index (how many published entries the context has)
    and the context's own updated_at: publishing, merging and splitting all touch the context, and a
    withdrawn entry changes the count, so a stale answer is never served. A change to one context
    recomputes only that context. Every app process keeps its own copy.
    """

    def __init__(self, size: int = 4096) -> None:
        self._items: OrderedDict[tuple[Any, ...], ContextAggregates] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple[Any, ...]) -> ContextAggregates | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: ContextAggregates) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_cache = _AggregateCache()


def _published_counts(session: Session, area_id: int, context_ids: Sequence[int] | None = None) -> dict[int, int]:
    query = (
        sa_select(col(Report.context_id), func.count())
        .where(*_published(area_id), col(Report.context_id).is_not(None))
        .group_by(col(Report.context_id))
    )
    if context_ids is not None:
        query = query.where(col(Report.context_id).in_(context_ids))
    return {context_id: int(n) for context_id, n in session.execute(query).all()}


def aggregates_for(session: Session, area_id: int, contexts: Sequence[Context]) -> dict[int, ContextAggregates]:
    """Each context's aggregates, from the cache where still current, computed in one go otherwise."""
    if not contexts:
        return {}
    ids = [c.id for c in contexts if c.id is not None]
    counts = _published_counts(session, area_id, ids if len(ids) <= 50 else None)
    engine = str(session.get_bind().engine.url)
    keys = {c.id: (engine, c.id, counts.get(c.id, 0), c.updated_at.isoformat()) for c in contexts if c.id is not None}
    result: dict[int, ContextAggregates] = {}
    missing = []
    for context_id, key in keys.items():
        cached = _cache.get(key)
        if cached is not None:
            result[context_id] = cached
        elif counts.get(context_id, 0) == 0:
            result[context_id] = EMPTY_AGGREGATES
        else:
            missing.append(context_id)
    for start in range(0, len(missing), 200):
        chunk = missing[start : start + 200]
        for context_id, aggregates in _compute(session, area_id, chunk).items():
            result[context_id] = aggregates
            _cache.put(keys[context_id], aggregates)
    return result


def _compute(session: Session, area_id: int, context_ids: list[int]) -> dict[int, ContextAggregates]:
    month = _month_bucket(session)
    where = [*_published(area_id), col(Report.context_id).in_(context_ids)]
    parts: dict[int, dict[str, Any]] = {
        i: {"by_month": {}, "urgent": Counter(), "themes": Counter(), "times": Counter(), "days": Counter(), "sources": Counter(), "last": None}
        for i in context_ids
    }
    query = (
        sa_select(col(Report.context_id), col(Report.kind), month, col(Report.urgent), func.count(), func.max(col(Report.created_at)))
        .where(*where)
        .group_by(col(Report.context_id), col(Report.kind), month, col(Report.urgent))
    )
    for context_id, kind, bucket, urgent, n, latest in session.execute(query).all():
        part = parts[context_id]
        part["by_month"].setdefault(kind, Counter())[bucket] += n
        if urgent:
            part["urgent"][bucket] += n
        latest_at = _aware(latest)
        if latest_at and (part["last"] is None or latest_at > part["last"]):
            part["last"] = latest_at
    theme_query = (
        sa_select(col(Report.context_id), month, col(Report.kind), col(Report.categories), func.count())
        .where(*where, col(Report.categories) != "")
        .group_by(col(Report.context_id), month, col(Report.kind), col(Report.categories))
    )
    for context_id, bucket, kind, categories, n in session.execute(theme_query).all():
        themes = parts[context_id]["themes"]
        for code in categories.split(","):
            if code:
                themes[(bucket, kind, code)] += n
    pattern_query = (
        sa_select(col(Report.context_id), col(Report.time_bands), col(Report.days), col(Report.source), func.count())
        .where(*where)
        .group_by(col(Report.context_id), col(Report.time_bands), col(Report.days), col(Report.source))
    )
    for context_id, time_bands, days, source, n in session.execute(pattern_query).all():
        part = parts[context_id]
        for code in (time_bands or "").split(","):
            if code:
                part["times"][code] += n
        for code in (days or "").split(","):
            if code:
                part["days"][code] += n
        part["sources"][source] += n
    return {
        i: ContextAggregates(p["by_month"], p["urgent"], p["themes"], p["times"], p["days"], p["sources"], p["last"])
        for i, p in parts.items()
    }


# --- the register list ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextRow:
    context: Context
    safe: int
    unsafe: int
    structural: int
    last_entry_at: datetime | None
    trend: list[int] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.safe + self.unsafe + self.structural


@dataclass(frozen=True)
class RegisterFilters:
    status: str | None = None
    kind: str | None = None
    search: str = ""
    period: str = DEFAULT_PERIOD
    theme: str | None = None
    neighbourhood: str | None = None
    sort: str = "activity"

    def query_params(self, **overrides: Any) -> dict[str, str]:
        """The filters as GET parameters (for pagination and sort links), leaving out the empty ones."""
        values = {
            "status": self.status or "", "kind": self.kind or "", "q": self.search, "period": self.period,
            "theme": self.theme or "", "neighbourhood": self.neighbourhood or "", "sort": self.sort,
        } | {k: str(v) for k, v in overrides.items()}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class RegisterPage:
    rows: list[ContextRow]
    total: int
    months: list[str]
    neighbourhoods: list[str]
    themes: list[str]


def neighbourhoods(session: Session, area_id: int) -> list[str]:
    query = select(Context.neighbourhood).where(Context.area_id == area_id, Context.neighbourhood != "").distinct()
    return sorted(session.exec(query).all())


def _in_period(months: Counter[str], since: str | None) -> int:
    return sum(n for m, n in months.items() if since is None or m >= since)


def list_contexts(
    session: Session, area_id: int, filters: RegisterFilters, *, limit: int = 50, offset: int = 0, today: date | None = None
) -> tuple[list[ContextRow], int]:
    page = register_page(session, area_id, filters, limit=limit, offset=offset, today=today)
    return page.rows, page.total


def register_page(
    session: Session, area_id: int, filters: RegisterFilters, *, limit: int = 50, offset: int = 0, today: date | None = None
) -> RegisterPage:
    today = today or utcnow().date()
    months = months_back(today, TREND_MONTHS)
    start = period_start(today, filters.period)
    since = month_key(start) if start else None
    query = select(Context).where(Context.area_id == area_id)
    if filters.status:
        query = query.where(Context.status == filters.status)
    if filters.status != ContextStatus.CLOSED:
        # Merged contexts live on as closed records; they show only when someone looks at closed ones.
        query = query.where(col(Context.merged_into_id).is_(None))
    if filters.kind:
        query = query.where(Context.kind == filters.kind)
    if filters.neighbourhood:
        query = query.where(Context.neighbourhood == filters.neighbourhood)
    if filters.search.strip():
        query = query.where(col(Context.name).ilike(f"%{filters.search.strip()}%"))
    contexts = session.exec(query).all()
    aggregates = aggregates_for(session, area_id, contexts)
    rows: list[ContextRow] = []
    for context in contexts:
        assert context.id is not None
        agg = aggregates.get(context.id, EMPTY_AGGREGATES)
        theme_counts = agg.theme_counts(since)
        if filters.theme and not theme_counts.get(filters.theme):
            continue
        monthly = agg.monthly()
        rows.append(
            ContextRow(
                context=context,
                safe=agg.total(ReportKind.SAFE, since),
                unsafe=agg.total(ReportKind.UNSAFE, since),
                structural=agg.total(ReportKind.STRUCTURAL, since),
                last_entry_at=agg.last_entry,
                trend=[monthly.get(m, 0) for m in months],
                themes=theme_counts.most_common(3),
            )
        )
    rows.sort(key=_sort_key(filters.sort))
    return RegisterPage(
        rows=rows[offset : offset + limit], total=len(rows), months=months,
        neighbourhoods=neighbourhoods(session, area_id), themes=[code for codes in CATEGORIES.values() for code in codes],
    )


def _sort_key(sort: str) -> Any:
    never = datetime.min.replace(tzinfo=UTC)
    if sort == "unsafe":
        return lambda r: (-r.unsafe, -r.total, r.context.name.lower())
    if sort == "total":
        return lambda r: (-r.total, r.context.name.lower())
    if sort == "name":
        return lambda r: (r.context.name.lower(), r.context.id)
    if sort == "status":
        return lambda r: (STATUS_ORDER.get(r.context.status, 99), r.context.name.lower())
    return lambda r: (-(r.last_entry_at or never).timestamp(), -(r.context.id or 0))


# --- one context ------------------------------------------------------------------------------


def get_context(session: Session, area_id: int, context_id: int) -> Context | None:
    context = session.get(Context, context_id)
    return context if context and context.area_id == area_id else None


def kind_for_report(categories: str) -> str:
    return ContextKind.ONLINE if "online" in categories.split(",") else ContextKind.PLACE


def create_context(
    session: Session, staff: StaffIdentity, *, name: str, h3_cell: str | None, place_id: int | None, kind: str,
    neighbourhood: str = "",
) -> Context:
    assert staff.area.id is not None
    context = Context(
        area_id=staff.area.id, name=name[:160], h3_cell=h3_cell, place_id=place_id, kind=kind, neighbourhood=neighbourhood[:80]
    )
    session.add(context)
    session.flush()
    assert context.id is not None
    session.add(ContextStatusChange(context_id=context.id, to_status=ContextStatus.NEW, changed_by_id=staff.user.id))
    audit.record(session, "context.created", area_id=staff.area.id, actor_id=staff.user.id, subject_type="context", subject_id=context.id)
    return context


def touch(session: Session, context: Context) -> None:
    context.updated_at = utcnow()
    session.add(context)


def nearby_contexts(session: Session, area_id: int, h3_cell: str | None, *, limit: int = 8) -> Sequence[Context]:
    nearby: list[Context] = []
    if h3_cell:
        cells = list(h3.grid_disk(h3_cell, 1))
        query = select(Context).where(Context.area_id == area_id, col(Context.h3_cell).in_(cells))
        nearby = list(session.exec(query.order_by(col(Context.updated_at).desc()).limit(limit)).all())
    if len(nearby) < limit:
        seen = [c.id for c in nearby]
        rest = select(Context).where(Context.area_id == area_id, col(Context.id).not_in(seen) if seen else True)
        nearby += session.exec(rest.order_by(col(Context.updated_at).desc()).limit(limit - len(nearby))).all()
    return nearby


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
    merge_candidates: Sequence[Context] = field(default_factory=list)
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


TIME_BAND_ORDER = ("morning", "afternoon", "evening", "night", "all_the_time")
DAY_ORDER = ("weekdays", "weekends", "school_days", "holidays")


def _ordered(counts: Counter[str], order: Sequence[str]) -> list[tuple[str, int]]:
    return [(code, counts.get(code, 0)) for code in order] + [(c, n) for c, n in counts.most_common() if c not in order]


def context_profile(
    session: Session, area_id: int, context_id: int, *, entries_page: int = 1, today: date | None = None
) -> ContextProfile | None:
    context = get_context(session, area_id, context_id)
    if context is None:
        return None
    today = today or utcnow().date()
    published = [col(Report.context_id) == context_id, col(Report.status) == ReportStatus.PUBLISHED]
    agg = aggregates_for(session, area_id, [context]).get(context_id, EMPTY_AGGREGATES)
    counts = {kind.value: agg.total(kind.value) for kind in ReportKind}
    monthly = [
        MonthCounts(m, *(agg.monthly(k).get(m, 0) for k in (ReportKind.SAFE, ReportKind.UNSAFE, ReportKind.STRUCTURAL)))
        for m in months_back(today, TREND_MONTHS)
    ]
    entries_total = sum(counts.values())
    pages = max((entries_total + ENTRIES_PER_PAGE - 1) // ENTRIES_PER_PAGE, 1)
    entries_page = min(max(entries_page, 1), pages)
    entries = session.exec(
        select(Report)
        .where(*published)
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
    regroupings = _regroupings(session, context)
    decisions = session.exec(select(PanelDecision).where(PanelDecision.context_id == context_id).order_by(col(PanelDecision.id).desc())).all()
    candidates = session.exec(
        select(Context)
        .where(Context.area_id == area_id, Context.id != context_id, col(Context.merged_into_id).is_(None))
        .order_by(col(Context.name))
    ).all()
    people_ids = {h.changed_by_id for h in history} | {n.changed_by_id for n in note_history} | {a.created_by_id for a in actions}
    people_ids |= {a.published_by_id for a in actions} | {d.recorded_by_id for d in decisions}
    return ContextProfile(
        context=context,
        entries=entries,
        actions=actions,
        history=history,
        counts=counts,
        monthly=monthly,
        time_of_day=_ordered(agg.time_bands, TIME_BAND_ORDER),
        days=_ordered(agg.days, DAY_ORDER),
        themes=agg.theme_counts().most_common(),
        sources=agg.sources.most_common(),
        entries_total=entries_total,
        entries_page=entries_page,
        note_history=note_history,
        regroupings=regroupings,
        decisions=decisions,
        safe_places=safe_places_near(session, context),
        merged_into=get_context(session, area_id, context.merged_into_id) if context.merged_into_id else None,
        merge_candidates=candidates,
        people=_names(session, {i for i in people_ids if i}),
    )


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(ids))).all() if u.id is not None}


def _regroupings(session: Session, context: Context) -> list[tuple[ContextRegrouping, Context | None]]:
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
    """Other contexts close by where people said they feel safe: strengths to build on."""
    if not context.h3_cell:
        return []
    distance = {cell: ring for ring, cells in enumerate(h3.grid_ring(context.h3_cell, k) for k in range(rings + 1)) for cell in cells}
    nearby = session.exec(
        select(Context).where(
            Context.area_id == context.area_id, Context.id != context.id, col(Context.merged_into_id).is_(None),
            col(Context.h3_cell).in_(list(distance)),
        )
    ).all()
    aggregates = aggregates_for(session, context.area_id, nearby)
    found = [
        SafePlace(other, safe, distance.get(other.h3_cell or "", rings))
        for other in nearby
        if other.id is not None and (safe := aggregates.get(other.id, EMPTY_AGGREGATES).total(ReportKind.SAFE))
    ]
    return sorted(found, key=lambda p: (p.rings, -p.safe))[:limit]


# --- the access log ---------------------------------------------------------------------------


def record_view(db: Database, staff: StaffIdentity, what: str, subject_id: object = "", **detail: object) -> None:
    """The access log: every register view and export, who and when.

    Written in its own short write transaction so the page's read session never turns into a write.
    """
    with db.transaction() as session:
        audit.record(
            session, f"register.{what}", area_id=staff.area.id, actor_id=staff.user.id,
            subject_type="context" if subject_id else "", subject_id=subject_id, **detail,
        )


@dataclass(frozen=True)
class AccessEntry:
    event: AuditEvent
    who: str
    email: str


ACCESS_LOG_PER_PAGE = 100


def access_log(session: Session, area_id: int, *, page: int = 1) -> tuple[list[AccessEntry], int]:
    """Register views and exports in this area, newest first, with who looked."""
    where = [col(AuditEvent.area_id) == area_id, col(AuditEvent.action).startswith("register.")]
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
    query = (
        sa_select(AuditEvent, col(User.display_name), col(User.email))
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(*where)
        .order_by(col(AuditEvent.id).desc())
        .limit(ACCESS_LOG_PER_PAGE)
        .offset((max(page, 1) - 1) * ACCESS_LOG_PER_PAGE)
    )
    rows = [AccessEntry(event, name or "", email or "") for event, name, email in session.execute(query).all()]
    return rows, total


# --- changing a context -----------------------------------------------------------------------


def change_status(session: Session, staff: StaffIdentity, context: Context, to_status: str, note: str = "") -> None:
    if to_status not in {s.value for s in ContextStatus}:
        raise RegisterError("status_unknown")
    if context.merged_into_id is not None:
        raise RegisterError("context_merged")
    if to_status == context.status:
        return
    _set_status(session, staff, context, to_status, note)
    session.commit()


def _set_status(session: Session, staff: StaffIdentity, context: Context, to_status: str, note: str = "") -> None:
    assert context.id is not None
    session.add(
        ContextStatusChange(
            context_id=context.id, from_status=context.status, to_status=to_status, changed_by_id=staff.user.id, note=note[:500]
        )
    )
    audit.record(
        session, "context.status_changed", area_id=context.area_id, actor_id=staff.user.id, subject_type="context",
        subject_id=context.id, before={"status": context.status}, after={"status": to_status},
    )
    context.status = to_status
    if to_status == ContextStatus.ON_PANEL_AGENDA and not context.flagged_for_panel:
        context.flagged_for_panel = True
        context.flagged_at = utcnow()
    touch(session, context)


def flag_for_panel(session: Session, staff: StaffIdentity, context: Context, reason: str = "") -> None:
    if context.merged_into_id is not None:
        raise RegisterError("context_merged")
    context.flagged_for_panel = True
    context.flagged_at = utcnow()
    context.panel_reason = reason.strip()[:500]
    audit.record(
        session, "context.flagged_for_panel", area_id=context.area_id, actor_id=staff.user.id, subject_type="context",
        subject_id=context.id, reason_given=bool(context.panel_reason),
    )
    if context.status != ContextStatus.ON_PANEL_AGENDA:
        _set_status(session, staff, context, ContextStatus.ON_PANEL_AGENDA, note="Flagged for the next panel")
    touch(session, context)
    session.commit()


def update_assessment(session: Session, staff: StaffIdentity, context: Context, values: dict[str, str], neighbourhood: str | None = None) -> list[str]:
    """Edits the neighbourhood assessment notes, keeping every earlier text in the note history."""
    assert context.id is not None
    changed: list[str] = []
    for name in AssessmentField:
        if name.value not in values:
            continue
        new = values[name.value].strip()[:5000]
        old = getattr(context, name.value)
        if new == old:
            continue
        session.add(ContextNoteChange(context_id=context.id, field=name.value, before=old, after=new, changed_by_id=staff.user.id))
        setattr(context, name.value, new)
        changed.append(name.value)
    if neighbourhood is not None and neighbourhood.strip()[:80] != context.neighbourhood:
        audit.record(
            session, "context.neighbourhood_changed", area_id=context.area_id, actor_id=staff.user.id, subject_type="context",
            subject_id=context.id, before={"neighbourhood": context.neighbourhood}, after={"neighbourhood": neighbourhood.strip()[:80]},
        )
        context.neighbourhood = neighbourhood.strip()[:80]
        changed.append("neighbourhood")
    if changed:
        # The note text stays in context_note_change; the audit log keeps which fields, never the words.
        audit.record(session, "context.assessment_edited", area_id=context.area_id, actor_id=staff.user.id, subject_type="context", subject_id=context.id, fields=changed)
        touch(session, context)
    session.commit()
    return changed


def merge_contexts(session: Session, staff: StaffIdentity, source: Context, target: Context, note: str = "") -> ContextRegrouping:
    """Moves every entry and action of `source` into `target`; `source` stays as a closed record."""
    if source.area_id != target.area_id or source.area_id != staff.area.id:
        raise RegisterError("not_found")
    if source.id == target.id:
        raise RegisterError("merge_same")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise RegisterError("context_merged")
    assert source.id is not None and target.id is not None
    moved = _move_reports(session, source, target.id, None)
    session.execute(update(Report).where(col(Report.reported_context_id) == source.id).values(reported_context_id=target.id))
    session.execute(update(Action).where(col(Action.context_id) == source.id, col(Action.area_id) == source.area_id).values(context_id=target.id))
    for name in AssessmentField:
        extra = getattr(source, name.value).strip()
        if extra:
            old = getattr(target, name.value)
            new = f"{old}\n\n{source.name}: {extra}".strip()
            session.add(ContextNoteChange(context_id=target.id, field=name.value, before=old, after=new, changed_by_id=staff.user.id))
            setattr(target, name.value, new)
    if source.flagged_for_panel and not target.flagged_for_panel:
        target.flagged_for_panel, target.flagged_at, target.panel_reason = True, source.flagged_at, source.panel_reason
    if source.status != ContextStatus.CLOSED:
        _set_status(session, staff, source, ContextStatus.CLOSED, note=f"Merged into {target.name}"[:500])
    source.merged_into_id = target.id
    source.flagged_for_panel = False
    return _record_regrouping(session, staff, RegroupingKind.MERGE, "context.merged", source, target, moved, note)


def split_context(
    session: Session, staff: StaffIdentity, source: Context, entry_ids: Sequence[int], *, name: str, kind: str, note: str = ""
) -> Context:
    """Moves the chosen published entries of `source` into a new context of their own."""
    if source.area_id != staff.area.id:
        raise RegisterError("not_found")
    if source.merged_into_id is not None:
        raise RegisterError("context_merged")
    if not name.strip():
        raise RegisterError("name_missing")
    if kind not in {k.value for k in ContextKind}:
        raise RegisterError("kind_unknown")
    assert source.id is not None
    wanted = set(entry_ids)
    found = session.exec(
        select(Report.id).where(
            col(Report.id).in_(wanted), Report.context_id == source.id, Report.area_id == source.area_id, Report.status == ReportStatus.PUBLISHED
        )
    ).all()
    if not found or len(found) != len(wanted):
        raise RegisterError("entries_missing")
    new = create_context(
        session, staff, name=name.strip(), h3_cell=source.h3_cell if kind != ContextKind.ONLINE else None,
        place_id=source.place_id if kind != ContextKind.ONLINE else None, kind=kind, neighbourhood=source.neighbourhood,
    )
    assert new.id is not None
    moved = _move_reports(session, source, new.id, [i for i in found if i is not None])
    _record_regrouping(session, staff, RegroupingKind.SPLIT, "context.split", source, new, moved, note)
    return new


def _record_regrouping(
    session: Session, staff: StaffIdentity, kind: RegroupingKind, action: str, source: Context, target: Context, moved: int, note: str
) -> ContextRegrouping:
    """The history row and audit entry of a merge or split, then both contexts touched and committed."""
    assert source.id is not None and target.id is not None
    regrouping = ContextRegrouping(
        area_id=source.area_id, kind=kind, source_context_id=source.id, target_context_id=target.id,
        entries=moved, note=note.strip()[:500], changed_by_id=staff.user.id,
    )
    session.add(regrouping)
    session.flush()
    audit.record(
        session, action, area_id=source.area_id, actor_id=staff.user.id, subject_type="context", subject_id=source.id,
        into=target.id, entries=moved, regrouping_id=regrouping.id,
    )
    touch(session, source)
    touch(session, target)
    session.commit()
    return regrouping


def _move_reports(session: Session, source: Context, target_id: int, only: list[int] | None) -> int:
    query = update(Report).where(col(Report.context_id) == source.id, col(Report.area_id) == source.area_id)
    if only is not None:
        query = query.where(col(Report.id).in_(only))
    result = session.execute(query.values(context_id=target_id).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# --- actions and "You said, we did" -----------------------------------------------------------


@dataclass(frozen=True)
class ActionInput:
    title: str
    owner_organisation: str
    response_type: str
    status: str
    due_date: date | None
    detail: str = ""
    public_summary: str = ""


def record_action(session: Session, staff: StaffIdentity, context: Context, data: ActionInput, *, decision_id: int | None = None) -> Action:
    errors = validate_action(data)
    if errors:
        raise RegisterError(errors[0])
    assert context.id is not None
    action = Action(
        area_id=context.area_id,
        context_id=context.id,
        title=data.title.strip(),
        owner_organisation=data.owner_organisation.strip(),
        response_type=data.response_type,
        status=data.status,
        due_date=data.due_date,
        detail=data.detail.strip(),
        public_summary=data.public_summary.strip(),
        created_by_id=staff.user.id,
        decision_id=decision_id,
    )
    session.add(action)
    session.flush()
    audit.record(session, "action.recorded", area_id=context.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id, context_id=context.id, response_type=data.response_type)
    touch(session, context)
    session.commit()
    return action


def validate_action(data: ActionInput) -> list[str]:
    errors = []
    if not data.title.strip():
        errors.append("title_missing")
    if not data.owner_organisation.strip():
        errors.append("owner_missing")
    if data.response_type not in {r.value for r in ResponseType}:
        errors.append("response_type_unknown")
    if data.status not in {s.value for s in ActionStatus}:
        errors.append("status_unknown")
    return errors


def get_action(session: Session, area_id: int, action_id: int) -> Action | None:
    action = session.get(Action, action_id)
    return action if action and action.area_id == area_id else None


def update_action(session: Session, staff: StaffIdentity, action: Action, *, status: str, due_date: date | None) -> None:
    if status not in {s.value for s in ActionStatus}:
        raise RegisterError("status_unknown")
    before = {"status": action.status, "due_date": action.due_date.isoformat() if action.due_date else None}
    action.status = status
    action.due_date = due_date
    session.add(action)
    audit.record(
        session, "action.updated", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id,
        before=before, after={"status": status, "due_date": due_date.isoformat() if due_date else None},
    )
    session.commit()


def summary_problems(summary: str) -> list[str]:
    """Kinds of personal detail found in a plain-words summary (names, numbers, addresses...)."""
    return sorted({span.kind for span in find_personal_details(summary)})


def publish_action(session: Session, staff: StaffIdentity, action: Action, public_summary: str) -> None:
    """Put the plain-words version on "You said, we did" (and on linked receipts' /track).

    This is the moderation step for what the public reads: only a moderator (or an admin) may do it,
    it is a separate, deliberate step from recording the action, the personal-detail detector must
    find nothing in the words, and the audit log keeps who wrote the draft and who published it.
    """
    if not staff.has(Role.MODERATOR):
        raise RegisterError("moderator_only")
    summary = public_summary.strip()
    if not summary:
        raise RegisterError("summary_missing")
    if len(summary) > 1000:
        raise RegisterError("summary_too_long")
    if summary_problems(summary):
        raise RegisterError("summary_personal_details")
    before = {"published": action.published_at is not None}
    action.public_summary = summary
    action.published_at = utcnow()
    action.published_by_id = staff.user.id
    session.add(action)
    audit.record(
        session, "action.published", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id,
        before=before, after={"published": True}, drafted_by=action.created_by_id, context_id=action.context_id,
    )
    session.commit()


def unpublish_action(session: Session, staff: StaffIdentity, action: Action) -> None:
    if not staff.has(Role.MODERATOR):
        raise RegisterError("moderator_only")
    action.published_at = None
    action.published_by_id = None
    session.add(action)
    audit.record(session, "action.unpublished", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id)
    session.commit()


@dataclass(frozen=True)
class PublicAction:
    context_name: str
    summary: str
    status: str
    response_type: str
    published_at: datetime


def you_said_we_did(session: Session, area_id: int, *, limit: int = 50) -> list[PublicAction]:
    query = (
        select(Action, Context.name)
        .join(Context, col(Context.id) == col(Action.context_id))
        .where(Action.area_id == area_id, col(Action.published_at).is_not(None))
        .order_by(col(Action.published_at).desc())
        .limit(limit)
    )
    return [
        PublicAction(name, action.public_summary, action.status, action.response_type, action.published_at)  # type: ignore[arg-type]
        for action, name in session.exec(query).all()
    ]


# --- the panel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelItem:
    context: Context
    recent: dict[str, int]  # the last 3 months (this month and the two before), by kind
    previous: dict[str, int]  # the 3 months before that
    themes: list[tuple[str, int]]
    peak_time: str | None
    open_actions: list[Action]
    last_decision: PanelDecision | None

    @property
    def change(self) -> int:
        return self.recent.get(ReportKind.UNSAFE, 0) - self.previous.get(ReportKind.UNSAFE, 0)


RECENT_MONTHS = 3


def recent_windows(today: date) -> tuple[list[str], list[str]]:
    """The last three calendar months and the three before them, as 'YYYY-MM' keys."""
    six = months_back(today, 2 * RECENT_MONTHS)
    return six[RECENT_MONTHS:], six[:RECENT_MONTHS]


def window_counts(agg: ContextAggregates, months: Sequence[str]) -> dict[str, int]:
    return {kind.value: sum(agg.monthly(kind.value).get(m, 0) for m in months) for kind in ReportKind}


def panel_agenda(session: Session, area_id: int, *, today: date | None = None) -> list[PanelItem]:
    """Every context flagged for the next panel, with the summary a panel paper needs."""
    recent, previous = recent_windows(today or utcnow().date())
    contexts = session.exec(
        select(Context)
        .where(Context.area_id == area_id, col(Context.flagged_for_panel).is_(True), col(Context.merged_into_id).is_(None))
        .order_by(col(Context.flagged_at), col(Context.id))
    ).all()
    ids = [c.id for c in contexts]
    if not ids:
        return []
    aggregates = aggregates_for(session, area_id, contexts)
    open_actions: dict[int, list[Action]] = {}
    for action in session.exec(
        select(Action).where(col(Action.context_id).in_(ids), Action.area_id == area_id, col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.IN_PROGRESS]))
    ).all():
        open_actions.setdefault(action.context_id, []).append(action)
    last: dict[int, PanelDecision] = {}
    for decision in session.exec(select(PanelDecision).where(col(PanelDecision.context_id).in_(ids)).order_by(col(PanelDecision.id))).all():
        last[decision.context_id] = decision
    items = []
    for context in contexts:
        assert context.id is not None
        agg = aggregates.get(context.id, EMPTY_AGGREGATES)
        times = [(code, n) for code, n in agg.time_bands.most_common() if code != "all_the_time"]
        items.append(
            PanelItem(
                context=context, recent=window_counts(agg, recent), previous=window_counts(agg, previous),
                themes=agg.theme_counts(recent[0]).most_common(3), peak_time=times[0][0] if times else None,
                open_actions=open_actions.get(context.id, []), last_decision=last.get(context.id),
            )
        )
    return items


@dataclass(frozen=True)
class DecisionInput:
    panel_date: date
    decision: str
    to_status: str | None = None
    keep_on_agenda: bool = False


def record_decision(session: Session, staff: StaffIdentity, context: Context, data: DecisionInput, action: ActionInput | None = None) -> PanelDecision:
    """What the panel decided: the words, an optional new status, and an optional action agreed there."""
    if not data.decision.strip():
        raise RegisterError("decision_missing")
    if data.to_status and data.to_status not in {s.value for s in ContextStatus}:
        raise RegisterError("status_unknown")
    if action is not None and validate_action(action):
        raise RegisterError(validate_action(action)[0])
    if context.merged_into_id is not None:
        raise RegisterError("context_merged")
    assert context.id is not None
    decision = PanelDecision(
        area_id=context.area_id, context_id=context.id, panel_date=data.panel_date, decision=data.decision.strip()[:5000],
        to_status=data.to_status or None, recorded_by_id=staff.user.id,
    )
    session.add(decision)
    session.flush()
    audit.record(
        session, "panel.decision_recorded", area_id=context.area_id, actor_id=staff.user.id, subject_type="context", subject_id=context.id,
        decision_id=decision.id, to_status=data.to_status or None, with_action=action is not None,
    )
    if data.to_status and data.to_status != context.status:
        _set_status(session, staff, context, data.to_status, note=f"Panel decision {data.panel_date.isoformat()}")
    if not data.keep_on_agenda:
        context.flagged_for_panel = False
        context.flagged_at = None
        context.panel_reason = ""
    touch(session, context)
    session.commit()
    if action is not None:
        record_action(session, staff, context, action, decision_id=decision.id)
    return decision
