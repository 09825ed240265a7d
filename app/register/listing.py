"""The register list: an area's contexts with their counts, trend and themes, filtered and sorted.

Filtering, sorting and paging happen in the database over the per-context counts (app.register.counts),
so a page costs the same whether the area has a thousand entries or millions; only the page's own
contexts are then read in full for their sparklines and themes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.core.types import utcnow
from app.register.counts import summed
from app.register.models import AggregateDimension, Context, ContextAggregate, ContextStatus
from app.register.periods import DEFAULT_PERIOD, TREND_MONTHS, months_back, period_since
from app.reports.models import ReportKind
from app.taxonomy.service import category_codes

STATUS_ORDER = {status.value: index for index, status in enumerate(ContextStatus)}
SORTS = ("activity", "unsafe", "total", "name", "status")
COUNT_SORTS = ("unsafe", "total")
_COUNTS = ContextAggregate.__table__  # type: ignore[attr-defined]


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


def _context_filters(area_id: int, filters: RegisterFilters, since: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [col(Context.area_id) == area_id]
    if filters.status:
        where.append(col(Context.status) == filters.status)
    if filters.status != ContextStatus.CLOSED:
        # Merged contexts live on as closed records; they show only when someone looks at closed ones.
        where.append(col(Context.merged_into_id).is_(None))
    if filters.kind:
        where.append(col(Context.kind) == filters.kind)
    if filters.neighbourhood:
        where.append(col(Context.neighbourhood) == filters.neighbourhood)
    if filters.search.strip():
        where.append(col(Context.name).ilike(f"%{filters.search.strip()}%"))
    if filters.theme:
        themed = sa_select(_COUNTS.c.context_id).where(
            _COUNTS.c.area_id == area_id, _COUNTS.c.dimension == AggregateDimension.THEME, _COUNTS.c.code == filters.theme,
            *([_COUNTS.c.month >= since] if since else []),
        )
        where.append(col(Context.id).in_(themed))
    return where


def register_page(
    session: Session, area_id: int, filters: RegisterFilters, *, limit: int = 50, offset: int = 0, today: date | None = None
) -> RegisterPage:
    today = today or utcnow().date()
    months = months_back(today, TREND_MONTHS)
    since = period_since(today, filters.period)

    where = _context_filters(area_id, filters, since)
    total = session.execute(sa_select(func.count()).select_from(Context).where(*where)).scalar_one()
    if filters.sort in COUNT_SORTS:
        # Ordering by a count needs every context's count in the period: one grouped scan of the area's rows.
        period_counts = _period_counts(area_id, since, None).subquery()
        safe, unsafe, structural = (func.coalesce(period_counts.c[k], 0) for k in (ReportKind.SAFE, ReportKind.UNSAFE, ReportKind.STRUCTURAL))
        query = (
            sa_select(Context, safe, unsafe, structural)
            .outerjoin(period_counts, period_counts.c.context_id == col(Context.id))
            .where(*where)
            .order_by(*_order(session, filters.sort, safe, unsafe, structural))
            .limit(limit)
            .offset(offset)
        )
        found = [(context, int(s), int(u), int(st)) for context, s, u, st in session.execute(query).all()]
    else:
        # Otherwise the page comes from the contexts alone, and only its own contexts are counted.
        page = session.execute(
            sa_select(Context).where(*where).order_by(*_order(session, filters.sort, None, None, None)).limit(limit).offset(offset)
        ).scalars().all()
        counted = {
            context_id: (int(s), int(u), int(st))
            for context_id, s, u, st in session.execute(_period_counts(area_id, since, [c.id for c in page if c.id is not None])).all()
        }
        found = [(context, *counted.get(context.id or 0, (0, 0, 0))) for context in page]
    # Sparklines cover the last 12 months, themes the period; both summed in the database for this page only.
    ids = [c.id for c, *_ in found if c.id is not None]
    trends: dict[int, Counter[str]] = {}
    for context_id, month, n in summed(session, area_id, ids, AggregateDimension.ENTRIES, by=("month",), since=months[0]):
        trends.setdefault(context_id, Counter())[month] = n
    themes: dict[int, Counter[str]] = {}
    for context_id, code, n in summed(session, area_id, ids, AggregateDimension.THEME, by=("code",), since=since):
        themes.setdefault(context_id, Counter())[code] = n
    rows = []
    for context, safe_n, unsafe_n, structural_n in found:
        assert context.id is not None
        monthly = trends.get(context.id, Counter())
        rows.append(
            ContextRow(
                context=context, safe=safe_n, unsafe=unsafe_n, structural=structural_n, last_entry_at=context.last_entry_at,
                trend=[monthly.get(m, 0) for m in months], themes=_top(themes.get(context.id, Counter()), 3),
            )
        )
    return RegisterPage(
        rows=rows, total=total, months=months,
        neighbourhoods=neighbourhoods(session, area_id), themes=category_codes(session, area_id),
    )


def _period_counts(area_id: int, since: str | None, context_ids: list[int] | None) -> Any:
    """(context_id, safe, unsafe, structural) in the period, for some contexts or all of the area's."""

    def kind_total(kind: str) -> Any:
        return func.sum(case((_COUNTS.c.kind == kind, _COUNTS.c.count), else_=0)).label(kind)

    query = (
        sa_select(_COUNTS.c.context_id, kind_total(ReportKind.SAFE), kind_total(ReportKind.UNSAFE), kind_total(ReportKind.STRUCTURAL))
        .where(_COUNTS.c.area_id == area_id, _COUNTS.c.dimension == AggregateDimension.ENTRIES, *([_COUNTS.c.month >= since] if since else []))
        .group_by(_COUNTS.c.context_id)
    )
    if context_ids is not None:
        query = query.where(_COUNTS.c.context_id.in_(context_ids))
    return query


def _order(session: Session, sort: str, safe: Any, unsafe: Any, structural: Any) -> list[Any]:
    """ORDER BY for each sort, with the context id last so pages never overlap."""
    name: Any = func.lower(col(Context.name))
    if session.get_bind().dialect.name == "postgresql":
        name = name.collate("C")  # code-point order, as the sort in Python always was
    ident = col(Context.id)
    if sort == "unsafe":
        return [unsafe.desc(), (safe + unsafe + structural).desc(), name, ident]
    if sort == "total":
        return [(safe + unsafe + structural).desc(), name, ident]
    if sort == "name":
        return [name, ident]
    if sort == "status":
        return [case(STATUS_ORDER, value=col(Context.status), else_=99), name, ident]
    return [col(Context.last_entry_at).desc().nulls_last(), ident.desc()]


def _top(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The n biggest, ties by code so a page always reads the same."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
