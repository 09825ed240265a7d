"""Small-count suppression for everything the public can read: the k rule, then secondary suppression.

Open data (`GET /api/v1/cells` and its CSV) publishes counts per H3 cell and calendar month. The
public map publishes each cell's all-time counts. Both come from the same published entries, so
the figures have to be suppressed together, or one could be worked out from the other.

**Primary suppression (the k rule).** A cell-month with at least one and fewer than k entries
(k is the area's `min_cell_count`, 5 by default) is never published.

**Secondary suppression.** Hiding a small count is not enough when a total that includes it is
published elsewhere: if the map shows that a cell had 23 entries in all, and open data shows 21
of them across that cell's published months, the one hidden month had 2. So the table is split
into *groups*, each a set of figures whose sum someone could know:

- each cell's months (the map publishes the cell's all-time total);
- each month's cells (an area total per month is the commonest figure to be asked for; nothing
  publishes one today, and this group keeps it safe to publish one later).

In every group that has a hidden figure, more figures are hidden, smallest first (ties broken by
key, so the same data always gives the same answer), until the hidden figures of the group are
at least two **and** add up to at least k, or the whole group is hidden. Then subtracting the
published figures from the group total gives only the sum of two or more hidden figures, and that
sum is itself at least k, so neither a single figure nor a small sum can be recovered. Hiding a
figure for one group can break another, so the rule repeats until nothing changes; it always
stops, because each round only hides figures and there are finitely many.

The rule is applied to the whole history of an area at once, and a date filter only chooses
which of the already-suppressed rows to return: two requests with different windows can never be
subtracted to reveal a figure that a single request hides.

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

from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def below_k(counts: Mapping[K, int], k: int) -> set[K]:
    """Primary suppression: the figures with at least one and fewer than k entries."""
    return {key for key, count in counts.items() if 0 < count < k}


def _sort_key(key: object) -> tuple[str, str]:
    return (type(key).__name__, repr(key))


def _group_is_safe(counts: Mapping[K, int], hidden_in_group: list[K], k: int) -> bool:
    if not hidden_in_group:
        return True
    return len(hidden_in_group) >= 2 and sum(counts[key] for key in hidden_in_group) >= k


def secondary(
    counts: Mapping[K, int], groups: Iterable[Collection[K]], hidden: Collection[K], k: int
) -> set[K]:
    """Hide more figures until no hidden one can be worked out from a group total (see the module doc).

    `groups` are sets of keys of `counts` whose totals may be known; keys not in `counts` are ignored.
    Returns every hidden key: the ones passed in and the ones added.
    """
    result = set(hidden)
    group_list = [[key for key in group if key in counts] for group in groups]
    changed = True
    while changed:
        changed = False
        for group in group_list:
            hidden_here = [key for key in group if key in result]
            if _group_is_safe(counts, hidden_here, k):
                continue
            shown = sorted(
                (key for key in group if key not in result),
                key=lambda key: (counts[key], _sort_key(key)),
            )
            for key in shown:
                result.add(key)
                hidden_here.append(key)
                changed = True
                if _group_is_safe(counts, hidden_here, k):
                    break
    return result


def suppress(counts: Mapping[K, int], groups: Iterable[Collection[K]], k: int) -> set[K]:
    """Both rules: the keys never to publish. Zero counts are not figures (nothing to hide)."""
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
