"""The public map: aggregated hexagons only, and never a cell with fewer than k published entries."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import h3
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.reports.models import Report, ReportKind, ReportStatus

SVG_WIDTH = 1000


@dataclass(frozen=True)
class MapCell:
    cell: str
    safe: int
    unsafe: int
    points: str  # SVG polygon points in the map's own coordinates
    label_x: float
    label_y: float

    @property
    def total(self) -> int:
        return self.safe + self.unsafe

    @property
    def balance(self) -> str:
        return balance_of(self.safe, self.unsafe)


@dataclass(frozen=True)
class PublicMap:
    cells: list[MapCell]
    hidden_cells: int
    width: int
    height: int
    themes: list[tuple[str, int]]


def balance_of(safe: int, unsafe: int) -> str:
    """mostly-safe, mixed or mostly-unsafe: shown as a pattern and in words, not by colour alone."""
    if safe >= 2 * unsafe:
        return "mostly-safe"
    if unsafe >= 2 * safe:
        return "mostly-unsafe"
    return "mixed"


def _projector(area: Area) -> tuple[int, float, Callable[[float, float], tuple[float, float]]]:
    mid_lat = math.radians((area.min_lat + area.max_lat) / 2)
    span_x = max((area.max_lng - area.min_lng) * math.cos(mid_lat), 1e-9)
    span_y = max(area.max_lat - area.min_lat, 1e-9)
    height = SVG_WIDTH * span_y / span_x

    def project(lat: float, lng: float) -> tuple[float, float]:
        x = (lng - area.min_lng) * math.cos(mid_lat) / span_x * SVG_WIDTH
        y = (area.max_lat - lat) / span_y * height
        return round(x, 1), round(y, 1)

    return SVG_WIDTH, height, project


def public_map(session: Session, area: Area) -> PublicMap:
    query = (
        select(Report.h3_cell, Report.kind, func.count())
        .where(
            Report.area_id == area.id,
            Report.status == ReportStatus.PUBLISHED,
            col(Report.show_on_map).is_(True),
            col(Report.h3_cell).is_not(None),
            col(Report.kind).in_([ReportKind.SAFE, ReportKind.UNSAFE]),
        )
        .group_by(col(Report.h3_cell), col(Report.kind))
    )
    by_cell: dict[str, Counter[str]] = {}
    for cell, kind, count in session.exec(query).all():
        if cell is None:
            continue
        by_cell.setdefault(cell, Counter())[kind] += count
    width, height, project = _projector(area)
    cells: list[MapCell] = []
    hidden = 0
    for cell, counts in sorted(by_cell.items()):
        if counts.total() < area.min_cell_count:
            hidden += 1
            continue
        corners = [project(lat, lng) for lat, lng in h3.cell_to_boundary(cell)]
        centre = project(*h3.cell_to_latlng(cell))
        cells.append(
            MapCell(
                cell=cell,
                safe=counts[ReportKind.SAFE],
                unsafe=counts[ReportKind.UNSAFE],
                points=" ".join(f"{x},{y}" for x, y in corners),
                label_x=centre[0],
                label_y=centre[1],
            )
        )
    return PublicMap(cells=cells, hidden_cells=hidden, width=width, height=round(height), themes=structural_themes(session, area))


def structural_themes(session: Session, area: Area) -> list[tuple[str, int]]:
    """What people most often say needs to change, across the whole area."""
    query = select(Report.categories).where(
        Report.area_id == area.id, Report.status == ReportStatus.PUBLISHED, Report.kind == ReportKind.STRUCTURAL
    )
    counts: Counter[str] = Counter()
    for categories in session.exec(query).all():
        counts.update(c for c in categories.split(",") if c)
    return counts.most_common()
