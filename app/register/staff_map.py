"""The register's own map: every context with a place, drawn as its hexagon on a server-side SVG.

Staff see exact contexts (never entries' map points); the public map in public_map.py shows only
aggregated cells above the area's threshold. No tiles, so it works on any council network.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.register.counts import kind_totals
from app.register.models import Context
from app.register.public_map import _projector, balance_of
from app.reports.models import ReportKind


@dataclass(frozen=True)
class MapContext:
    context: Context
    safe: int
    unsafe: int
    structural: int


@dataclass(frozen=True)
class MapCell:
    number: int
    points: str
    label_x: float
    label_y: float
    contexts: list[MapContext]

    @property
    def safe(self) -> int:
        return sum(c.safe for c in self.contexts)

    @property
    def unsafe(self) -> int:
        return sum(c.unsafe for c in self.contexts)

    @property
    def balance(self) -> str:
        return balance_of(self.safe, self.unsafe)


@dataclass(frozen=True)
class ContextsMap:
    cells: list[MapCell]
    width: int
    height: int
    without_place: list[MapContext]


def contexts_map(session: Session, area: Area) -> ContextsMap:
    assert area.id is not None
    contexts = session.exec(
        select(Context).where(Context.area_id == area.id, col(Context.merged_into_id).is_(None)).order_by(col(Context.name))
    ).all()
    totals = kind_totals(session, area.id)
    by_cell: dict[str, list[MapContext]] = {}
    without: list[MapContext] = []
    for context in contexts:
        assert context.id is not None
        counts = totals.get(context.id, {})
        item = MapContext(context, *(counts.get(kind, 0) for kind in (ReportKind.SAFE, ReportKind.UNSAFE, ReportKind.STRUCTURAL)))
        if context.h3_cell and h3.is_valid_cell(context.h3_cell):
            by_cell.setdefault(context.h3_cell, []).append(item)
        else:
            without.append(item)
    width, height, project = _projector(area)
    cells = []
    for number, (cell, items) in enumerate(sorted(by_cell.items(), key=lambda kv: kv[1][0].context.name.lower()), start=1):
        corners = [project(lat, lng) for lat, lng in h3.cell_to_boundary(cell)]
        centre = project(*h3.cell_to_latlng(cell))
        cells.append(MapCell(number, " ".join(f"{x},{y}" for x, y in corners), centre[0], centre[1], items))
    return ContextsMap(cells=cells, width=width, height=round(height), without_place=without)
