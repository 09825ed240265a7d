"""The k rule and secondary suppression: nothing under k is shown, and no published total gives a
hidden figure away (open data and the map by groups, the equality view by tables with totals)."""

from __future__ import annotations

import itertools
import random

import pytest

from app.register.suppression import (
    Entry,
    Hidden,
    SuppressedTable,
    below_k,
    recoverable,
    secondary,
    suppress,
    suppress_table,
    table_groups,
)

K = 5


def _recoverable_from_groups(
    counts: dict[tuple[str, str], int],
    hidden: set[tuple[str, str]],
    groups: list[list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """Hidden figures someone could work out from a group's total minus its published figures: the
    ones alone among the hidden of their group, or whose group's hidden figures add up to fewer than k.
    (A group hidden whole gives nothing away: its total is itself a figure the k rule governs.)"""
    found = []
    for group in groups:
        hidden_here = [key for key in group if key in hidden]
        if not hidden_here or len(hidden_here) == len(group):
            continue
        if len(hidden_here) == 1 or sum(counts[key] for key in hidden_here) < K:
            found += hidden_here
    return found


def test_the_k_rule_hides_small_figures_and_leaves_the_rest() -> None:
    counts = {"a": 1, "b": 4, "c": 5, "d": 12}
    assert below_k(counts, K) == {"a", "b"}


def test_zero_is_not_a_figure_to_hide() -> None:
    assert below_k({"a": 0, "b": 7}, K) == set()
    assert (
        suppress({("x", "m1"): 0, ("x", "m2"): 9}, table_groups([("x", "m1"), ("x", "m2")]), K)
        == set()
    )


def test_one_hidden_cell_in_a_row_would_be_recovered_from_the_row_total() -> None:
    # A cell over four months: the map publishes its total (6 + 7 + 2 + 9 = 24). With only the 2
    # hidden, 24 - 22 gives it away, so the next smallest month is hidden too.
    counts = {
        ("cell", "2026-01"): 6,
        ("cell", "2026-02"): 7,
        ("cell", "2026-03"): 2,
        ("cell", "2026-04"): 9,
    }
    groups = [list(counts)]
    assert below_k(counts, K) == {("cell", "2026-03")}
    hidden = suppress(counts, groups, K)
    assert hidden == {("cell", "2026-03"), ("cell", "2026-01")}
    assert _recoverable_from_groups(counts, hidden, groups) == []


def test_one_hidden_cell_in_a_column_would_be_recovered_from_the_column_total() -> None:
    # One month across three cells: an area total for the month would give away the 3.
    counts = {("a", "2026-05"): 8, ("b", "2026-05"): 3, ("c", "2026-05"): 11}
    hidden = suppress(counts, table_groups(counts), K)
    assert hidden == {("b", "2026-05"), ("a", "2026-05")}


def test_two_hidden_figures_that_add_up_to_less_than_k_are_not_enough() -> None:
    # 1 and 2 hidden: the row total minus the published figures says "3 between them", a small count.
    counts = {("cell", "m1"): 1, ("cell", "m2"): 2, ("cell", "m3"): 6, ("cell", "m4"): 20}
    hidden = suppress(counts, [list(counts)], K)
    assert hidden == {("cell", "m1"), ("cell", "m2"), ("cell", "m3")}
    assert sum(counts[key] for key in hidden) >= K


def test_a_group_with_nothing_else_to_hide_is_hidden_whole() -> None:
    counts = {("cell", "m1"): 2}
    assert suppress(counts, [list(counts)], K) == {("cell", "m1")}


def test_hiding_for_a_row_can_break_a_column_and_is_followed_through() -> None:
    #          m1  m2  m3
    #   a       2   6   9     a/m1 is small; a's row then hides a/m2 (its next smallest);
    #   b       7   8  10     columns m1 and m2 then have one hidden figure each, so b/m1 and
    #   c       9  12   7     b/m2 are hidden too (the smallest left in each).
    rows = {"a": (2, 6, 9), "b": (7, 8, 10), "c": (9, 12, 7)}
    counts = {
        (cell, f"m{i + 1}"): value
        for cell, values in rows.items()
        for i, value in enumerate(values)
    }
    groups = table_groups(counts)
    hidden = suppress(counts, groups, K)
    assert hidden == {("a", "m1"), ("a", "m2"), ("b", "m1"), ("b", "m2")}
    assert _recoverable_from_groups(counts, hidden, groups) == []


def test_planted_tables_never_leave_a_recoverable_figure() -> None:
    rng = random.Random(20261201)
    for _ in range(200):
        cells = [f"c{i}" for i in range(rng.randint(1, 6))]
        months = [f"2026-{m:02d}" for m in range(1, rng.randint(2, 8))]
        counts = {
            (c, m): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 13])
            for c, m in itertools.product(cells, months)
        }
        figures = {key: value for key, value in counts.items() if value}
        groups = table_groups(figures)
        hidden = suppress(counts, groups, K)
        assert all(figures[key] >= K for key in figures if key not in hidden)  # the k rule
        assert _recoverable_from_groups(figures, hidden, groups) == []  # secondary suppression


def test_the_same_data_always_gives_the_same_answer() -> None:
    counts = {("a", "m1"): 2, ("a", "m2"): 6, ("a", "m3"): 6, ("b", "m1"): 6, ("b", "m2"): 6}
    first = suppress(counts, table_groups(counts), K)
    assert all(
        suppress(dict(reversed(list(counts.items()))), table_groups(counts), K) == first
        for _ in range(3)
    )


def test_secondary_keeps_what_was_already_hidden() -> None:
    counts = {"a": 9, "b": 9, "c": 9}
    assert secondary(counts, [["a", "b", "c"]], {"b"}, K) == {"a", "b"}


def test_a_group_is_safe_once_two_figures_are_hidden_that_reach_the_sum_asked_for() -> None:
    counts = {"a": 1, "b": 2, "c": 6, "d": 20}
    assert secondary(counts, [list(counts)], {"a"}, 0) == {"a", "b"}  # any two will do
    assert secondary(counts, [list(counts)], {"a"}, K) == {"a", "b", "c"}  # and 1 + 2 < k


def test_secondary_hides_next_whatever_comes_first_in_the_order_given() -> None:
    counts = {"a": 9, "b": 1, "c": 3}
    largest_first = secondary(counts, [list(counts)], {"b"}, 0, order=lambda key: (-counts[key], key))
    assert largest_first == {"a", "b"}
    assert secondary(counts, [list(counts)], {"b"}, 0) == {"b", "c"}


# Tables published with their totals (the equality view): each row and column with its total is a group.


def _hidden(table: SuppressedTable) -> list[tuple[int, int, str]]:
    rows = table.rows + ([table.totals] if table.totals is not None else [])
    return [
        (i, j, e.hidden.value)
        for i, row in enumerate(rows)
        for j, e in enumerate(row)
        if not e.shown
    ]


def test_counts_under_k_are_hidden_and_zeros_are_shown() -> None:
    table = suppress_table([[0], [3], [7], [12]], 5, rows_add_up=False, columns_add_up=False)
    assert [row[0].hidden for row in table.rows] == [
        Hidden.SHOWN,
        Hidden.SMALL,
        Hidden.SHOWN,
        Hidden.SHOWN,
    ]


def test_one_hidden_cell_would_be_given_away_by_its_total_so_another_is_hidden() -> None:
    # Without secondary suppression: the column total 25 shown, 25 - 10 - 12 = 3 recovers the hidden 3.
    primary_only = suppress_table([[10], [3], [12]], 5, rows_add_up=False, columns_add_up=False)
    assert [r[0].hidden for r in primary_only.rows] == [Hidden.SHOWN, Hidden.SMALL, Hidden.SHOWN]
    table = suppress_table([[10], [3], [12]], 5, rows_add_up=False, columns_add_up=True)
    assert [r[0].hidden for r in table.rows] == [
        Hidden.PROTECTS,
        Hidden.SMALL,
        Hidden.SHOWN,
    ]  # the next smallest
    assert table.totals is not None and table.totals[0].shown and table.totals[0].count == 25
    assert recoverable(table) == []


def test_the_attack_works_on_a_table_hidden_without_secondary_suppression() -> None:
    # The checker really finds what subtraction gives away (so its silence below means something).
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
    table = suppress_table(counts, 5, rows_add_up=True, columns_add_up=True)
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
    table = suppress_table(counts, 5, rows_add_up=True, columns_add_up=True)
    assert table.rows[0][2].hidden is Hidden.SMALL
    assert recoverable(table) == []


def test_a_complement_is_a_non_zero_cell_before_a_total_and_a_total_before_a_zero() -> None:
    table = suppress_table([[0, 3, 0]], 5, rows_add_up=True, columns_add_up=False)
    # The row is 0, 3, 0 with total 3: the only non-zero entry left is the total, so it is hidden.
    assert [e.hidden for e in table.rows[0]] == [
        Hidden.SHOWN,
        Hidden.SMALL,
        Hidden.SHOWN,
        Hidden.SMALL,
    ]
    table = suppress_table([[6, 3, 0, 9]], 5, rows_add_up=True, columns_add_up=False)
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
        table = suppress_table(counts, k, rows_add_up=rows_add_up, columns_add_up=columns_add_up)
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
        suppress_table([[1, 2], [3]], 5, rows_add_up=True, columns_add_up=True)
