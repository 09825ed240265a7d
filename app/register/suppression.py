"""Small-number suppression for every count published beyond the moderators: the k rule, then secondary suppression.

Two things read it. Open data (`GET /api/v1/cells` and its CSV) and the public map publish counts
of published entries per H3 cell (`suppress`, `table_groups`); the equality view publishes tables
of reports per group, with their totals (`suppress_table`). Both apply the same two rules, with
one engine (`secondary`).

**Primary suppression (the k rule).** A figure of at least one and fewer than k (k is the area's
`min_cell_count`, 5 by default) is never published. A zero says nobody, and is not hidden.

**Secondary suppression.** Hiding a small figure is not enough when a total that includes it is
published: the total minus the figures shown gives it away. So the figures are split into
*groups*, each a set of figures whose sum someone could know. In every group that hides a figure
and is not yet safe, more figures are hidden, one at a time in a set order, until it is safe or
the whole group is hidden. Hiding a figure for one group can break another, so the rule repeats
until nothing changes; it always stops, because each round only hides figures and there are
finitely many. A group is safe when it hides nothing, or at least two figures that together
reach a given sum:

- *Open data and the map*: the groups are each cell's months (the map publishes the cell's
  all-time total) and each month's cells (an area total per month is the commonest figure to be
  asked for; nothing publishes one today, and this group keeps it safe to publish one later). The
  hidden figures of a group must add up to at least k, so subtracting the published figures from
  the group total gives only the sum of two or more hidden figures, itself at least k. Figures
  are hidden smallest first, ties broken by key, so the same data always gives the same answer.
  A zero is not a figure here (nothing to hide, nothing hidden).
- *The equality view*: a table of counts whose row totals, column totals, or both are shown
  beside it, so every total is an equation. Each line (a row with its total, a column with its
  total) is a group, and the totals are figures like the cells: a total under k is hidden as
  well. A line is safe when it does not hide exactly one entry, the rule statistical offices
  apply to published tables of counts. One more entry is hidden in a line that hides one: its
  smallest non-zero cell, else its total, and a zero only when nothing else is left (a hidden
  zero protects little).

For open data the rule is applied to the whole history of an area at once, and a date filter only
chooses which of the already-suppressed rows to return: two requests with different windows can
never be subtracted to reveal a figure that a single request hides.

What this does not defend against, said plainly:
- counts that change between two moments (a month still filling up) can be compared over time, as
  with any live statistic;
- the rule works on each figure's number of entries; the split of a published figure by kind
  (safe, unsafe, structural) is shown as it is, so the hidden months of a cell together, not any
  one of them, can be known by kind;
- a figure hidden only to protect another (never one under k) may still be worked out where it
  is alone in some other group whose total is published; it is then at least k itself.
The k rule keeps each published figure to at least k people, and the map and open data never show
times finer than a month.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
Position = tuple[int, int]  # (row, column) in a table, its totals included


def below_k(counts: Mapping[K, int], k: int) -> set[K]:
    """Primary suppression: the figures with at least one and fewer than k entries."""
    return {key for key, count in counts.items() if 0 < count < k}


def _sort_key(key: object) -> tuple[str, str]:
    return (type(key).__name__, repr(key))


def secondary(
    counts: Mapping[K, int],
    groups: Iterable[Collection[K]],
    hidden: Collection[K],
    min_hidden_sum: int,
    *,
    order: Callable[[K], tuple[object, ...]] | None = None,
) -> set[K]:
    """Hide more figures until no hidden one can be worked out from a group total (see the module doc).

    `groups` are sets of keys of `counts` whose totals may be known; keys not in `counts` are ignored.
    A group is safe when it hides nothing, or at least two figures adding up to `min_hidden_sum` or
    more (0: any two will do). The next figure to hide is the first by `order` (by default the
    smallest, ties broken by key); `order` must tell every two keys of a group apart.
    Returns every hidden key: the ones passed in and the ones added.
    """

    def smallest_first(key: K) -> tuple[object, ...]:
        return (counts[key], *_sort_key(key))

    ranked = order or smallest_first

    def is_safe(hidden_in_group: list[K]) -> bool:
        if not hidden_in_group:
            return True
        return (
            len(hidden_in_group) >= 2
            and sum(counts[key] for key in hidden_in_group) >= min_hidden_sum
        )

    result = set(hidden)
    group_list = [[key for key in group if key in counts] for group in groups]
    changed = True
    while changed:
        changed = False
        for group in group_list:
            hidden_here = [key for key in group if key in result]
            if is_safe(hidden_here):
                continue
            shown = sorted((key for key in group if key not in result), key=ranked)
            for key in shown:
                result.add(key)
                hidden_here.append(key)
                changed = True
                if is_safe(hidden_here):
                    break
    return result


def suppress(counts: Mapping[K, int], groups: Iterable[Collection[K]], k: int) -> set[K]:
    """Both rules for open data and the map: the keys never to publish. Zero counts are not figures."""
    figures = {key: count for key, count in counts.items() if count > 0}
    return secondary(figures, groups, below_k(figures, k), k)


def table_groups(keys: Iterable[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The groups of a (row, column) table: each row's figures, then each column's."""
    rows: dict[str, list[tuple[str, str]]] = {}
    columns: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(keys):
        rows.setdefault(key[0], []).append(key)
        columns.setdefault(key[1], []).append(key)
    return list(rows.values()) + list(columns.values())


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


def _lines(height: int, width: int, *, rows: bool, columns: bool) -> list[list[Position]]:
    lines: list[list[Position]] = []
    if rows:
        lines += [[(i, j) for j in range(width)] for i in range(height)]
    if columns:
        lines += [[(i, j) for i in range(height)] for j in range(width)]
    return lines


def suppress_table(
    counts: Sequence[Sequence[int]], k: int, *, rows_add_up: bool, columns_add_up: bool
) -> SuppressedTable:
    """Both rules for a table of counts published with its totals (see the module doc)."""
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
    values = {(i, j): grid[i][j] for i in range(height) for j in range(full_width)}

    def preference(position: Position) -> tuple[object, ...]:
        # A zero protects nothing (a hidden zero is soon worked out), so it is the last resort.
        i, j = position
        is_total = i == margin_row or j == margin_column
        return values[position] == 0, is_total, values[position], position

    small = below_k(values, k)
    lines = _lines(height, full_width, rows=rows_add_up, columns=columns_add_up)
    hidden = secondary(values, lines, small, min_hidden_sum=0, order=preference)

    def state(position: Position) -> Hidden:
        if position in small:
            return Hidden.SMALL
        return Hidden.PROTECTS if position in hidden else Hidden.SHOWN

    entries = [
        [Entry(grid[i][j], state((i, j))) for j in range(full_width)] for i in range(height)
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
    lines = _lines(height, width, rows=table.rows_add_up, columns=table.totals is not None)
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
