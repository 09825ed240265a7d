"""The report one question per screen, over HTTP as a browser without JavaScript sends it."""

from __future__ import annotations

import re
from typing import Any

import h3
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.reports.models import Report
from tests.factories import make_area, make_place
from tests.support import csrf_from

_STEP = re.compile(r'data-report-step="([a-z_]+)"')
_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')


def _start(client: TestClient) -> dict[str, Any]:
    page = client.get("/report")
    assert _STEP.search(page.text).group(1) == "kind"  # type: ignore[union-attr]
    return {"csrf_token": csrf_from(page.text), "submission_token": _SUBMISSION.search(page.text).group(1)}  # type: ignore[union-attr]


def _post(client: TestClient, base: dict[str, Any], step: str, go: str = "next", **answers: Any) -> tuple[str, Any]:
    response = client.post("/report", data=base | {"step": step, "go": go} | answers)
    match = _STEP.search(response.text)
    return (match.group(1) if match else "sent"), response


def test_each_screen_asks_one_thing_and_carries_the_rest(client: TestClient, session: Session) -> None:
    area = make_area(session)
    place = make_place(session, area)
    base = _start(client)
    step, page = _post(client, base, "kind", kind="structural")
    assert step == "where" and "Step 2 of 7" in page.text
    assert 'name="kind" value="structural"' in page.text  # carried as a hidden answer
    step, page = _post(client, base, "where", go="search", kind="structural", place_query="victoria")
    assert step == "where" and "Victoria Park" in page.text
    step, page = _post(client, base, "where", kind="structural", place_id=str(place.id))
    assert step == "when"
    step, page = _post(client, base, "when", kind="structural", place_id=str(place.id), time_bands=["evening", "night"])
    assert step == "what"
    assert "Nothing for young people to do" in page.text and "Fights or weapons" not in page.text  # this kind's categories
    answers = {"kind": "structural", "place_id": str(place.id), "time_bands": ["evening", "night"], "categories": ["nothing_to_do"], "description": "The youth club closed."}
    step, page = _post(client, base, "what", **answers)
    assert step == "feel"
    step, page = _post(client, base, "feel", go="back", **answers)
    assert step == "what" and "The youth club closed." in page.text
    step, page = _post(client, base, "about", **answers)
    assert step == "check" and "The youth club closed." in page.text and "Evening, Night" in page.text
    step, page = _post(client, base, "check", go="change:when", **answers)
    assert step == "when"
    step, page = _post(client, base, "check", go="send", **answers)
    assert step == "sent"
    report = session.exec(select(Report)).one()
    assert (report.kind, report.categories, report.time_bands) == ("structural", "nothing_to_do", "evening,night")


def test_a_missing_answer_keeps_the_reader_on_that_screen(client: TestClient, session: Session) -> None:
    make_area(session)
    base = _start(client)
    step, page = _post(client, base, "kind")
    assert (step, page.status_code) == ("kind", 422)
    assert "Please choose what you want to tell us about" in page.text
    step, page = _post(client, base, "where", kind="unsafe")
    assert (step, page.status_code) == ("where", 422)
    assert "Please tell us where" in page.text


def test_sending_with_an_earlier_answer_missing_goes_back_to_that_screen(client: TestClient, session: Session) -> None:
    make_area(session)
    base = _start(client)
    step, page = _post(client, base, "check", go="send", kind="unsafe", description="Dark and empty at night.")
    assert (step, page.status_code) == ("where", 422)
    assert 'value="Dark and empty at night."' in page.text  # nothing typed is lost
    assert session.exec(select(Report)).all() == []


def test_a_point_outside_the_area_is_explained_on_the_where_screen(client: TestClient, session: Session) -> None:
    make_area(session)
    base = _start(client)
    step, page = _post(client, base, "where", kind="unsafe", lat="51.5", lng="-0.12")
    assert (step, page.status_code) == ("where", 422)
    assert "outside Brackenford" in page.text


def test_place_search_answers_while_typing(client: TestClient, session: Session) -> None:
    area = make_area(session)
    make_place(session, area, "Station Road underpass", "street")
    base = _start(client)
    response = client.post("/report/places", data=base | {"place_query": "underp"}, headers={"HX-Request": "true"})
    assert "Station Road underpass" in response.text
    nothing = client.post("/report/places", data=base | {"place_query": "zzz"}, headers={"HX-Request": "true"})
    assert "No place with that name" in nothing.text


def test_me_too_only_accepts_a_context_that_was_offered(client: TestClient, session: Session) -> None:
    from app.register.models import Context

    make_area(session)
    other = make_area(session, "elsewhere")
    assert other.id is not None
    foreign = Context(area_id=other.id, name="Somewhere else")
    session.add(foreign)
    session.commit()
    base = _start(client)
    answers = {"kind": "unsafe", "location_text": "by the shops", "description": "Dark.", "me_too_context_id": str(foreign.id)}
    step, _page = _post(client, base, "check", go="send", **answers)
    assert step == "sent"
    assert session.exec(select(Report)).one().reported_context_id is None


def test_the_map_is_offered_only_with_the_areas_own_tile_server(client: TestClient, session: Session) -> None:
    area = make_area(session)
    base = _start(client)
    _step, page = _post(client, base, "kind", kind="unsafe")
    assert "data-map-picker" not in page.text
    assert "tiles.example.org" not in page.headers["content-security-policy"]
    area.tile_url = "https://tiles.example.org/{z}/{x}/{y}.png"
    session.add(area)
    session.commit()
    _step, page = _post(client, base, "kind", kind="unsafe")
    assert "data-map-picker" in page.text
    assert "img-src 'self' data: https://tiles.example.org" in page.headers["content-security-policy"]


def test_the_home_page_starts_the_report_at_its_second_question(client: TestClient, session: Session) -> None:
    make_area(session)
    home = client.get("/")
    token = _SUBMISSION.search(home.text).group(1)  # type: ignore[union-attr]
    response = client.post("/report", data={"csrf_token": csrf_from(home.text), "submission_token": token, "step": "kind", "go": "next", "kind": "safe"})
    assert _STEP.search(response.text).group(1) == "where"  # type: ignore[union-attr]


def test_me_too_offers_the_chosen_place_first(client: TestClient, session: Session) -> None:
    from app.register.models import Context
    from app.reports.models import ReportStatus
    from tests.factories import make_report

    area = make_area(session, min_cell_count=1)  # one published entry is enough to offer "me too"
    chosen = make_place(session, area, "Victoria Park", "park", 52.576, -1.986)
    assert area.id is not None
    same_cell = h3.latlng_to_cell(52.576, -1.986, area.h3_resolution)  # all of them right there too
    contexts = []
    for index, name in enumerate(["A near place", "Another near place", "B nearby", "C nearby", "D nearby", "Zebra crossing", "Victoria Park"]):
        context = Context(area_id=area.id, name=name, place_id=chosen.id if name == "Victoria Park" else None, h3_cell=None if name == "Victoria Park" else same_cell)
        session.add(context)
        session.commit()
        report = make_report(session, area, location_text=f"place {index}")
        report.status, report.context_id = ReportStatus.PUBLISHED, context.id
        session.add(report)
        session.commit()
        contexts.append(context)
    base = _start(client)
    step, page = _post(client, base, "where", kind="unsafe", place_id=str(chosen.id))
    assert step == "me_too"
    # The chosen place first, in plain words and without saying its name back; then four of the rest.
    offered = [name.strip() for name in re.findall(r"<span[^>]*>(Yes, it is [^<]+)</span>", page.text)]
    assert offered[0] == "Yes, it is the same place" and len(offered) == 5
    fieldset = page.text[page.text.index('id="field-me_too_context_id"'):page.text.index("</fieldset>")]
    assert "Victoria Park" not in fieldset and "Me too" not in fieldset
    assert "Other people have told us about places near here" in fieldset


def test_a_database_failure_keeps_every_answer_and_says_so(client: TestClient, session: Session, monkeypatch: Any) -> None:
    from sqlalchemy.exc import OperationalError

    from app.reports import service

    make_area(session)
    base = _start(client)

    def down(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "submit_report", down)
    answers = {"kind": "unsafe", "location_text": "under the bridge", "description": "Nobody about at night."}
    step, page = _post(client, base, "check", go="send", **answers)
    assert (step, page.status_code) == ("check", 503)
    assert "we could not save this just now" in page.text
    assert "Nobody about at night." in page.text and 'value="under the bridge"' in page.text
    monkeypatch.undo()
    step, _page = _post(client, base, "check", go="send", **answers)
    assert step == "sent"
    assert len(session.exec(select(Report)).all()) == 1


def test_switching_language_mid_report_keeps_every_answer(client: TestClient, session: Session) -> None:
    make_area(session)
    base = _start(client)
    answers = {"kind": "unsafe", "location_text": "behind the shops", "description": "Dark and empty."}
    response = client.post("/report", data=base | {"step": "what", "go": "language:cy"} | answers)
    assert response.status_code == 200
    assert '<html lang="cy">' in response.text and "Cam 4 o 7" in response.text
    assert "Dark and empty." in response.text and 'value="behind the shops"' in response.text
    assert response.cookies.get("sm_lang") == "cy"
    assert 'value="language:en"' in response.text  # and back again the same way


def test_the_form_asks_in_the_areas_co_designed_words(client: TestClient, session: Session) -> None:
    from app.taxonomy import service as taxonomy

    area = make_area(session)
    version = taxonomy.save_version(
        session, area, actor_id=None, kind="safe", locale="en",
        labels={"question:where": "Where is your safe place?"}, hidden={"friends"}, added=["Youth club is open"],
    )
    session.commit()
    base = _start(client)
    step, page = _post(client, base, "kind", kind="safe")
    assert step == "where" and "Where is your safe place?" in page.text
    answers = {"kind": "safe", "location_text": "the youth club", "description": "Warm and friendly."}
    step, page = _post(client, base, "when", **answers)
    assert step == "what"
    assert "Youth club is open" in page.text and "My friends are there" not in page.text
    step, _page = _post(client, base, "check", go="send", categories=["area_youth_club_is_open", "friends"], **answers)
    assert step == "sent"
    report = session.exec(select(Report)).one()
    assert report.categories == "area_youth_club_is_open"  # a hidden category is no longer offered
    assert report.taxonomy_version_id == version.id


def test_a_polish_report_switched_to_english_mid_form_keeps_every_answer(client: TestClient, session: Session) -> None:
    area = make_area(session, locales="en,pl")
    place = make_place(session, area)
    client.get("/language/pl?next=/report")
    base = _start(client)
    answers = {
        "kind": "unsafe", "place_id": str(place.id), "time_bands": "evening", "days": "weekends",
        "description": "Starsi chłopcy krzyczą przy bramie po zmroku.", "feeling": "2",
        "what_would_help": "Więcej światła.", "reporter_role": "young_person", "age_band": "14_15",
    }
    polish = client.post("/report", data=base | {"step": "about", "go": "next"} | answers)
    assert '<html lang="pl">' in polish.text and 'data-report-step="check"' in polish.text
    english = client.post("/report", data=base | {"step": "check", "go": "language:en"} | answers)
    assert english.status_code == 200 and '<html lang="en">' in english.text
    # Every answer is still there, now under English questions, and is what gets sent.
    for typed in ("Starsi chłopcy krzyczą przy bramie po zmroku.", "Więcej światła.", "Victoria Park", "Evening", "14 to 15"):
        assert typed in english.text, typed
    step, _receipt = _post(client, base, "check", go="send", **answers)
    assert step == "sent"
    report = session.exec(select(Report)).one()
    assert report.description == answers["description"] and report.what_would_help == answers["what_would_help"]
    assert (report.time_bands, report.days, report.age_band, report.feeling) == ("evening", "weekends", "14_15", 2)
