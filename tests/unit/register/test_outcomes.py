"""Outcomes: the windows before and after an action, what a window shows under the small-number rule,
progress from baseline to target, review dates, and the dates an action takes from its status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.register.models import Action
from app.register.outcomes.goals import dates_for_status, progress_towards, review_overdue
from app.register.outcomes.measures import parse_number
from app.register.outcomes.models import OutcomeGoal
from app.register.outcomes.windows import Tally, Window, comparison_windows, summarise_window

WINDOW = Window(date(2026, 9, 1), date(2026, 10, 26), 56, 56)


def test_windows_are_equal_and_meet_at_the_action_day() -> None:
    before, after = comparison_windows(date(2026, 10, 1), 8, today=date(2026, 12, 31))
    assert (before.start, before.end) == (date(2026, 8, 6), date(2026, 9, 30))
    assert (after.start, after.end) == (date(2026, 10, 1), date(2026, 11, 25))
    assert (before.end - before.start).days + 1 == (after.end - after.start).days + 1 == 56
    assert before.complete and after.complete


def test_an_after_window_still_running_stops_at_today_and_says_how_far_it_is() -> None:
    before, after = comparison_windows(date(2026, 11, 20), 8, today=date(2026, 12, 1))
    assert before.complete and before.days_so_far == 56
    assert (after.start, after.end, after.days_so_far, after.complete) == (
        date(2026, 11, 20),
        date(2026, 12, 1),
        12,
        False,
    )


def test_an_action_that_starts_in_the_future_has_no_after_window_yet() -> None:
    _, after = comparison_windows(date(2027, 1, 10), 4, today=date(2026, 12, 1))
    assert after.days_so_far == 0 and not after.complete


def test_a_window_counts_by_kind_and_averages_the_feelings_that_were_given() -> None:
    # Three unsafe entries (two gave a feeling: 1 and 2), a safe one (5), one needing change (none).
    tallies = [Tally("unsafe", 3, 3, 2), Tally("safe", 1, 5, 1), Tally("structural", 1, 0, 0)]
    summary = summarise_window(WINDOW, tallies, k=5)
    assert not summary.hidden
    assert summary.counts == {"safe": 1, "unsafe": 3, "structural": 1}
    assert summary.total == 5
    assert summary.mean_feeling == pytest.approx(2.7)  # (1 + 2 + 5) / 3, to one decimal


def test_a_window_with_fewer_than_k_entries_shows_no_numbers() -> None:
    summary = summarise_window(WINDOW, [Tally("unsafe", 2, 2, 2), Tally("safe", 2, 9, 2)], k=5)
    assert summary.hidden
    assert summary.total == 0 and summary.mean_feeling is None and summary.count("unsafe") == 0


def test_a_window_at_exactly_k_entries_is_shown() -> None:
    summary = summarise_window(WINDOW, [Tally("safe", 3)], k=3)
    assert not summary.hidden and summary.count("safe") == 3
    assert summary.mean_feeling is None  # nobody said how it feels
    assert summarise_window(WINDOW, [], k=3).hidden


def test_progress_runs_from_baseline_to_target_either_way_and_is_clipped() -> None:
    assert progress_towards(20, 60, 40) == pytest.approx(0.5)
    assert progress_towards(30, 10, 15) == pytest.approx(0.75)  # fewer unsafe entries is the aim
    assert progress_towards(20, 60, 80) == 1.0 and progress_towards(20, 60, 5) == 0.0
    assert progress_towards(None, 60, 40) is None and progress_towards(20, 20, 20) is None


def test_numbers_are_read_as_people_type_them() -> None:
    assert (
        parse_number("35") == 35
        and parse_number(" 35.5% ") == 35.5
        and parse_number("1,200") == 1200
    )
    assert parse_number("") is None
    for bad in ("some", "nan", "inf"):
        with pytest.raises(ValueError, match=bad):
            parse_number(bad)


def test_only_open_goals_past_their_review_date_are_overdue() -> None:
    today = date(2026, 12, 1)
    assert review_overdue(
        OutcomeGoal(
            area_id=1, context_id=1, title="g", status="in_progress", review_date=date(2026, 11, 30)
        ),
        today,
    )
    assert not review_overdue(
        OutcomeGoal(area_id=1, context_id=1, title="g", status="in_progress", review_date=today),
        today,
    )
    assert not review_overdue(
        OutcomeGoal(
            area_id=1, context_id=1, title="g", status="achieved", review_date=date(2026, 1, 1)
        ),
        today,
    )
    assert not review_overdue(
        OutcomeGoal(area_id=1, context_id=1, title="g", status="not_started", review_date=None),
        today,
    )


def test_an_action_takes_its_start_and_completion_dates_from_its_status_once() -> None:
    action = Action(
        area_id=1,
        context_id=1,
        title="Youth work",
        owner_organisation="Youth Service",
        created_at=datetime(2026, 9, 1, tzinfo=UTC),
    )
    dates_for_status(action, "in_progress", date(2026, 10, 1))
    assert (action.started_on, action.completed_on) == (date(2026, 10, 1), None)
    dates_for_status(action, "done", date(2026, 11, 1))
    assert (action.started_on, action.completed_on) == (date(2026, 10, 1), date(2026, 11, 1))
    dates_for_status(action, "done", date(2026, 11, 20))  # a date already set is kept
    assert action.completed_on == date(2026, 11, 1)
    straight_to_done = Action(
        area_id=1,
        context_id=1,
        title="Lights",
        owner_organisation="Highways",
        created_at=datetime(2026, 9, 1, tzinfo=UTC),
    )
    dates_for_status(straight_to_done, "done", date(2026, 10, 5))
    assert (straight_to_done.started_on, straight_to_done.completed_on) == (
        date(2026, 9, 1),
        date(2026, 10, 5),
    )
