"""The report's step machine (app.reports.flow.report_step), without HTTP or a database.

The area's data is built in memory and the sessions are doubles that fail on any query, so these
tests also pin down which screens may touch the database: none of these do.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlmodel import Session

from app.areas.lookup import AreaData, Gazetteer, GazetteerPlace
from app.areas.models import Area
from app.reports import flow
from app.reports.schemas import ReportStep
from app.taxonomy.service import TaxonomyWords

PARK = GazetteerPlace(id=7, name="Victoria Park", kind="park", lat=52.576, lng=-1.986)
ANSWERED = {
    "kind": "unsafe", "location_text": "behind the shops", "time_bands": ["evening"], "days": ["weekends"],
    "description": "The bins overflow and the bench by the shops is broken.", "feeling": "2", "submission_token": "t" * 24,
}


class NoQueries:
    """A session double: any query fails the test; closing is recorded."""

    def __init__(self) -> None:
        self.closed = 0

    def exec(self, *_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("this screen should not query the database")

    execute = get = exec

    def close(self) -> None:
        self.closed += 1


def known() -> AreaData:
    area = Area(id=1, slug="brackenford", name="Brackenford", locales="en,cy", min_lat=52.55, min_lng=-2.05, max_lat=52.61, max_lng=-1.95)
    return AreaData(area, Gazetteer.of([PARK]), TaxonomyWords(version_id=None, rows={}, labels={}))


def run(*, csrf_ok: bool = True, may_send: bool = True, **posted: Any) -> tuple[flow.Screen, NoQueries, NoQueries, flow.StepRequest]:
    read, write = NoQueries(), NoQueries()
    request = flow.StepRequest(
        known=known(), read=cast(Session, read), write=cast(Session, write), csrf_ok=csrf_ok, may_send=lambda: may_send,
    )
    return flow.report_step(ReportStep(**posted), request), read, write, request


def test_next_moves_to_the_following_screen_and_keeps_the_answers() -> None:
    screen, *_ = run(step="kind", go="next", kind="unsafe", submission_token="t" * 24)
    assert screen.template == flow.FORM_TEMPLATE and screen.status == 200
    assert screen.context["step"] == "where"
    assert screen.context["values"]["kind"] == "unsafe"
    assert "kind" in screen.context["carry"]


def test_back_skips_the_me_too_screen_when_nothing_is_near() -> None:
    screen, *_ = run(step="when", go="back", **ANSWERED)
    assert screen.context["step"] == "where"


def test_a_missing_answer_goes_back_to_the_screen_that_asked_it() -> None:
    screen, *_ = run(step="what", go="next", **(ANSWERED | {"description": "  "}))
    assert screen.status == 422
    assert screen.context["step"] == "what" and "description" in screen.context["errors"]
    assert screen.context["values"]["location_text"] == "behind the shops"


def test_a_place_from_another_gazetteer_is_refused_on_the_where_screen() -> None:
    screen, *_ = run(step="when", go="next", **(ANSWERED | {"place_id": "999", "location_text": ""}))
    assert screen.status == 422 and screen.context["step"] == "where"
    assert "where" in screen.context["errors"]


def test_a_stale_form_shows_the_same_screen_with_every_answer() -> None:
    screen, *_ = run(csrf_ok=False, step="feel", go="next", **ANSWERED)
    assert screen.status == 400 and screen.context["step"] == "feel"
    assert "press the button once more" in screen.context["notice"]
    assert screen.context["values"]["description"].startswith("The bins overflow")


def test_switching_language_keeps_the_screen_and_remembers_the_choice() -> None:
    screen, *_ = run(step="what", go="language:cy", **ANSWERED)
    assert screen.language == "cy" and screen.context["step"] == "what"


def test_a_language_the_area_does_not_offer_is_ignored() -> None:
    screen, *_ = run(step="what", go="language:xx", **ANSWERED)
    assert screen.language is None and screen.context["step"] == "what"


def test_the_honeypot_holds_back_ordinary_words() -> None:
    screen, *_ = run(step="check", go="send", extra_details_hp="filled by a robot", **ANSWERED)
    assert screen.status == 422 and flow.HONEYPOT_FIELD in screen.context["errors"]


def test_the_rate_limit_holds_back_ordinary_words_and_keeps_them_on_screen() -> None:
    screen, *_ = run(may_send=False, step="check", go="send", **ANSWERED)
    assert screen.status == 429 and screen.context["slow_down"]
    assert screen.context["step"] == "check" and screen.context["values"]["days"] == ["weekends"]


def test_a_post_without_a_step_is_a_whole_report_sent_at_once() -> None:
    # Sent at once means judged at once: the missing description is reported on its own screen.
    screen, *_ = run(**(ANSWERED | {"description": ""}))
    assert screen.status == 422 and screen.context["step"] == "what"


def test_screens_before_send_never_touch_the_write_session_and_both_are_closed() -> None:
    for step in ("kind", "where", "when", "what", "feel", "about"):
        _screen, read, write, _request = run(step=step, go="next", **ANSWERED)
        assert read.closed and write.closed  # transactions end before the page is rendered


def test_search_lists_gazetteer_matches_in_any_case() -> None:
    screen, *_ = run(step="where", go="search", place_query="victoria", **ANSWERED)
    assert screen.context["place_results"] == [PARK]
    assert screen.context["step"] == "where"


@pytest.mark.parametrize("chosen", ["7", ""])
def test_the_chosen_place_is_shown_from_the_gazetteer(chosen: str) -> None:
    values = flow.read_answers(ReportStep(**(ANSWERED | {"place_id": chosen})))
    context = flow.screen_context(known(), "check", values, {})
    assert context["chosen_place"] == (PARK if chosen else None)
