"""Server-side SVG charts for the register: geometry only, worked out here so templates just draw.

Every chart is an image with a name and a description, and the page shows the same numbers in a
table next to it, so nobody needs to read a shape to get the facts. Colour is never the only cue:
series also differ in pattern (safe: solid, unsafe: hatched, needs to change: dotted), and the
legend's swatches are painted with the very same SVG patterns as the bars (templates/register/_charts.html).

Charts are drawn at their own size, one SVG unit to one CSS pixel, and never scaled down: the text
sizes in the stylesheet (at least 15px) are then the sizes people read. Where a chart is wider than
the screen it scrolls sideways, and its table is always beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SERIES = ("safe", "unsafe", "structural")
# Room for 15px text: the value scale at the start, month labels under the columns, a row per bar.
AXIS_WIDTH = 48
TICK_HEIGHT = 34
BAR_ROW = 32


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    max_value: int
    gridlines: list[tuple[float, int]]  # (y, value)
    left: int = AXIS_WIDTH  # where the plot starts (the value scale sits before it)


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    points: str
    last_x: float
    last_y: float
    values: list[int]


def _nice_max(value: int) -> int:
    """The top of the scale: a round number at or above the biggest value."""
    if value <= 5:
        return 5
    for step in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if value <= step:
            return step
    magnitude = 10 ** (len(str(value)) - 1)
    return -(-value // magnitude) * magnitude


def stacked_columns(labels: Sequence[str], series: dict[str, Sequence[int]], *, width: int = 640, height: int = 240) -> Chart:
    """Columns, one per label (month), each stacked from the series in SERIES order."""
    left, bottom, top = AXIS_WIDTH, TICK_HEIGHT, 10
    plot_h = height - bottom - top
    count = max(len(labels), 1)
    slot = (width - left) / count
    totals = [sum(series.get(name, [0] * count)[i] for name in SERIES if name in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    bars: list[Bar] = []
    ticks: list[Tick] = []
    for i, label in enumerate(labels):
        x = left + i * slot + slot * 0.15
        base: float = top + plot_h
        for name in SERIES:
            if name not in series:
                continue
            value = series[name][i]
            if value <= 0:
                continue
            h = plot_h * value / top_value
            base -= h
            bars.append(Bar(round(x, 1), round(base, 1), round(slot * 0.7, 1), round(h, 1), value, name, label))
        ticks.append(Tick(round(left + i * slot + slot / 2, 1), height - 10, label))
    # A middle line only where it is a whole, round number (5 gets 0 and 5, not a lopsided 2).
    values = (0, top_value // 2, top_value) if top_value % 2 == 0 else (0, top_value)
    grid = [(round(top + plot_h - plot_h * v / top_value, 1), v) for v in values]
    return Chart(width, height, bars, ticks, top_value, grid)


def horizontal_bars(items: Sequence[tuple[str, int]], *, series: str = "neutral", width: int = 540, row: int = BAR_ROW) -> Chart:
    """One bar per item, longest scale first; labels sit in the table and the SVG's own text.

    540 wide, so two charts sit side by side on a laptop without being scaled down."""
    left, right = 200, 48
    height = max(len(items), 1) * row + 8
    top_value = _nice_max(max((v for _, v in items), default=0))
    bars = []
    ticks = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = (width - left - right) * value / top_value
        bars.append(Bar(left, y + 5, round(w, 1), row - 12, value, series, label))
        ticks.append(Tick(left - 8, y + row / 2 + 1, short_label(label)))
    return Chart(width, height, bars, ticks, top_value, [], left)


def short_label(label: str, limit: int = 24) -> str:
    """A label cut to fit beside a bar; the table beside the chart has it in full."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def sparkline(values: Sequence[int], *, width: int = 120, height: int = 28) -> Sparkline:
    pad = 3
    top_value = max(max(values, default=0), 1)
    count = max(len(values) - 1, 1)
    coords = [
        (round(pad + (width - 2 * pad) * i / count, 1), round(height - pad - (height - 2 * pad) * v / top_value, 1))
        for i, v in enumerate(values)
    ]
    last_x, last_y = coords[-1] if coords else (0.0, float(height))
    return Sparkline(width, height, " ".join(f"{x},{y}" for x, y in coords), last_x, last_y, list(values))
