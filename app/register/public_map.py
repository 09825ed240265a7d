"""The public map and open data: aggregated hexagons only, never a cell with fewer than k entries.

Both read the same published entries that a moderator chose to count on the map (`show_on_map`),
and nothing else: no words, no map points, no times finer than a calendar month.

- `public_map` draws the area on a server-side SVG: its outline, its named places as labels, and
  each H3 cell with at least k entries (all time), numbered to match the table under the map.
- `open_cells` is the open data: counts per cell and month, after the k rule and secondary
  suppression of app.register.suppression (the map's all-time cell totals are one of the groups
  it protects).

The area has only a bounding box, so its outline is derived: the H3 cells (at the area's own
resolution) that touch the box, merged into one shape. That is the same grid the map's cells come
from, so every cell sits inside the outline.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import h3
from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.areas.lookup import GazetteerPlace
from app.areas.models import Area, PlaceKind
from app.register.suppression import suppress, table_groups
from app.reports.models import Report, ReportKind, ReportStatus

SVG_WIDTH = 1000  # the staff map's width (app.register.staff_map)
# The public map is drawn at about a phone's width, so one unit is about one CSS pixel on a
# 360 px screen: labels sized here are the sizes people read (never under 14 px for numbers).
PUBLIC_WIDTH = 340
MARGIN = 10
NUMBER_SIZE = 16
PLACE_SIZE = 14
# Rough width of one character as a share of the font size, for keeping labels apart.
CHAR_WIDTH = 0.56
LINE_CHARS = 16
MAX_PLACE_LABELS = 12
# Gazetteer places labelled first, where labels compete for room: the ones people find their way by.
KIND_ORDER = [
    PlaceKind.TRANSPORT,
    PlaceKind.PARK,
    PlaceKind.SCHOOL,
    PlaceKind.COMMUNITY,
    PlaceKind.STREET,
    PlaceKind.SHOP,
    PlaceKind.OTHER,
]

Box = tuple[float, float, float, float]  # left, top, right, bottom
Projector = Callable[[float, float], tuple[float, float]]


@dataclass(frozen=True)
class MapCell:
    cell: str
    safe: int
    unsafe: int
    points: str  # SVG polygon points in the map's own coordinates
    label_x: float
    label_y: float
    number: int = 0
    near: str | None = None  # the nearest named place, to say where the cell is in words

    @property
    def total(self) -> int:
        return self.safe + self.unsafe

    @property
    def balance(self) -> str:
        return balance_of(self.safe, self.unsafe)


@dataclass(frozen=True)
class PlaceLabel:
    name: str
    x: float  # the place itself (a dot)
    y: float
    lines: list[tuple[float, float, str]]  # (x, y, text) of each line of the label, centred
    leader: tuple[float, float, float, float] | None = (
        None  # a line from the dot to a label set further out
    )


@dataclass(frozen=True)
class PublicMap:
    cells: list[MapCell]
    hidden_cells: int
    width: int
    height: int
    themes: list[tuple[str, int]]
    outline: list[str] = field(default_factory=list)  # SVG polygon points, one per part of the area
    places: list[PlaceLabel] = field(default_factory=list)
    unlabelled_places: list[str] = field(default_factory=list)
    number_size: int = NUMBER_SIZE
    place_size: int = PLACE_SIZE

    def cells_for_tiles(self) -> list[dict[str, object]]:
        """The shown cells as plain data for the tiled view (static/js/map-public.js): the same cells,
        numbers and balance as the SVG, with each cell's corners as (lat, lng)."""
        return [
            {
                "number": c.number,
                "balance": c.balance,
                "ring": [
                    [round(lat, 6), round(lng, 6)] for lat, lng in h3.cell_to_boundary(c.cell)
                ],
            }
            for c in self.cells
        ]


def balance_of(safe: int, unsafe: int) -> str:
    """mostly-safe, mixed or mostly-unsafe: shown as a pattern and in words, not by colour alone."""
    if safe >= 2 * unsafe:
        return "mostly-safe"
    if unsafe >= 2 * safe:
        return "mostly-unsafe"
    return "mixed"


def _frame(
    min_lat: float, min_lng: float, max_lat: float, max_lng: float, width: int, margin: float = 0
) -> tuple[int, float, Projector]:
    mid_lat = math.radians((min_lat + max_lat) / 2)
    span_x = max((max_lng - min_lng) * math.cos(mid_lat), 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    inner = width - 2 * margin
    height = inner * span_y / span_x + 2 * margin

    def project(lat: float, lng: float) -> tuple[float, float]:
        x = margin + (lng - min_lng) * math.cos(mid_lat) / span_x * inner
        y = margin + (max_lat - lat) / span_y * (height - 2 * margin)
        return round(x, 1), round(y, 1)

    return width, height, project


def _projector(area: Area) -> tuple[int, float, Projector]:
    """The area's bounding box on a 1000-unit-wide SVG (the staff map)."""
    return _frame(area.min_lat, area.min_lng, area.max_lat, area.max_lng, SVG_WIDTH)


def _has_box(area: Area) -> bool:
    return area.max_lat > area.min_lat and area.max_lng > area.min_lng


def outline_rings(area: Area) -> list[list[tuple[float, float]]]:
    """The area's outline as (lat, lng) rings: its bounding box covered by H3 cells, merged."""
    if not _has_box(area):
        return []
    box = h3.LatLngPoly(
        [
            (area.min_lat, area.min_lng),
            (area.min_lat, area.max_lng),
            (area.max_lat, area.max_lng),
            (area.max_lat, area.min_lng),
        ]
    )
    cells = h3.h3shape_to_cells_experimental(box, area.h3_resolution, contain="overlap")
    if not cells:
        return []
    shape = h3.cells_to_h3shape(cells)
    polys = [shape] if isinstance(shape, h3.LatLngPoly) else list(shape)
    return [list(poly.outer) for poly in polys]


def _points(corners: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in corners)


def _published_on_map(area: Area) -> list[ColumnElement[bool]]:
    return [
        col(Report.area_id) == area.id,
        col(Report.status) == ReportStatus.PUBLISHED,
        col(Report.show_on_map).is_(True),
        col(Report.h3_cell).is_not(None),
    ]


def public_map(session: Session, area: Area, places: Sequence[GazetteerPlace] = ()) -> PublicMap:
    query = (
        select(Report.h3_cell, Report.kind, func.count())
        .where(*_published_on_map(area), col(Report.kind).in_([ReportKind.SAFE, ReportKind.UNSAFE]))
        .group_by(col(Report.h3_cell), col(Report.kind))
    )
    by_cell: dict[str, Counter[str]] = {}
    for cell, kind, count in session.exec(query).all():
        if cell is None or not h3.is_valid_cell(cell):
            continue
        by_cell.setdefault(cell, Counter())[kind] += count

    rings = outline_rings(area)
    shown = {
        cell: counts for cell, counts in by_cell.items() if counts.total() >= area.min_cell_count
    }
    corners_by_cell = {cell: h3.cell_to_boundary(cell) for cell in shown}
    every_point = [p for ring in rings for p in ring] + [
        p for corners in corners_by_cell.values() for p in corners
    ]
    if every_point:
        lats, lngs = [p[0] for p in every_point], [p[1] for p in every_point]
        width, height, project = _frame(
            min(lats), min(lngs), max(lats), max(lngs), PUBLIC_WIDTH, MARGIN
        )
    else:
        width, height, project = _frame(
            area.min_lat, area.min_lng, area.max_lat, area.max_lng, PUBLIC_WIDTH, MARGIN
        )

    # Numbered as text is read, top to bottom, then left to right, so the table follows the map.
    ordered = sorted(
        shown, key=lambda cell: (-round(h3.cell_to_latlng(cell)[0], 3), h3.cell_to_latlng(cell)[1])
    )
    cells: list[MapCell] = []
    for number, cell in enumerate(ordered, start=1):
        counts = shown[cell]
        centre = project(*h3.cell_to_latlng(cell))
        cells.append(
            MapCell(
                cell=cell,
                safe=counts[ReportKind.SAFE],
                unsafe=counts[ReportKind.UNSAFE],
                points=_points(project(lat, lng) for lat, lng in corners_by_cell[cell]),
                label_x=centre[0],
                label_y=centre[1],
                number=number,
                near=_nearest(cell, places),
            )
        )
    taken = [_number_box(c.label_x, c.label_y, c.number) for c in cells]
    labels, unlabelled = _place_labels(places, project, width, round(height), taken)
    return PublicMap(
        cells=cells,
        hidden_cells=len(by_cell) - len(shown),
        width=width,
        height=round(height),
        themes=structural_themes(session, area),
        outline=[_points(project(lat, lng) for lat, lng in ring) for ring in rings],
        places=labels,
        unlabelled_places=unlabelled,
    )


def _nearest(cell: str, places: Sequence[GazetteerPlace]) -> str | None:
    """A named place in the cell (the one nearest its middle), else the closest within about a cell's width."""
    lat, lng = h3.cell_to_latlng(cell)
    resolution = h3.get_resolution(cell)
    best: tuple[bool, float, str] | None = None
    for place in places:
        outside = h3.latlng_to_cell(place.lat, place.lng, resolution) != cell
        candidate = (
            outside,
            h3.great_circle_distance((lat, lng), (place.lat, place.lng), unit="km"),
            place.name,
        )
        if best is None or candidate < best:
            best = candidate
    reach = 3 * h3.average_hexagon_edge_length(resolution, unit="km")
    return best[2] if best and (not best[0] or best[1] <= reach) else None


def _number_box(x: float, y: float, number: int) -> Box:
    half = max(len(str(number)), 1) * NUMBER_SIZE * CHAR_WIDTH / 2 + 3
    return (x - half, y - NUMBER_SIZE / 2 - 2, x + half, y + NUMBER_SIZE / 2 + 2)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def wrap(name: str, limit: int = LINE_CHARS) -> list[str]:
    """A place name on up to two lines, broken between words (a long word stays whole)."""
    words = name.split()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return lines


def _place_labels(
    places: Sequence[GazetteerPlace], project: Projector, width: int, height: int, taken: list[Box]
) -> tuple[list[PlaceLabel], list[str]]:
    """Labels for as many named places as fit without covering a number or another label.

    Each label tries the places right next to its dot (right, left, above, below), then further
    out in eight directions with a thin line back to the dot. A place whose label fits nowhere,
    or that comes after the first MAX_PLACE_LABELS, is left off the drawing and listed under it.
    """
    boxes = list(taken)
    labels: list[PlaceLabel] = []
    unlabelled: list[str] = []
    rank: dict[str, int] = {str(kind): index for index, kind in enumerate(KIND_ORDER)}
    for place in sorted(
        places, key=lambda p: (rank.get(p.kind, len(KIND_ORDER)), len(p.name), p.name)
    ):
        x, y = project(place.lat, place.lng)
        if not (0 <= x <= width and 0 <= y <= height):
            continue
        label = (
            None
            if len(labels) >= MAX_PLACE_LABELS
            else _fit_label(place.name, x, y, width, height, boxes)
        )
        if label is None:
            unlabelled.append(place.name)
        else:
            labels.append(label)
    return labels, sorted(unlabelled)


def _fit_label(
    name: str, x: float, y: float, width: int, height: int, boxes: list[Box]
) -> PlaceLabel | None:
    lines = wrap(name)
    w = max(len(line) for line in lines) * PLACE_SIZE * CHAR_WIDTH
    h = len(lines) * PLACE_SIZE * 1.15
    dot = (x - 3, y - 3, x + 3, y + 3)
    if any(_overlaps(dot, other) for other in boxes):
        return None
    for distance in (5, 22, 40):
        for dx, dy in ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1)):
            if distance == 5 and dx and dy:
                continue
            # The label's centre: its near edge `distance` away from the dot in this direction.
            cx = x + dx * (distance + w / 2)
            cy = y + dy * (distance + h / 2)
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if box[0] < 2 or box[1] < 2 or box[2] > width - 2 or box[3] > height - 2:
                continue
            if any(_overlaps(box, other) for other in boxes):
                continue
            boxes += [box, dot]
            first = cy - h / 2 + PLACE_SIZE * 0.85
            leader = None
            if distance > 5:
                leader = (x, y, round(cx - dx * w / 2, 1), round(cy - dy * h / 2, 1))
            label_lines = [
                (round(cx, 1), round(first + i * PLACE_SIZE * 1.15, 1), text)
                for i, text in enumerate(lines)
            ]
            return PlaceLabel(name, x, y, label_lines, leader)
    return None


def structural_themes(session: Session, area: Area) -> list[tuple[str, int]]:
    """What people most often say needs to change, across the whole area."""
    query = select(Report.categories).where(
        Report.area_id == area.id,
        Report.status == ReportStatus.PUBLISHED,
        Report.kind == ReportKind.STRUCTURAL,
    )
    counts: Counter[str] = Counter()
    for categories in session.exec(query).all():
        counts.update(c for c in categories.split(",") if c)
    return counts.most_common()


# --- open data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellMonth:
    """One cell in one calendar month: counts by kind and the feelings people gave (1 to 5)."""

    cell: str
    month: str  # YYYY-MM, in UTC
    safe: int = 0
    unsafe: int = 0
    structural: int = 0
    feeling_total: int = 0
    feeling_count: int = 0

    @property
    def entries(self) -> int:
        return self.safe + self.unsafe + self.structural

    def mean_feeling(self, k: int) -> float | None:
        """The mean feeling, only when at least k entries gave one (so no one person's answer shows)."""
        if self.feeling_count < k:
            return None
        return round(self.feeling_total / self.feeling_count, 1)


@dataclass(frozen=True)
class OpenCells:
    area: Area
    rows: list[CellMonth]  # published only, by month then cell
    withheld: int  # cell-months in the window kept back by the k rule or secondary suppression


def _month_of(session: Session) -> ColumnElement[str]:
    # created_at is stored as naive UTC (app.core.types.UTCDateTime), so the month is its first 7 characters.
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Report.created_at, "YYYY-MM")
    return func.strftime("%Y-%m", Report.created_at)


def cell_months(session: Session, area: Area) -> dict[tuple[str, str], CellMonth]:
    """Every cell-month of the area's published, counted-on-the-map entries, over all time."""
    month = _month_of(session)
    query = (
        sa_select(
            col(Report.h3_cell),
            month,
            col(Report.kind),
            func.count(),
            func.coalesce(func.sum(Report.feeling), 0),
            func.count(col(Report.feeling)),
        )
        .where(*_published_on_map(area))
        .group_by(col(Report.h3_cell), month, col(Report.kind))
    )
    found: dict[tuple[str, str], Counter[str]] = {}
    for cell, month_key, kind, count, feeling_total, feeling_count in session.execute(query).all():
        if cell is None or month_key is None or kind not in {k.value for k in ReportKind}:
            continue
        values = found.setdefault((cell, str(month_key)), Counter())
        values[kind] += int(count)
        values["feeling_total"] += int(feeling_total)
        values["feeling_count"] += int(feeling_count)
    return {key: CellMonth(key[0], key[1], **values) for key, values in found.items()}


def open_cells(
    session: Session, area: Area, *, since: str | None = None, until: str | None = None
) -> OpenCells:
    """The open data for a window of months (inclusive), suppressed over the area's whole history."""
    table = cell_months(session, area)
    hidden = suppress(
        {key: row.entries for key, row in table.items()}, table_groups(table), area.min_cell_count
    )
    in_window = [
        key
        for key in table
        if (since is None or key[1] >= since) and (until is None or key[1] <= until)
    ]
    rows = [
        table[key]
        for key in sorted(in_window, key=lambda key: (key[1], key[0]))
        if key not in hidden
    ]
    return OpenCells(area=area, rows=rows, withheld=sum(1 for key in in_window if key in hidden))
