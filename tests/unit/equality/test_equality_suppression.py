"""Small-number suppression: nothing under k is shown, and no total gives a hidden count away."""

from __future__ import annotations

import itertools
import random

import pytest

from app.equality.suppression import Hidden, recoverable, suppress


def _hidden(table: object) -> list[tuple[int, int, str]]:
    rows = table.rows + ([table.totals] if table.totals is not None else [])  # type: ignore[attr-defined]
    return [
        (i, j, e.hidden.value)
        for i, row in enumerate(rows)
        for j, e in enumerate(row)
        if not e.shown
    ]


def test_counts_under_k_are_hidden_and_zeros_are_shown() -> None:
    table = suppress([[0], [3], [7], [12]], 5, rows_add_up=False, columns_add_up=False)
    assert [row[0].hidden for row in table.rows] == [
        Hidden.SHOWN,
        Hidden.SMALL,
        Hidden.SHOWN,
        Hidden.SHOWN,
    ]


def test_one_hidden_cell_would_be_given_away_by_its_total_so_another_is_hidden() -> None:
    # Without secondary suppression: the column total 25 shown, 25 - 10 - 12 = 3 recovers the hidden 3.
    primary_only = suppress([[10], [3], [12]], 5, rows_add_up=False, columns_add_up=False)
    assert [r[0].hidden for r in primary_only.rows] == [Hidden.SHOWN, Hidden.SMALL, Hidden.SHOWN]
    table = suppress([[10], [3], [12]], 5, rows_add_up=False, columns_add_up=True)
    assert [r[0].hidden for r in table.rows] == [
        Hidden.PROTECTS,
        Hidden.SMALL,
        Hidden.SHOWN,
    ]  # the next smallest
    assert table.totals is not None and table.totals[0].shown and table.totals[0].count == 25
    assert recoverable(table) == []


def test_the_attack_works_on_a_table_hidden_without_secondary_suppression() -> None:
    # The checker really finds what subtraction gives away (so its silence below means something).
    from app.equality.suppression import Entry, SuppressedTable

    naive = SuppressedTable(
        [[Entry(10), Entry(25)], [Entry(3, Hidden.SMALL), Entry(25)]],
        [Entry(13), Entry(50)],
        rows_add_up=True,
    )
    assert recoverable(naive) == [(1, 0)]


def test_protection_cascades_across_crossing_lines() -> None:
    counts = [
        [20, 3, 15],
        [9, 30, 8],
        [12, 11, 40],
    ]
    table = suppress(counts, 5, rows_add_up=True, columns_add_up=True)
    hidden = _hidden(table)
    assert (0, 1, "small") in hidden
    # The 3's row and column each hide another entry, and those lines in turn hide one more each.
    assert table.totals is not None
    grid = [*table.rows, table.totals]
    for line in [*grid, *zip(*grid, strict=True)]:
        assert sum(not e.shown for e in line) != 1  # no row or column hides exactly one entry
    assert len(hidden) > 3  # it did cascade beyond the 3 and its two first complements
    assert recoverable(table) == []
    assert [r[-1].count for r in table.rows] == [sum(row) for row in counts]


def test_a_small_total_is_hidden_too_and_does_not_leak_through_the_grand_total() -> None:
    counts = [[2, 1], [20, 30]]  # the first row's total (3) is small as well
    table = suppress(counts, 5, rows_add_up=True, columns_add_up=True)
    assert table.rows[0][2].hidden is Hidden.SMALL
    assert recoverable(table) == []


def test_a_complement_is_a_non_zero_cell_before_a_total_and_a_total_before_a_zero() -> None:
    table = suppress([[0, 3, 0]], 5, rows_add_up=True, columns_add_up=False)
    # The row is 0, 3, 0 with total 3: the only non-zero entry left is the total, so it is hidden.
    assert [e.hidden for e in table.rows[0]] == [
        Hidden.SHOWN,
        Hidden.SMALL,
        Hidden.SHOWN,
        Hidden.SMALL,
    ]
    table = suppress([[6, 3, 0, 9]], 5, rows_add_up=True, columns_add_up=False)
    assert [e.hidden for e in table.rows[0]] == [
        Hidden.PROTECTS,
        Hidden.SMALL,
        Hidden.SHOWN,
        Hidden.SHOWN,
        Hidden.SHOWN,
    ]


@pytest.mark.parametrize("seed", range(40))
def test_no_planted_table_ever_gives_a_hidden_count_away(seed: int) -> None:
    rng = random.Random(seed)
    height, width, k = rng.randint(2, 6), rng.randint(2, 8), rng.choice([3, 5, 10])
    counts = [
        [rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15, 40]) for _ in range(width)] for _ in range(height)
    ]
    for rows_add_up, columns_add_up in itertools.product([True, False], repeat=2):
        table = suppress(counts, k, rows_add_up=rows_add_up, columns_add_up=columns_add_up)
        entries = [e for row in table.rows for e in row] + (table.totals or [])
        assert not [
            e for e in entries if 0 < e.count < k and e.shown
        ]  # primary: nothing small shows
        assert recoverable(table) == []  # secondary: no total gives one away
        assert [
            row[:width] for row in ([e.count for e in r] for r in table.rows)
        ] == counts  # the counts themselves unchanged


def test_rows_must_be_the_same_width() -> None:
    with pytest.raises(ValueError, match="same number"):
        suppress([[1, 2], [3]], 5, rows_add_up=True, columns_add_up=True)
