"""The report's screens as functions: their order with and without the "me too" screen, what a
posted screen's answers read as, which errors each screen may show, and which published contexts
are offered as "me too" (a real session on both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from app.areas.lookup import load_area_data
from app.reports import flow
from app.reports.schemas import ReportStep
from tests import support_services
from tests.factories import make_area, make_context, make_place, make_published, make_report

WITHOUT_ME_TOO = ("kind", "where", "when", "what", "feel", "about", "check")

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def test_the_me_too_screen_is_on_the_path_only_when_it_is_offered() -> None:
    assert flow.path_steps(False) == WITHOUT_ME_TOO
    assert flow.path_steps(True) == flow.STEPS
    assert flow.STEPS.index("me_too") == flow.STEPS.index("where") + 1


@pytest.mark.parametrize("has_me_too", [False, True])
def test_next_then_back_walks_the_same_path_both_ways(has_me_too: bool) -> None:
    path = flow.path_steps(has_me_too)
    forward = [path[0]]
    while forward[-1] != "check":
        forward.append(flow.next_step(forward[-1], has_me_too))
    assert tuple(forward) == path
    backward = [path[-1]]
    while backward[-1] != "kind":
        backward.append(flow.previous_step(backward[-1], has_me_too))
    assert tuple(reversed(backward)) == path


def test_the_ends_of_the_path_stay_put() -> None:
    assert flow.previous_step("kind", True) == "kind"
    assert flow.next_step("check", True) == "check"


def test_step_numbers_count_only_the_screens_on_this_path() -> None:
    assert flow.position("when", has_me_too=False) == flow.StepPosition(3, 7)
    assert flow.position("when", has_me_too=True) == flow.StepPosition(4, 8)
    assert flow.position("me_too") == flow.StepPosition(3, 8)  # on that screen it is on the path
    assert flow.position("check") == flow.StepPosition(7, 7)


def test_reading_answers_drops_empty_list_items_and_keeps_every_field() -> None:
    post = ReportStep(step="when", go="next", kind="unsafe", time_bands=["evening", "", "night"], categories=[""], description="dark")
    values = flow.read_answers(post)
    assert values["time_bands"] == ["evening", "night"]
    assert values["categories"] == []
    assert values["description"] == "dark" and values["kind"] == "unsafe"
    assert set(flow.ANSWER_FIELDS) <= set(values) and "place_query" in values and "submission_token" in values


def _answers(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(flow.ANSWER_FIELDS, "") | {"time_bands": [], "days": [], "categories": []}
    return values | overrides


def test_only_the_screens_reached_so_far_are_judged() -> None:
    nothing = _answers()
    assert flow.validate_upto(nothing, "kind").keys() == {"kind"}
    assert flow.validate_upto(_answers(kind="unsafe"), "kind") == {}
    # Leaving "where" needs a place, a point or words; the description is not asked until "what".
    assert flow.validate_upto(_answers(kind="unsafe"), "when").keys() == {"where"}
    assert flow.validate_upto(_answers(kind="unsafe", location_text="by the shops"), "when") == {}
    errors = flow.validate_upto(_answers(kind="unsafe", location_text="by the shops"), "what")
    assert "description" in errors
    assert flow.first_step_with_errors(errors) == "what"
    assert flow.first_step_with_errors({}) == "check"


def test_an_error_goes_back_to_the_screen_that_asked_the_question() -> None:
    assert flow.first_step_with_errors({"description": "x", "feeling": "y"}) == "what"
    assert flow.first_step_with_errors({"submission_token": "x"}) == "check"
    assert flow.first_step_with_errors({"time_bands": "x", "where": "y"}) == "where"


def test_me_too_is_offered_for_published_contexts_at_or_near_the_chosen_place_only(writer: Session) -> None:
    area = make_area(writer, min_cell_count=1)  # one published entry is enough to offer "me too"
    park = make_place(writer, area)
    here = make_context(writer, area, "Victoria Park", place_id=park.id)
    make_published(writer, area, here)
    quiet = make_context(writer, area, "Bandstand")  # same cell, but nothing published there yet
    pending = make_report(writer, area)
    pending.context_id = quiet.id
    writer.add(pending)
    writer.commit()
    online = make_context(writer, area, "A group chat", kind="online", h3_cell=None)
    make_published(writer, area, online)
    known = load_area_data(writer, area)
    offered = flow.nearby_contexts(writer, known, _answers(place_id=str(park.id)))
    assert [c.id for c in offered] == [here.id]
    assert flow.same_place(offered, park) == {here.id}
    assert flow.nearby_contexts(writer, known, _answers(location_text="somewhere")) == []  # words only: nothing to be near


def test_me_too_names_a_context_only_once_k_people_have_spoken_about_it(writer: Session) -> None:
    # The map hides a cell with fewer than k entries; "me too" must not name what the map hides.
    area = make_area(writer, min_cell_count=3)
    park = make_place(writer, area)
    here = make_context(writer, area, "Victoria Park", place_id=park.id)
    make_published(writer, area, here)
    make_published(writer, area, here)
    known = load_area_data(writer, area)
    assert flow.nearby_contexts(writer, known, _answers(place_id=str(park.id))) == []
    make_published(writer, area, here)
    assert [c.id for c in flow.nearby_contexts(writer, known, _answers(place_id=str(park.id)))] == [here.id]


def test_a_me_too_answer_counts_only_for_a_context_that_was_offered(writer: Session) -> None:
    area = make_area(writer)
    offered = [make_context(writer, area, "Victoria Park")]
    other = make_context(writer, area, "Canal Walk")
    assert flow.me_too_choice({"me_too_context_id": str(offered[0].id)}, offered) == offered[0].id
    assert flow.me_too_choice({"me_too_context_id": str(other.id)}, offered) is None
    assert flow.me_too_choice({"me_too_context_id": "1 or 1=1"}, offered) is None


def test_a_place_from_another_area_or_a_point_outside_is_judged_on_the_where_screen(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    theirs = make_place(writer, other, "Northwick Market")
    known = load_area_data(writer, area)
    assert "where" in flow.check_where(known, {"place_id": str(theirs.id)})
    assert "where" in flow.check_where(known, {"lat": "51.5", "lng": "-0.12"})
    assert flow.check_where(known, {"lat": "52.576", "lng": "-1.986"}) == {}
    assert flow.chosen_cell(known, {"lat": "52.576", "lng": "-1.986"}) is not None
    assert flow.chosen_cell(known, {"lat": "north", "lng": "west"}) is None
