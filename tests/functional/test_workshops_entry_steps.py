"""A participant's entry, one question per screen over HTTP: the area's own categories for the kind
chosen, Back that keeps every answer, errors linked to their question, and the phone's live board."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.reports.models import Report, ReportSource
from app.taxonomy import service as taxonomy
from app.workshops.models import Workshop, WorkshopEntry
from tests.factories import make_area, make_place, make_staff, make_workshop
from tests.functional.test_workshops import join, phone, post
from tests.support import csrf_from, sign_in

_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
ADDED = "Broken bus shelter"


def answers(html: str) -> list[tuple[str, str]]:
    """What the screen carries forward: its hidden inputs (earlier screens' answers), in order."""
    return [(name, value) for name, value in _HIDDEN.findall(html) if name != "csrf_token"]


def step(client: TestClient, html: str, go: str = "next", **fields: Any) -> Any:
    """Press a button on the screen in `html`, with this screen's answers in `fields`."""
    data: dict[str, list[str]] = {"csrf_token": [csrf_from(html)], "go": [go]}
    for name, value in answers(html):
        data.setdefault(name, []).append(value)
    for name, value in fields.items():
        data[name] = list(value) if isinstance(value, list) else [value]
    return client.post("/workshops/session/entries", data=data)


def heading(html: str) -> str:
    found = re.search(r'<h1 class="question-heading"[^>]*>(?:<label[^>]*>)?([^<]+)', html)
    assert found, html[:2000]
    return found.group(1).strip()


Room = tuple[User, Workshop, TestClient, Any]


@pytest.fixture
def room(session: Session, web_app: FastAPI) -> Room:
    area = make_area(session)
    place = make_place(session, area)
    # The area's co-designed words: its own category for "unsafe", and one default hidden.
    taxonomy.save_version(
        session,
        area,
        actor_id=None,
        kind="unsafe",
        locale="en",
        labels={},
        added=[ADDED],
        hidden={"online"},
    )
    session.commit()
    facilitator = make_staff(session, area, "facilitator")
    workshop = make_workshop(session, area, facilitator)
    participant = phone(web_app)
    join(participant, workshop.join_code)
    return facilitator, workshop, participant, place


def test_one_question_per_screen_with_the_areas_categories_for_the_kind_chosen(
    session: Session, room: Room
) -> None:
    _facilitator, workshop, participant, place = room
    first = participant.get("/workshops/session/add")
    assert first.status_code == 200
    assert (
        "Step 1 of 6" in first.text and heading(first.text) == "What do you want to tell us about?"
    )
    assert 'name="description"' not in first.text and 'name="categories"' not in first.text

    where = step(participant, first.text, kind="unsafe")
    assert (
        "Step 2 of 6" in where.text
        and 'name="place_id"' in where.text
        and 'name="description"' not in where.text
    )
    what = step(participant, where.text, place_id=str(place.id), location_text="by the gates")
    assert (
        "Step 3 of 6" in what.text
        and 'name="description"' in what.text
        and 'name="feeling"' in what.text
    )
    assert 'name="categories"' not in what.text

    categories = step(
        participant, what.text, description="It is dark by the gates after six.", feeling="2"
    )
    assert "Step 4 of 6" in categories.text
    offered = re.findall(r'name="categories" value="([a-z0-9_]+)"', categories.text)
    assert ADDED in categories.text  # the area's own category, for this kind
    assert (
        "Something online" not in categories.text and "online" not in offered
    )  # hidden by the area
    assert "poor_lighting" in offered
    assert "Busy and well lit" not in categories.text  # a "safe" category: not this kind's
    added_code = next(code for code in offered if code.startswith("area_"))

    more = step(participant, categories.text, categories=["poor_lighting", added_code])
    assert (
        "Step 5 of 6" in more.text
        and 'name="time_bands"' in more.text
        and 'name="what_would_help"' in more.text
    )
    check = step(
        participant, more.text, time_bands=["evening"], what_would_help="Lights that work."
    )
    assert "Step 6 of 6" in check.text and "Check and send" in check.text
    assert ADDED in check.text and "Victoria Park" in check.text

    sent = step(participant, check.text, go="send")
    assert sent.status_code == 303 and sent.headers["location"].startswith(
        "/workshops/session?sent=1"
    )
    report = session.exec(select(Report)).one()
    assert report.source == ReportSource.WORKSHOP and report.workshop_id == workshop.id
    assert set(report.category_list) == {"poor_lighting", added_code}
    assert report.place_id == place.id and report.feeling == 2 and report.time_bands == "evening"


def test_categories_follow_the_kind_chosen(room: Room) -> None:
    _facilitator, _workshop, participant, place = room
    html = participant.get("/workshops/session/add").text
    for fields in (
        {"kind": "safe"},
        {"place_id": str(place.id)},
        {"description": "The youth club staff always say hello."},
    ):
        html = step(participant, html, **fields).text
    offered = re.findall(r'name="categories" value="([a-z0-9_]+)"', html)
    assert "trusted_adults" in offered and "poor_lighting" not in offered and ADDED not in html


def test_back_keeps_every_answer(room: Room) -> None:
    _facilitator, _workshop, participant, place = room
    html = participant.get("/workshops/session/add").text
    html = step(participant, html, kind="unsafe").text
    html = step(participant, html, place_id=str(place.id), location_text="by the gates").text
    words = "It is dark by the gates after six."
    categories = step(participant, html, description=words, feeling="2").text

    back = step(participant, categories, go="back", categories=["poor_lighting"])
    assert heading(back.text) == "Tell us in your own words"
    assert f">{words}</textarea>" in back.text
    assert re.search(r'value="2" checked', back.text)
    assert ("categories", "poor_lighting") in answers(
        back.text
    )  # the next screen's choice travels too
    back_again = step(participant, back.text, go="back", description=words, feeling="2")
    assert (
        f'<option value="{place.id}" selected>' in back_again.text
        and 'value="by the gates"' in back_again.text
    )
    assert ("description", words) in answers(back_again.text)
    first = step(
        participant,
        back_again.text,
        go="back",
        place_id=str(place.id),
        location_text="by the gates",
    )
    assert re.search(r'value="unsafe" checked', first.text)


def test_a_missing_answer_is_linked_to_its_question_and_nothing_typed_is_lost(room: Room) -> None:
    _facilitator, _workshop, participant, _place = room
    html = participant.get("/workshops/session/add").text
    html = step(participant, html, kind="unsafe").text
    html = step(participant, html, location_text="the underpass").text
    wrong = step(participant, html, description="   ", feeling="3")
    assert wrong.status_code == 422
    assert heading(wrong.text) == "Tell us in your own words"
    # The summary links to the question; the question names its hint and its error.
    assert 'href="#field-description"' in wrong.text
    assert 'id="description-error"' in wrong.text
    textarea = re.search(r"<textarea[^>]*name=\"description\"[^>]*>", wrong.text).group(0)  # type: ignore[union-attr]
    assert 'id="field-description"' in textarea
    assert (
        'aria-describedby="description-hint description-error"' in textarea
        and 'aria-invalid="true"' in textarea
    )
    assert re.search(r'value="3" checked', wrong.text)  # the feeling chosen is still chosen
    assert ("location_text", "the underpass") in answers(wrong.text)

    too_long = step(participant, html, description="a" * 2001)
    assert too_long.status_code == 422 and "Please make it shorter" in too_long.text
    assert ">" + "a" * 2001 + "</textarea>" in too_long.text  # all of it, not cut short


def test_no_place_asks_for_one_on_its_own_screen(room: Room) -> None:
    _facilitator, _workshop, participant, _place = room
    html = step(participant, participant.get("/workshops/session/add").text, kind="unsafe").text
    missing = step(participant, html)
    assert missing.status_code == 422 and "Step 2 of 6" in missing.text
    fieldset = re.search(r'<fieldset id="field-where"[^>]*>', missing.text).group(0)  # type: ignore[union-attr]
    assert "where-error" in fieldset and 'id="where-error"' in missing.text


def test_a_workshop_asking_about_one_kind_starts_at_where(
    session: Session, web_app: FastAPI
) -> None:
    area = make_area(session)
    workshop = make_workshop(
        session, area, make_staff(session, area, "facilitator"), kinds=["safe"]
    )
    participant = phone(web_app)
    join(participant, workshop.join_code)
    first = participant.get("/workshops/session/add").text
    assert (
        "Step 1 of 5" in first
        and 'name="location_text"' in first
        and 'type="radio" name="kind"' not in first
    )


def test_the_workshop_csv_names_the_place(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, participant, place = room
    html = participant.get("/workshops/session/add").text
    for fields in (
        {"kind": "unsafe"},
        {"place_id": str(place.id)},
        {"description": '=HYPERLINK("x") dark gates'},
        {},
        {},
    ):
        html = step(participant, html, **fields).text
    assert step(participant, html, go="send").status_code == 303
    place.name = "=Victoria Park"  # a name that would run as a formula must not
    session.add(place)
    session.commit()
    sign_in(client, facilitator.email)
    entry = session.exec(select(WorkshopEntry)).one()
    post(
        client,
        f"/staff/workshops/{workshop.id}/entries/{entry.id}/check",
        f"/staff/workshops/{workshop.id}",
        decision="show",
    )
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/staff/workshops/{workshop.id}/export.csv").text))
    )
    assert rows[0]["place"] == "'=Victoria Park"
    assert rows[0]["h3_cell"] == session.get(Report, entry.report_id).h3_cell  # type: ignore[union-attr]
    assert rows[0]["words_on_wall"].startswith("'=")


def test_the_phone_page_streams_the_board_instead_of_polling(room: Room) -> None:
    _facilitator, workshop, participant, _place = room
    page = participant.get("/workshops/session").text
    assert 'hx-trigger="every 10s"' not in page
    assert f'data-sse-connect="/workshops/session/events?after={workshop.event_seq}"' in page
    assert 'class="public workshop-page"' in page  # the scoped scroll padding under the exit bar
    # A phone whose session has gone gets no stream (204 tells EventSource to stop).
    stranger = TestClient(participant.app)
    assert stranger.get("/workshops/session/events").status_code == 204


def test_switching_language_mid_entry_keeps_every_answer(room: Room) -> None:
    _facilitator, _workshop, participant, place = room
    html = step(participant, participant.get("/workshops/session/add").text, kind="unsafe").text
    assert (
        'form="workshop-entry" name="go" value="language:cy"' in html
    )  # a button of the form, not a link
    welsh = step(
        participant, html, go="language:cy", place_id=str(place.id), location_text="by the gates"
    )
    assert welsh.status_code == 200 and 'lang="cy"' in welsh.text
    assert 'data-workshop-step="where"' in welsh.text  # the same screen
    assert (
        'value="by the gates"' in welsh.text
        and f'<option value="{place.id}" selected>' in welsh.text
    )
    assert welsh.cookies.get("sm_lang") == "cy"


def test_the_phone_stream_sends_this_phones_own_board(
    client: TestClient, session: Session, room: Room, web_app: FastAPI
) -> None:
    from app.workshops import stream
    from app.workshops.models import WorkshopEvent, WorkshopParticipant

    facilitator, workshop, participant, place = room
    html = participant.get("/workshops/session/add").text
    for fields in (
        {"kind": "unsafe"},
        {"place_id": str(place.id)},
        {"description": "Dark gates."},
        {},
        {},
    ):
        html = step(participant, html, **fields).text
    step(participant, html, go="send")
    sign_in(client, facilitator.email)
    console = f"/staff/workshops/{workshop.id}"
    entry = session.exec(select(WorkshopEntry)).one()
    post(client, f"{console}/entries/{entry.id}/check", console, decision="show")
    post(client, f"{console}/voting", console, voting="open")
    events = session.exec(select(WorkshopEvent).order_by(WorkshopEvent.seq)).all()  # type: ignore[arg-type]
    me = session.exec(select(WorkshopParticipant)).one()
    pushed = stream.render_phone_batch(
        web_app.state.db, workshop.id, me.id, events, locale="en", csrf_token="t"
    )  # type: ignore[arg-type]
    assert '<hx-partial hx-target="#board" hx-swap="innerHTML">' in pushed
    assert (
        "You have 3 dots left." in pushed and "Put a dot here" in pushed and "Dark gates." in pushed
    )
    # Only the entry being added (not yet on the wall) changes nothing a phone shows.
    added = [e for e in events if e.kind == "entry_added"]
    assert (
        stream.render_phone_batch(
            web_app.state.db, workshop.id, me.id, added, locale="en", csrf_token="t"
        ).strip()
        == ""
    )  # type: ignore[arg-type]
