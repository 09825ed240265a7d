"""Small-number suppression for tables of counts, with secondary suppression.

Primary: any count from 1 to k - 1 is hidden (a zero says nobody, and is shown).
Secondary: a table's totals are published, so every total is an equation. A line (a row with its
total, or a column with its total) that hides exactly one entry gives it away by subtraction. So
while any line hides exactly one entry, one more entry of that line is hidden too: its smallest
non-zero cell, else its total, and a zero only when nothing else is left (a hidden zero protects
little). Hiding one entry can
leave a crossing line with a single hidden entry, so this repeats until every line hides none or at
least two. Totals are judged like cells: a total under k is hidden as well.

This is the rule statistical offices apply to published tables of counts ("no line with exactly
one suppressed cell"). It stops recovery by subtraction, the attack the totals invite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

Position = tuple[int, int]


class Hidden(StrEnum):
    SHOWN = ""
    SMALL = "small"  # under k: shown as "fewer than k"
    PROTECTS = "protects"  # hidden so that a small count cannot be worked out from a total


@dataclass(frozen=True)
class Entry:
    count: int
    hidden: Hidden = Hidden.SHOWN

    @property
    def shown(self) -> bool:
        return self.hidden is Hidden.SHOWN


@dataclass(frozen=True)
class SuppressedTable:
    """The counts with their margins: `rows` are the cells, then each row's total if rows add up;
    `totals` (when columns add up) is each column's total, then the grand total if rows add up too."""

    rows: list[list[Entry]]
    totals: list[Entry] | None
    rows_add_up: bool

    def row_total(self, row: int) -> Entry | None:
        return self.rows[row][-1] if self.rows_add_up else None


def suppress(
    counts: Sequence[Sequence[int]], k: int, *, rows_add_up: bool, columns_add_up: bool
) -> SuppressedTable:
    """Hide small counts in a table of counts and whatever would let a total give them away."""
    if not counts:
        return SuppressedTable([], [] if columns_add_up else None, rows_add_up)
    width = len(counts[0])
    if any(len(row) != width for row in counts):
        raise ValueError("every row needs the same number of cells")
    grid = [list(row) + ([sum(row)] if rows_add_up else []) for row in counts]
    if columns_add_up:
        grid.append([sum(column) for column in zip(*grid, strict=True)])
    height, full_width = len(grid), len(grid[0])
    margin_row = len(counts) if columns_add_up else None
    margin_column = width if rows_add_up else None

    hidden: dict[Position, Hidden] = {
        (i, j): Hidden.SMALL for i in range(height) for j in range(full_width) if 0 < grid[i][j] < k
    }
    lines: list[list[Position]] = []
    if rows_add_up:
        lines += [[(i, j) for j in range(full_width)] for i in range(height)]
    if columns_add_up:
        lines += [[(i, j) for i in range(height)] for j in range(full_width)]

    def preference(position: Position) -> tuple[bool, bool, int]:
        # A zero protects nothing (a hidden zero is soon worked out), so it is the last resort.
        i, j = position
        is_total = i == margin_row or j == margin_column
        value = grid[i][j]
        return value == 0, is_total, value

    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for position in line if position in hidden) != 1:
                continue
            candidates = [position for position in line if position not in hidden]
            if candidates:
                hidden[min(candidates, key=preference)] = Hidden.PROTECTS
                changed = True

    entries = [
        [Entry(grid[i][j], hidden.get((i, j), Hidden.SHOWN)) for j in range(full_width)]
        for i in range(height)
    ]
    totals = entries.pop() if columns_add_up else None
    return SuppressedTable(entries, totals, rows_add_up)


def recoverable(table: SuppressedTable) -> list[Position]:
    """Hidden entries that subtraction from the published totals would give away (for tests and checks).

    Repeatedly solves any line with exactly one unknown, as someone with the table and a pencil would.
    """
    grid = [list(row) for row in table.rows] + (
        [list(table.totals)] if table.totals is not None else []
    )
    known = {(i, j) for i, row in enumerate(grid) for j, entry in enumerate(row) if entry.shown}
    height, width = len(grid), len(grid[0]) if grid else 0
    lines: list[list[Position]] = []
    if table.rows_add_up:
        lines += [[(i, j) for j in range(width)] for i in range(height)]
    if table.totals is not None:
        lines += [[(i, j) for i in range(height)] for j in range(width)]
    found: list[Position] = []
    progress = True
    while progress:
        progress = False
        for line in lines:
            unknown = [position for position in line if position not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                found.append(unknown[0])
                progress = True
    return found
