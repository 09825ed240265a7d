"""Step numbers: each screen its own number, on the reporter's own path."""

from __future__ import annotations

from app.reports import flow


def test_without_me_too_there_are_seven_screens_numbered_in_order() -> None:
    path = flow.path_steps(has_me_too=False)
    assert path == ("kind", "where", "when", "what", "feel", "about", "check")
    assert [flow.position(step).number for step in path] == [1, 2, 3, 4, 5, 6, 7]
    assert {flow.position(step).total for step in path} == {7}


def test_with_me_too_it_has_its_own_number_and_the_total_counts_it() -> None:
    path = flow.path_steps(has_me_too=True)
    numbers = [flow.position(step, has_me_too=True) for step in path]
    assert [p.number for p in numbers] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert {p.total for p in numbers} == {8}
    assert flow.position("me_too") == flow.StepPosition(3, 8)  # shown only on a path that has it
    assert flow.position("where", has_me_too=True) != flow.position("me_too")
