from __future__ import annotations

from datetime import date

from app.areas.lookup import AreaData, Gazetteer, GazetteerPlace
from app.areas.models import Area
from app.reports.schemas import ReportStep
from app.taxonomy.service import TaxonomyWords
from app.workshops import entry_flow
from app.workshops.models import Workshop

KNOWN = AreaData(
    Area(id=1, slug="a", name="A", min_lat=52.5, min_lng=-2.1, max_lat=52.7, max_lng=-1.9),
    Gazetteer.of([GazetteerPlace(id=7, name="Victoria Park", kind="park", lat=52.576, lng=-1.986)]),
    TaxonomyWords(version_id=None, rows={}, labels={}),
)


def workshop(kinds: str = "safe,unsafe,structural") -> Workshop:
    return Workshop(
        id=1,
        area_id=1,
        title="W",
        held_on=date(2026, 12, 1),
        kinds=kinds,
        join_code="ACDEFG",
        code_expires_at=None,
    )  # type: ignore[arg-type]


def move(w: Workshop, **posted: object) -> entry_flow.Move:
    post = ReportStep.model_validate(posted)
    return entry_flow.next_move(post, entry_flow.read(post, w, KNOWN), w, KNOWN)


def test_screens_follow_in_order_and_back_goes_one_back() -> None:
    w = workshop()
    assert move(w, step="kind", go="next", kind="safe").step == "where"
    assert move(w, step="where", go="next", kind="safe", place_id="7").step == "what"
    assert (
        move(w, step="categories", go="back", kind="safe", place_id="7", description="x").step
        == "what"
    )
    assert move(w, step="check", go="change:where", kind="safe").step == "where"


def test_an_answer_missing_on_this_screen_keeps_it_on_screen() -> None:
    found = move(workshop(), step="what", go="next", kind="safe", place_id="7", description="")
    assert found.step == "what" and set(found.errors) == {"description"}
    outside = move(
        workshop(), step="where", go="next", kind="safe", place_id="99"
    )  # not the area's place
    assert outside.step == "where" and "where" in outside.errors


def test_a_whole_entry_without_a_step_is_sent_and_a_later_question_is_not_judged_early() -> None:
    sent = move(workshop(), kind="unsafe", location_text="the underpass", description="It is dark.")
    assert sent.send and not sent.errors
    early = move(
        workshop(), step="kind", go="next", kind="unsafe"
    )  # no description yet: not asked yet
    assert early.errors == {} and early.step == "where"


def test_a_kind_the_workshop_does_not_ask_about_is_refused_and_one_kind_needs_no_screen() -> None:
    assert set(move(workshop("safe,unsafe"), step="kind", go="next", kind="structural").errors) == {
        "kind"
    }
    single = workshop("safe")
    assert entry_flow.steps_for(single)[0] == "where"
    post = ReportStep.model_validate(
        {"step": "where", "categories": ["poor_lighting", "trusted_adults"]}
    )
    values = entry_flow.read(post, single, KNOWN)
    assert values["kind"] == "safe" and values["categories"] == [
        "trusted_adults"
    ]  # only this kind's
