"""The k rule and secondary suppression: no hidden figure can be worked out from a published total."""

from __future__ import annotations

import itertools
import random

from app.register.suppression import below_k, secondary, suppress, table_groups

K = 5


def _recoverable(
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
    assert _recoverable(counts, hidden, groups) == []


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
    assert _recoverable(counts, hidden, groups) == []


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
        assert _recoverable(figures, hidden, groups) == []  # secondary suppression


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
