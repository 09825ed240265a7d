"""Safety walks over HTTP: a facilitator makes a walk with a route, phones join and rate each stop as
the group moves on, notes go through triage and the facilitator's check like any entry, and when the
walk ends each rated stop is an entry on its way through moderation, with a route summary."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.areas.models import Area, Place
from app.audit.models import AuditEvent
from app.moderation.models import SafeguardingAlert
from app.reports.models import Report, ReportSource, ReportStatus
from app.workshops import stream
from app.workshops.models import (
    WalkRating,
    WalkStop,
    Workshop,
    WorkshopEntry,
    WorkshopEvent,
    WorkshopEventKind,
    WorkshopMode,
    WorkshopParticipant,
)
from tests.factories import make_area, make_place, make_staff
from tests.functional.test_workshops import fresh, join, phone, post
from tests.support import csrf_from, sign_in

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."
_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')


def create_walk(
    client: TestClient, route: str = "Victoria Park\nthe alley behind the shops", **fields: Any
) -> Any:
    page = client.get("/staff/workshops")
    data = {
        "csrf_token": csrf_from(page.text),
        "title": "Walk to school",
        "held_on": "2026-12-01",
        "votes_per_person": "3",
        "mode": "safety_walk",
        "route": route,
    } | fields
    return client.post("/staff/workshops", data=data)


def rate(participant: TestClient, stop: WalkStop, **answers: str) -> Any:
    page = participant.get("/workshops/session").text
    token = _SUBMISSION.search(page)
    data = {
        "csrf_token": csrf_from(page),
        "submission_token": token.group(1) if token else "",
    } | answers
    return participant.post(f"/workshops/session/walk/{stop.id}", data=data)


def move(client: TestClient, workshop: Workshop, position: int) -> Any:
    console = f"/staff/workshops/{workshop.id}"
    return post(client, f"{console}/walk", console, position=str(position))


Walk = tuple[User, Workshop, list[WalkStop], TestClient, TestClient]


@pytest.fixture
def walk(client: TestClient, session: Session, web_app: FastAPI) -> Walk:
    """A walk of two stops (a gazetteer place and a spot typed by name), its facilitator signed in on
    `client`, and two phones that have joined."""
    area = make_area(session)
    make_place(session, area)
    facilitator = make_staff(session, area, "facilitator")
    sign_in(client, facilitator.email)
    created = create_walk(client)
    assert created.status_code == 303, created.text[:800]
    workshop = session.exec(select(Workshop)).one()
    stops = list(session.exec(select(WalkStop).order_by(col(WalkStop.position))).all())
    phones = phone(web_app), phone(web_app)
    for p in phones:
        join(p, workshop.join_code)
    return facilitator, workshop, stops, *phones


def test_a_walk_is_made_with_its_route(session: Session, walk: Walk) -> None:
    _facilitator, workshop, stops, _alice, _bea = walk
    assert workshop.mode == WorkshopMode.SAFETY_WALK and workshop.walk_position == 0
    assert workshop.kind_list == [
        "safe",
        "unsafe",
        "structural",
    ]  # a note is whatever its stop felt like
    park = session.exec(select(Place)).first()
    assert [(s.position, s.name, s.place_id) for s in stops] == [
        (1, "Victoria Park", park.id),
        (2, "the alley behind the shops", None),
    ]


def test_a_walk_needs_stops(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "facilitator").email)
    response = create_walk(client, route="  \n ")
    assert response.status_code == 422
    assert "Please list the stops of the walk, one per line." in response.text
    assert 'value="Walk to school"' in response.text  # nothing typed is lost
    assert session.exec(select(Workshop)).first() is None


def test_the_group_moves_on_and_each_phone_rates_the_stop_it_is_at(
    client: TestClient, session: Session, walk: Walk
) -> None:
    _facilitator, workshop, (first, _second), alice, bea = walk
    waiting = alice.get("/workshops/session").text
    assert (
        "When the group sets off" in waiting and 'action="/workshops/session/walk/' not in waiting
    )
    assert rate(alice, first, lighting="1").status_code == 409  # not started: nothing to rate yet

    assert move(client, workshop, 1).status_code == 303
    page = alice.get("/workshops/session").text
    assert "Stop 1 of 2" in page and "Victoria Park" in page
    assert "Dark" in page and "Well lit" in page  # words on every scale, not only numbers
    assert (
        rate(
            alice,
            first,
            lighting="1",
            openness="2",
            visibility="1",
            people="1",
            trusted_adults="1",
            transport="3",
            feeling="2",
        ).status_code
        == 303
    )
    assert rate(bea, first, lighting="2", feeling="3").status_code == 303
    # Rating again changes this phone's answers rather than counting twice.
    assert rate(bea, first, lighting="1", feeling="2").status_code == 303
    ratings = session.exec(select(WalkRating).where(WalkRating.stop_id == first.id)).all()
    assert len(ratings) == 2 and sorted(r.lighting for r in ratings) == [1, 1]  # type: ignore[type-var]
    assert 'value="1" checked' in bea.get("/workshops/session").text  # their own answers come back

    assert move(client, workshop, 2).status_code == 303
    late = rate(alice, first, lighting="3")
    assert late.status_code == 409 and "The group has moved on" in late.text
    kinds = [
        e.kind for e in session.exec(select(WorkshopEvent).order_by(col(WorkshopEvent.seq))).all()
    ]
    assert (
        kinds.count(WorkshopEventKind.STOP_CHANGED) == 2
        and kinds.count(WorkshopEventKind.RATINGS_CHANGED) == 3
    )
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "workshop.walk_moved")).first()
        is not None
    )


def test_an_answer_off_the_scale_is_explained_and_the_rest_kept(
    client: TestClient, session: Session, walk: Walk
) -> None:
    _facilitator, workshop, (first, _second), alice, _bea = walk
    move(client, workshop, 1)
    response = rate(alice, first, lighting="7", feeling="2", note="The hedge hides the path.")
    assert response.status_code == 422
    assert 'href="#field-lighting"' in response.text and 'id="lighting-error"' in response.text
    fieldset = re.search(r'<fieldset id="field-lighting"[^>]*>', response.text).group(0)  # type: ignore[union-attr]
    assert "lighting-error" in fieldset
    assert ">The hedge hides the path.</textarea>" in response.text
    assert re.search(r'name="feeling" value="2" checked', response.text)
    assert session.exec(select(WalkRating)).first() is None
    nothing = rate(alice, first)
    assert (
        nothing.status_code == 422
        and "Please choose at least one answer, or write a note." in nothing.text
    )


def test_notes_go_through_triage_and_the_facilitators_check(
    client: TestClient, session: Session, walk: Walk
) -> None:
    _facilitator, workshop, (first, _second), alice, bea = walk
    move(client, workshop, 1)
    assert (
        rate(
            alice,
            first,
            lighting="1",
            feeling="1",
            note="Text me on 07700 900123, the lamp by the gate is out.",
        ).status_code
        == 303
    )
    assert rate(bea, first, note=DISCLOSURE).status_code == 303

    entries = list(session.exec(select(WorkshopEntry).order_by(col(WorkshopEntry.id))).all())
    assert [e.walk_stop_id for e in entries] == [first.id, first.id]
    lamp, told = (session.get(Report, e.report_id) for e in entries)
    assert lamp is not None and told is not None
    assert (
        lamp.source == ReportSource.WORKSHOP
        and lamp.status == ReportStatus.PENDING
        and lamp.kind == "unsafe"
    )
    assert lamp.place_id == first.place_id
    assert any(
        s["kind"] == "phone" for s in lamp.suggested_redactions
    )  # personal details suggested
    assert (
        told.urgent
        and session.exec(
            select(SafeguardingAlert).where(SafeguardingAlert.report_id == told.id)
        ).first()
        is not None
    )
    assert (
        "data-help-now" in bea.get("/workshops/session").text
    )  # help on their screen straight away
    console = client.get(f"/staff/workshops/{workshop.id}").text
    assert "07700 900123" in console and "May be a disclosure" in console  # waiting for the check

    entry = entries[0]
    post(
        client,
        f"/staff/workshops/{workshop.id}/entries/{entry.id}/check",
        f"/staff/workshops/{workshop.id}",
        decision="show",
    )
    assert "07700" not in fresh(session, WorkshopEntry, entry.id).wall_text


def test_the_walk_ends_as_entries_and_a_route_summary(
    client: TestClient, session: Session, walk: Walk
) -> None:
    _facilitator, workshop, (first, second), alice, bea = walk
    move(client, workshop, 1)
    rate(
        alice,
        first,
        lighting="1",
        openness="3",
        visibility="3",
        people="3",
        trusted_adults="3",
        transport="3",
        feeling="2",
    )
    rate(
        bea,
        first,
        lighting="2",
        openness="3",
        visibility="3",
        people="3",
        trusted_adults="3",
        transport="3",
        feeling="3",
        note="Too dark by the gate.",
    )
    move(client, workshop, 2)
    rate(alice, second, lighting="3", openness="1", people="2", feeling="5")
    rate(bea, second, lighting="3", openness="1", people="3", feeling="4")

    ended = post(client, f"/staff/workshops/{workshop.id}/end", f"/staff/workshops/{workshop.id}")
    assert ended.status_code == 303
    stops = [fresh(session, WalkStop, s.id) for s in (first, second)]
    made = [session.get(Report, s.report_id) for s in stops]
    assert all(r is not None for r in made)
    park, alley = made
    assert (
        park.source == ReportSource.WORKSHOP
        and park.workshop_id == workshop.id
        and park.status == ReportStatus.PENDING
    )  # type: ignore[union-attr]
    assert park.place_id == first.place_id and park.kind == "unsafe" and park.feeling == 2  # type: ignore[union-attr]
    assert "2 people rated stop 1 of 2, Victoria Park" in park.description  # type: ignore[union-attr, operator]
    assert alley.location_text == "the alley behind the shops" and alley.kind == "safe"  # type: ignore[union-attr]
    assert "Rated lowest here: Can you see around you?" in alley.description  # type: ignore[union-attr, operator]
    # Ending again does not make the stops' entries twice.
    post(client, f"/staff/workshops/{workshop.id}/end", f"/staff/workshops/{workshop.id}")
    assert (
        len(
            session.exec(
                select(Report).where(col(Report.description).like("On a safety walk%"))
            ).all()
        )
        == 2
    )

    sign_in(
        moderator := TestClient(client.app, follow_redirects=False),
        make_staff(session, session.get(Area, workshop.area_id), "moderator").email,
    )
    assert f"/staff/moderation/{park.id}" in moderator.get("/staff/moderation?source=workshop").text  # type: ignore[union-attr]

    summary = client.get(f"/staff/workshops/{workshop.id}/summary").text
    table = summary[summary.index('id="route-summary"') :]
    assert "1. Victoria Park" in table and "2. the alley behind the shops" in table
    assert "median 1.5, mean 1.5 of 3 (2)" in table  # the park's lighting
    assert table.count("Lowest here") == 2  # the park's lighting, the alley's openness
    assert f'href="/staff/moderation/{park.id}"' in table  # type: ignore[union-attr]


def test_phones_see_earlier_stops_only_with_k_ratings(
    client: TestClient, session: Session, walk: Walk
) -> None:
    _facilitator, workshop, (first, _second), alice, bea = walk
    area = session.get(Area, workshop.area_id)
    area.min_cell_count = 2  # type: ignore[union-attr]
    session.add(area)
    session.commit()
    move(client, workshop, 1)
    rate(alice, first, lighting="1")
    move(client, workshop, 2)
    page = alice.get("/workshops/session").text
    assert "Fewer than 2 people rated this stop" in page and "<strong>Dark</strong>" not in page

    move(client, workshop, 1)
    rate(bea, first, lighting="1")
    move(client, workshop, 2)
    page = alice.get("/workshops/session").text
    assert "Fewer than 2 people" not in page and "Lighting: <strong>Dark</strong>" in page


def test_the_phone_stream_carries_the_new_stop(
    client: TestClient, session: Session, walk: Walk, web_app: FastAPI
) -> None:
    _facilitator, workshop, (_first, second), _alice, _bea = walk
    move(client, workshop, 1)
    move(client, workshop, 2)
    participant = session.exec(select(WorkshopParticipant)).first()
    events = session.exec(
        select(WorkshopEvent).where(WorkshopEvent.kind == WorkshopEventKind.STOP_CHANGED)
    ).all()
    html = stream.render_phone_batch(
        web_app.state.db, workshop.id, participant.id, events, locale="en", csrf_token="t"
    )  # type: ignore[arg-type]
    assert (
        '<hx-partial hx-target="#walk-stop"' in html
        and "Stop 2 of 2" in html
        and second.name in html
    )
    console = stream.render_batch(
        web_app.state.db, workshop.id, events, view=stream.CONSOLE, locale="en", csrf_token="t"
    )  # type: ignore[arg-type]
    assert (
        '<hx-partial hx-target="#walk-status"' in console
        and "Move the group to the next stop" not in console
    )


def test_another_areas_staff_and_phones_cannot_reach_the_walk(
    client: TestClient, session: Session, walk: Walk, web_app: FastAPI
) -> None:
    _facilitator, workshop, (first, _second), _alice, _bea = walk
    session.commit()  # end the test's read, so its next write is not refused by SQLite
    other = make_area(session, "elsewhere")
    outsider = TestClient(web_app, follow_redirects=False)
    sign_in(outsider, make_staff(session, other, "facilitator").email)
    page = outsider.get("/staff/workshops").text
    refused = outsider.post(
        f"/staff/workshops/{workshop.id}/walk",
        data={"csrf_token": csrf_from(page), "position": "1"},
    )
    assert refused.status_code == 404
    assert outsider.get(f"/staff/workshops/{workshop.id}/summary").status_code == 404
    assert fresh(session, Workshop, workshop.id).walk_position == 0

    # A phone in another walk cannot rate this walk's stop.
    sign_in(client, session.get(User, workshop.created_by_id).email)  # type: ignore[union-attr]
    create_walk(client, title="Second walk", route="Somewhere else")
    second_walk = session.exec(select(Workshop).where(Workshop.title == "Second walk")).one()
    move(client, workshop, 1)
    stranger = phone(web_app)
    join(stranger, second_walk.join_code)
    assert rate(stranger, first, lighting="1").status_code == 409
    assert session.exec(select(WalkRating)).first() is None


def test_moving_the_group_needs_the_csrf_token(
    client: TestClient, session: Session, walk: Walk
) -> None:
    _facilitator, workshop, _stops, alice, _bea = walk
    assert (
        client.post(f"/staff/workshops/{workshop.id}/walk", data={"position": "1"}).status_code
        == 403
    )
    assert (
        alice.post(f"/workshops/session/walk/{_stops[0].id}", data={"lighting": "1"}).status_code
        == 403
    )
    assert fresh(session, Workshop, workshop.id).walk_position == 0


def test_a_move_to_a_stop_the_walk_does_not_have_is_explained_on_the_console(
    client: TestClient, session: Session, walk: Walk
) -> None:
    _facilitator, workshop, _stops, _alice, _bea = walk
    for position in ("3", "first", ""):
        console = f"/staff/workshops/{workshop.id}"
        refused = post(client, f"{console}/walk", console, position=position)
        assert refused.status_code == 409
        assert "There is no such stop on this walk." in refused.text
    assert fresh(session, Workshop, workshop.id).walk_position == 0
    post(client, f"/staff/workshops/{workshop.id}/end", f"/staff/workshops/{workshop.id}")
    ended = move(client, workshop, 1)
    assert ended.status_code == 409 and "This walk has ended." in ended.text
