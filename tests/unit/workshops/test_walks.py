from __future__ import annotations

from datetime import date
from typing import Any

from app.areas.lookup import AreaData, Gazetteer, GazetteerPlace
from app.areas.models import Area
from app.taxonomy.service import TaxonomyWords
from app.workshops import walks
from app.workshops.models import Workshop

PARK = GazetteerPlace(id=7, name="Victoria Park", kind="park", lat=52.576, lng=-1.986)


def known() -> AreaData:
    return AreaData(
        Area(id=1, slug="a", name="A"),
        Gazetteer.of([PARK]),
        TaxonomyWords(version_id=None, rows={}, labels={}),
    )


def test_a_route_uses_gazetteer_places_by_name_and_keeps_typed_spots() -> None:
    stops = walks.parse_route("victoria park\n\n  the   alley behind the shops \n", known())
    assert stops == [("Victoria Park", PARK), ("the alley behind the shops", None)]


def test_scores_off_their_scale_are_errors_and_blanks_are_skipped() -> None:
    scores, errors = walks.read_scores(
        {"lighting": "3", "feeling": "5", "people": "4", "transport": ""}
    )
    assert scores["lighting"] == 3 and scores["feeling"] == 5 and scores["transport"] is None
    assert set(errors) == {"people"}  # people is a 1 to 3 scale


def test_every_scale_has_words_for_every_answer() -> None:
    for parameter in walks.PARAMETERS:
        assert all(str(label).strip() for label in parameter.scale.values())
        assert sorted(parameter.scale) == list(range(1, parameter.top + 1))


def test_the_kind_follows_how_safe_it_felt() -> None:
    assert walks.stop_kind(1) == walks.stop_kind(2.5) == "unsafe"
    assert walks.stop_kind(3) == walks.stop_kind(None) == "structural"
    assert walks.stop_kind(3.5) == walks.stop_kind(5) == "safe"


def _score(name: str, values: list[int]) -> walks.Score:
    import statistics

    return walks.Score(
        walks.BY_NAME[name], len(values), statistics.median(values), statistics.fmean(values)
    )


def test_shares_compare_three_and_five_point_scales() -> None:
    assert _score("lighting", [1, 1]).share == 0.0
    assert _score("feeling", [5]).share == 1.0
    assert _score("lighting", [2]).share == _score("feeling", [3]).share == 0.5
    assert _score("lighting", [1, 2]).median_words == "between Dark and Some light"
    assert _score("lighting", [1, 1, 2]).median_words == "Dark"


class _FakeSession:
    """Just enough of a session for route_summary: its three reads, in order."""

    def __init__(self, stops: list[Any], ratings: list[Any], notes: list[tuple[int, int]]) -> None:
        self.answers = [stops, ratings, notes]

    def exec(self, _query: Any) -> Any:
        class Result:
            def __init__(self, rows: list[Any]) -> None:
                self.rows = rows

            def all(self) -> list[Any]:
                return self.rows

        return Result(self.answers.pop(0))


def test_the_route_summary_marks_the_lowest_rated_and_hides_stops_under_k() -> None:
    workshop = Workshop(
        id=1,
        area_id=1,
        title="Walk",
        held_on=date(2026, 12, 1),
        join_code="ACDEFG",
        code_expires_at=None,
    )  # type: ignore[arg-type]
    stops = [
        walks.WalkStop(id=10, workshop_id=1, position=1, name="Park"),
        walks.WalkStop(id=11, workshop_id=1, position=2, name="Alley"),
    ]
    ratings = [
        walks.WalkRating(
            workshop_id=1, stop_id=10, participant_id=1, lighting=1, people=3, feeling=2
        ),
        walks.WalkRating(
            workshop_id=1, stop_id=10, participant_id=2, lighting=1, people=2, feeling=4
        ),
        walks.WalkRating(workshop_id=1, stop_id=11, participant_id=1, lighting=3),
    ]
    summary = walks.route_summary(_FakeSession(stops, ratings, [(10, 1)]), workshop)  # type: ignore[arg-type]
    park, alley = summary
    assert park.ratings == 2 and park.notes == 1 and park.lowest == ("lighting",)
    lighting = next(s for s in park.scores if s.parameter.name == "lighting")
    assert (lighting.median, lighting.mean, lighting.count) == (1, 1.0, 2)
    assert alley.lowest == ()  # one thing rated: nothing to compare it with

    hidden = walks.route_summary(_FakeSession(stops, ratings, [(10, 1)]), workshop, min_count=2)  # type: ignore[arg-type]
    assert hidden[0].shown and not hidden[1].shown
    assert all(s.median is None for s in hidden[1].scores) and hidden[1].notes == 0
