"""The reporter's journey over HTTP, as a browser without JavaScript sends it: the check screen lists
every answer with a way back to change it, long text is refused with a message and kept whole, and
each screen has its own step number on the reporter's own path."""

from __future__ import annotations

import re
from typing import Any

import h3
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.register.models import Context
from app.reports.models import Report, ReportStatus
from tests.factories import make_area, make_place, make_report
from tests.support import csrf_from

_STEP = re.compile(r'data-report-step="([a-z_]+)"')
_COUNT = re.compile(r'<p class="step-count" id="step-count">Step (\d+) of (\d+)</p>')
_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')

ANSWERS: dict[str, Any] = {
    "kind": "unsafe",
    "location_text": "the alley behind the shops",
    "time_bands": ["evening"],
    "days": ["weekends"],
    "categories": ["poor_lighting", "no_one_around"],
    "description": "Dark and empty after the shops shut.",
    "feeling": "2",
    "what_would_help": "Lights that work, and a youth worker about.",
    "reporter_role": "young_person",
    "age_band": "16_17",
    "group_name": "Brackenford Youth Forum",
    "eq_ethnicity": "black_caribbean",
    "eq_disability": "no",
    "eq_gender": "non_binary",
    "eq_sexual_orientation": "prefer_not_to_say",
}


def _start(client: TestClient) -> dict[str, Any]:
    page = client.get("/report")
    return {
        "csrf_token": csrf_from(page.text),
        "submission_token": _SUBMISSION.search(page.text).group(1),
    }  # type: ignore[union-attr]


def _post(
    client: TestClient, base: dict[str, Any], step: str, go: str = "next", **answers: Any
) -> tuple[str, Any]:
    response = client.post("/report", data=base | {"step": step, "go": go} | answers)
    match = _STEP.search(response.text)
    return (match.group(1) if match else "sent"), response


def _answers_list(html: str) -> str:
    return html[html.index('<dl class="answers">') : html.index("</dl>")]


def test_the_check_screen_lists_every_answer_with_a_change_button(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    step, page = _post(client, _start(client), "about", **ANSWERS)
    assert step == "check"
    answers = _answers_list(page.text)
    for shown in (
        "Somewhere I feel unsafe",
        "the alley behind the shops",
        "Evening",
        "Weekends",
        "Poor lighting",
        "No one around to help",
        "Dark and empty after the shops shut.",
        "A bit unsafe",
        "Lights that work, and a youth worker about.",
        "A young person",
        "16 to 17",
        "Brackenford Youth Forum",
        "Caribbean",
        "Non-binary",
        "Prefer not to say",
    ):
        assert shown in answers, shown
    assert re.search(r"<dt>Disability</dt><dd[^>]*>No</dd>", answers)
    changes = set(re.findall(r'name="go" value="change:([a-z_]+)"', answers))
    assert changes == {"kind", "where", "when", "what", "feel", "about"}


def test_change_from_the_check_screen_comes_back_to_it_keeping_everything(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    base = _start(client)
    step, page = _post(client, base, "check", go="change:feel", **ANSWERS)
    assert step == "feel" and 'name="returning" value="check"' in page.text
    assert "Lights that work, and a youth worker about." in page.text
    changed = ANSWERS | {"feeling": "1", "returning": "check"}
    step, page = _post(client, base, "feel", **changed)
    assert step == "check"  # straight back, not on to the next screen
    answers = _answers_list(page.text)
    assert (
        "Very unsafe" in answers and "Brackenford Youth Forum" in answers and "Caribbean" in answers
    )
    assert 'name="returning"' not in page.text
    # Back from a screen opened with Change also leads back to the check screen.
    step, _page = _post(client, base, "what", go="back", **(ANSWERS | {"returning": "check"}))
    assert step == "check"


def test_a_long_paste_is_refused_with_a_message_and_kept_whole(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    base = _start(client)
    pasted = ("The lights by the underpass have been broken for months. " * 90)[:5000]
    step, page = _post(client, base, "what", **(ANSWERS | {"description": pasted}))
    assert (step, page.status_code) == ("what", 422)
    assert len(pasted) == 5000
    typed = len(pasted.strip())
    assert (
        f"This is {typed:,} characters long. Please make it shorter: up to 2,000 characters."
        in page.text
    )
    textarea = re.search(r'<textarea name="description"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert textarea and textarea.group(1) == pasted.strip()  # every word is still there to shorten
    tag = textarea.group(0)[: textarea.group(0).index(">")]
    assert "maxlength" not in tag and 'aria-invalid="true"' in tag
    assert re.search(r'aria-describedby="[^"]*description-error[^"]*"', tag)
    assert 'id="description-error"' in page.text and 'href="#field-description"' in page.text
    assert session.exec(select(Report)).all() == []


def test_every_free_text_answer_is_judged_the_same_way(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    base = _start(client)
    for step, field, limit in (
        ("where", "location_text", 300),
        ("feel", "what_would_help", 1000),
        ("about", "group_name", 160),
    ):
        long_text = "x" * (limit + 25)
        shown, page = _post(client, base, step, **(ANSWERS | {field: long_text}))
        assert (shown, page.status_code) == (step, 422), field
        assert f"This is {limit + 25:,} characters long" in page.text, field
        assert f'value="{long_text}"' in page.text or f">{long_text}</textarea>" in page.text, field
        assert not re.search(rf'name="{field}"[^>]*maxlength', page.text), field
        assert f'id="{field}-error"' in page.text


def test_the_message_for_long_text_is_in_the_reporters_language(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    base = _start(client)
    client.cookies.set("sm_lang", "cy")
    _step, page = _post(client, base, "what", **(ANSWERS | {"description": "y" * 2100}))
    assert page.status_code == 422 and 'lang="cy"' in page.text
    assert "y" * 2100 in page.text


def _step_numbers(
    client: TestClient, base: dict[str, Any], place_id: int
) -> dict[str, tuple[int, int]]:
    numbers: dict[str, tuple[int, int]] = {}
    answers = ANSWERS | {"place_id": str(place_id)}
    step = "kind"
    page = client.get("/report")
    numbers[step] = tuple(map(int, _COUNT.search(page.text).groups()))  # type: ignore[union-attr]
    while step != "check":
        step, page = _post(client, base, step, **answers)
        numbers[step] = tuple(map(int, _COUNT.search(page.text).groups()))  # type: ignore[union-attr]
    return numbers


def test_each_screen_has_its_own_number_on_the_path_without_me_too(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    place = make_place(session, area)
    assert place.id is not None
    numbers = _step_numbers(client, _start(client), place.id)
    assert list(numbers) == ["kind", "where", "when", "what", "feel", "about", "check"]
    assert [n for n, _total in numbers.values()] == [1, 2, 3, 4, 5, 6, 7]
    assert {total for _n, total in numbers.values()} == {7}


def test_each_screen_has_its_own_number_on_the_path_with_me_too(
    client: TestClient, session: Session
) -> None:
    area = make_area(session, min_cell_count=1)  # one published entry is enough to offer "me too"
    place = make_place(session, area)
    assert area.id is not None and place.id is not None
    context = Context(
        area_id=area.id,
        name="Victoria Park",
        place_id=place.id,
        h3_cell=h3.latlng_to_cell(place.lat, place.lng, area.h3_resolution),
    )
    session.add(context)
    session.commit()
    earlier = make_report(session, area, place_id=place.id)
    earlier.status, earlier.context_id = ReportStatus.PUBLISHED, context.id
    session.add(earlier)
    session.commit()
    numbers = _step_numbers(client, _start(client), place.id)
    assert list(numbers) == ["kind", "where", "me_too", "when", "what", "feel", "about", "check"]
    # Once the place is chosen the reporter's path has eight screens, each with its own number.
    assert [n for n, _total in list(numbers.values())[2:]] == [3, 4, 5, 6, 7, 8]
    assert {total for _n, total in list(numbers.values())[2:]} == {8}
    assert numbers["kind"] == (1, 7) and numbers["where"][0] == 2
