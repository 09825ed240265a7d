"""Journey 6 over HTTP: a facilitator runs a workshop, phones join with a code, entries reach the
wall after a check, the room dot-votes, and the outcome goes to moderation, print and CSV."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.areas.models import Area
from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.reports.models import Report, ReportSource, ReportStatus
from app.workshops import service, wall
from app.workshops.events import events_after
from app.workshops.models import (
    VotingStatus,
    WallStatus,
    Workshop,
    WorkshopEntry,
    WorkshopEvent,
    WorkshopParticipant,
    WorkshopVote,
)
from tests.factories import make_area, make_staff, make_workshop
from tests.support import csrf_from, sign_in

_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')


def phone(web_app: FastAPI) -> TestClient:
    """A participant's phone: its own cookie jar."""
    return TestClient(web_app, follow_redirects=False)


def join(client: TestClient, code: str) -> None:
    page = client.get(f"/workshops/join?code={code}")
    response = client.post("/workshops/join", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/workshops/session"


def send_entry(client: TestClient, **fields: Any) -> Any:
    """A whole entry in one post (no step): judged and sent at once, as older pages and scripts do."""
    page = client.get("/workshops/session/add")
    assert page.status_code == 200, page.text[:500]
    data: dict[str, Any] = {
        "csrf_token": csrf_from(page.text),
        "submission_token": _SUBMISSION.search(page.text).group(1),  # type: ignore[union-attr]
        "kind": "unsafe",
        "location_text": "the underpass by the station",
        "description": "It is dark and people get shouted at on the way home.",
        "time_bands": ["evening"],
        "categories": ["poor_lighting"],
    } | fields
    return client.post("/workshops/session/entries", data=data)


def post(client: TestClient, path: str, page: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf_from(client.get(page).text), **data})


def fresh(session: Session, model: Any, row_id: Any) -> Any:
    """The row as the app has committed it (the test's objects are not refreshed by themselves)."""
    session.expire_all()
    return session.get(model, row_id)


def entry_of(session: Session, workshop: Workshop) -> list[WorkshopEntry]:
    return list(session.exec(select(WorkshopEntry).where(WorkshopEntry.workshop_id == workshop.id).order_by(WorkshopEntry.id)).all())  # type: ignore[arg-type]


Room = tuple[User, Workshop, TestClient]


@pytest.fixture
def room(session: Session, web_app: FastAPI) -> Room:
    """A running workshop, its facilitator, and one phone that has joined with the code."""
    area = make_area(session)
    facilitator = make_staff(session, area, "facilitator")
    workshop = make_workshop(session, area, facilitator)
    participant = phone(web_app)
    join(participant, workshop.join_code)
    return facilitator, workshop, participant


def test_entry_from_a_phone_is_an_ordinary_report_from_the_workshop(client: TestClient, session: Session, web_app: FastAPI) -> None:
    area = make_area(session)
    facilitator = make_staff(session, area, "facilitator")
    workshop = make_workshop(session, area, facilitator)
    participant = phone(web_app)
    join(participant, workshop.join_code.lower()[:3] + " " + workshop.join_code[3:])  # typed loosely still works

    response = send_entry(participant)
    assert response.status_code == 303

    report = session.exec(select(Report)).one()
    assert report.source == ReportSource.WORKSHOP
    assert report.workshop_id == workshop.id
    assert report.status == ReportStatus.PENDING  # the wall is not moderation
    assert "It is dark" in participant.get("/workshops/session").text  # they see their own entry
    sign_in(client, make_staff(session, area, "moderator").email)
    assert f"/staff/moderation/{report.id}" in client.get("/staff/moderation?source=workshop").text


def test_wrong_code_gets_a_clear_message_and_keeps_what_was_typed(client: TestClient, session: Session) -> None:
    area = make_area(session)
    make_workshop(session, area, make_staff(session, area, "facilitator"))
    page = client.get("/workshops/join")
    response = client.post("/workshops/join", data={"code": "ZZZ999", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "could not find a workshop with that code" in response.text
    assert 'value="ZZZ999"' in response.text


def test_expired_code_says_the_workshop_has_finished(client: TestClient, session: Session) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    workshop.code_expires_at = utcnow() - timedelta(minutes=1)
    session.add(workshop)
    session.commit()
    page = client.get("/workshops/join")
    response = client.post("/workshops/join", data={"code": workshop.join_code, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "has finished" in response.text


def test_an_ended_session_keeps_the_entry_and_gives_it_back_after_rejoining(client: TestClient, session: Session, web_app: FastAPI) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    participant = phone(web_app)
    join(participant, workshop.join_code)
    form = participant.get("/workshops/session/add").text
    # The session runs out while they are typing.
    for row in session.exec(select(WorkshopParticipant)).all():
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    session.commit()
    response = participant.post("/workshops/session/entries", data={
        "csrf_token": csrf_from(form), "submission_token": _SUBMISSION.search(form).group(1),  # type: ignore[union-attr]
        "kind": "unsafe", "location_text": "bus station", "description": "The shelter has no light at night.",
    })
    assert response.status_code == 401
    assert "session has ended" in response.text
    assert "The shelter has no light at night." in response.text
    assert session.exec(select(Report)).first() is None

    again = participant.post("/workshops/join", data={
        "code": workshop.join_code, "csrf_token": csrf_from(response.text), "kind": "unsafe",
        "location_text": "bus station", "description": "The shelter has no light at night.",
    })
    # Back on the check screen, with every answer, ready to send.
    assert again.status_code == 200
    assert "Check and send" in again.text
    assert "The shelter has no light at night." in again.text
    assert 'name="description" value="The shelter has no light at night."' in again.text


def test_facilitator_check_puts_redacted_words_on_the_wall(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, participant = room
    send_entry(participant, description="Text me on 07700 900123 if you see them at the underpass.")
    entry = entry_of(session, workshop)[0]

    sign_in(client, facilitator.email)
    console = client.get(f"/staff/workshops/{workshop.id}")
    assert "07700 900123" in console.text  # the facilitator sees the suggestion before deciding
    response = post(client, f"/staff/workshops/{workshop.id}/entries/{entry.id}/check", f"/staff/workshops/{workshop.id}", decision="show")
    assert response.status_code == 303

    entry = fresh(session, WorkshopEntry, entry.id)
    assert entry.wall_status == WallStatus.ON_WALL
    assert "07700" not in entry.wall_text and "[phone number removed]" in entry.wall_text
    projected = client.get(f"/staff/workshops/{workshop.id}/wall").text
    assert f'id="wall-entry-{entry.id}"' in projected and "07700" not in projected
    kinds = [e.kind for e in session.exec(select(WorkshopEvent).order_by(WorkshopEvent.seq)).all()]  # type: ignore[arg-type]
    assert kinds == ["entry_added", "entry_shown"]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "workshop.entry_checked")).first() is not None


def test_a_personal_detail_the_facilitator_ticks_to_keep_stays_on_the_wall(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, participant = room
    send_entry(participant, description="The youth hub's number is 07700 900123, they always pick up.")
    entry = entry_of(session, workshop)[0]
    sign_in(client, facilitator.email)
    console = f"/staff/workshops/{workshop.id}"
    response = post(client, f"{console}/entries/{entry.id}/check", console, decision="show", keep_description=["0", "not-a-number"])
    assert response.status_code == 303
    assert "07700 900123" in fresh(session, WorkshopEntry, entry.id).wall_text


def test_a_refused_change_shows_the_console_again_with_a_clear_message(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, _participant = room
    sign_in(client, facilitator.email)
    console = f"/staff/workshops/{workshop.id}"
    vague = post(client, f"{console}/questions", console, target="unsafe|question:where", options="")
    assert vague.status_code == 422
    assert "Please choose what to ask about and write at least one suggestion" in vague.text
    unknown = post(client, f"{console}/questions", console, target="nonsense", options="Some words")
    assert unknown.status_code == 422
    post(client, f"{console}/end", console)
    reopened = post(client, f"{console}/voting", console, voting="open")
    assert reopened.status_code == 409
    assert "This workshop has ended, so voting cannot start again." in reopened.text
    assert fresh(session, Workshop, workshop.id).voting != VotingStatus.OPEN
    not_a_walk = post(client, f"{console}/walk", console, position="1")
    assert not_a_walk.status_code == 404


def test_kept_off_the_wall_still_goes_to_moderation(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, participant = room
    send_entry(participant)
    entry = entry_of(session, workshop)[0]
    sign_in(client, facilitator.email)
    post(client, f"/staff/workshops/{workshop.id}/entries/{entry.id}/check", f"/staff/workshops/{workshop.id}", decision="hold")
    entry = fresh(session, WorkshopEntry, entry.id)
    assert entry.wall_status == WallStatus.HELD_BACK
    assert f'id="wall-entry-{entry.id}"' not in client.get(f"/staff/workshops/{workshop.id}/wall").text
    assert session.get(Report, entry.report_id).status == ReportStatus.PENDING  # type: ignore[union-attr]


def test_participant_withdraws_only_their_own_entry(client: TestClient, session: Session, web_app: FastAPI) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    alice, bea = phone(web_app), phone(web_app)
    join(alice, workshop.join_code)
    join(bea, workshop.join_code)
    send_entry(alice)
    entry = entry_of(session, workshop)[0]

    refused = post(bea, f"/workshops/session/entries/{entry.id}/withdraw", "/workshops/session")
    assert refused.status_code == 404
    assert session.get(WorkshopEntry, entry.id) is not None

    done = post(alice, f"/workshops/session/entries/{entry.id}/withdraw", "/workshops/session")
    assert done.status_code == 303
    assert session.get(WorkshopEntry, entry.id) is None
    assert session.exec(select(Report)).first() is None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "report.withdrawn")).first() is not None
    assert session.exec(select(WorkshopEvent).where(WorkshopEvent.kind == "entry_removed")).first() is not None


def _room_with_wall(client: TestClient, session: Session, web_app: FastAPI, *, entries: int, votes: int = 2) -> tuple[Workshop, list[TestClient], list[WorkshopEntry]]:
    area = make_area(session)
    facilitator = make_staff(session, area, "facilitator")
    workshop = make_workshop(session, area, facilitator, votes_per_person=votes)
    phones = [phone(web_app) for _ in range(2)]
    for p in phones:
        join(p, workshop.join_code)
    for n in range(entries):
        send_entry(phones[0], description=f"Entry number {n} about the park gates at night.")
    sign_in(client, facilitator.email)
    rows = entry_of(session, workshop)
    for entry in rows:
        post(client, f"/staff/workshops/{workshop.id}/entries/{entry.id}/check", f"/staff/workshops/{workshop.id}", decision="show")
    post(client, f"/staff/workshops/{workshop.id}/voting", f"/staff/workshops/{workshop.id}", voting="open")
    return workshop, phones, rows


def test_a_dot_counts_once_per_participant_and_taps_again_take_it_back(client: TestClient, session: Session, web_app: FastAPI) -> None:
    workshop, (alice, bea), (first, *_rest) = _room_with_wall(client, session, web_app, entries=1)
    path = f"/workshops/session/votes/{first.id}"
    assert post(alice, path, "/workshops/session").status_code == 303
    assert post(bea, path, "/workshops/session").status_code == 303
    assert wall.vote_counts(session, workshop.id) == {first.id: 2}
    # A second tap by the same person takes the dot back rather than counting twice.
    post(alice, path, "/workshops/session")
    assert wall.vote_counts(session, workshop.id) == {first.id: 1}
    assert f'<span id="votes-{first.id}" class="dots">1</span>' in client.get(f"/staff/workshops/{workshop.id}/wall").text


def test_each_person_has_only_their_dots(client: TestClient, session: Session, web_app: FastAPI) -> None:
    _workshop, (alice, _bea), rows = _room_with_wall(client, session, web_app, entries=3, votes=2)
    assert post(alice, f"/workshops/session/votes/{rows[0].id}", "/workshops/session").status_code == 303
    assert post(alice, f"/workshops/session/votes/{rows[1].id}", "/workshops/session").status_code == 303
    third = post(alice, f"/workshops/session/votes/{rows[2].id}", "/workshops/session")
    assert third.status_code == 409
    assert "used all your dots" in third.text
    assert len(session.exec(select(WorkshopVote)).all()) == 2


def test_closed_voting_refuses_dots_and_feeds_context_weighting(client: TestClient, session: Session, web_app: FastAPI) -> None:
    workshop, (alice, bea), (first, second) = _room_with_wall(client, session, web_app, entries=2)
    for p in (alice, bea):
        post(p, f"/workshops/session/votes/{first.id}", "/workshops/session")
    post(alice, f"/workshops/session/votes/{second.id}", "/workshops/session")
    # Until the facilitator closes the vote, it is not a result.
    assert wall.workshop_votes_by_context(session, workshop.area_id) == {}
    post(client, f"/staff/workshops/{workshop.id}/voting", f"/staff/workshops/{workshop.id}", voting="close")
    late = post(bea, f"/workshops/session/votes/{second.id}", "/workshops/session")
    assert late.status_code == 409 and "Voting has closed" in late.text

    from app.accounts.service import StaffIdentity
    from app.moderation import service as moderation

    area = session.get(Area, workshop.area_id)
    moderator = make_staff(session, area, "moderator")  # type: ignore[arg-type]
    identity = StaffIdentity(user=moderator, area=area, roles=frozenset({"moderator"}), session_id=0)  # type: ignore[arg-type]
    for entry, name in ((first, "Park gates"), (second, "Park gates")):
        report = session.get(Report, entry.report_id)
        context_id = None if entry is first else session.get(Report, first.report_id).context_id  # type: ignore[union-attr]
        moderation.publish(session, identity, report, expected_version=report.version, public_description="About the park gates.",  # type: ignore[union-attr, arg-type]
                           public_what_would_help="", accepted={}, context_id=context_id, new_context_name=name, show_on_map=False)
    context_id = session.get(Report, first.report_id).context_id  # type: ignore[union-attr]
    assert wall.workshop_votes_by_context(session, workshop.area_id) == {context_id: 3}
    # Another area's weighting never sees these dots.
    other = make_area(session, "elsewhere")
    assert wall.workshop_votes_by_context(session, other.id) == {}  # type: ignore[arg-type]


def test_summary_and_csv_show_only_checked_words_and_are_audited(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, participant = room
    send_entry(participant, description="Ask Jordan Smith on 07700 900123 about the gates.")
    send_entry(participant, description="Never shown on the wall: the car park.")
    first, _second = entry_of(session, workshop)
    sign_in(client, facilitator.email)
    post(client, f"/staff/workshops/{workshop.id}/entries/{first.id}/check", f"/staff/workshops/{workshop.id}", decision="show")

    summary = client.get(f"/staff/workshops/{workshop.id}/summary")
    assert summary.status_code == 200
    assert "07700" not in summary.text and "Never shown" not in summary.text
    csv_response = client.get(f"/staff/workshops/{workshop.id}/export.csv")
    assert csv_response.headers["content-type"].startswith("text/csv")
    lines = csv_response.text.strip().splitlines()
    assert lines[0].startswith("entry,kind,on_wall,dots,words_on_wall")
    assert len(lines) == 3
    assert "07700" not in csv_response.text and "Never shown" not in csv_response.text
    actions = {e.action for e in session.exec(select(AuditEvent)).all()}
    assert {"workshop.summary_viewed", "workshop.exported", "workshop.created"} <= actions


def test_staff_of_another_area_and_other_roles_cannot_reach_a_workshop(client: TestClient, session: Session) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    other = make_area(session, "elsewhere")
    sign_in(client, make_staff(session, other, "facilitator").email)
    for path in ("", "/wall", "/events", "/summary", "/export.csv", "/qr.svg"):
        assert client.get(f"/staff/workshops/{workshop.id}{path}").status_code == 404, path
    assert str(workshop.join_code) not in client.get("/staff/workshops").text

    moderator_client = TestClient(client.app, follow_redirects=False)
    sign_in(moderator_client, make_staff(session, area, "moderator").email)
    assert moderator_client.get(f"/staff/workshops/{workshop.id}").status_code == 403


def test_a_code_only_opens_workshops_of_this_area(client: TestClient, session: Session) -> None:
    make_area(session)  # the area this host serves
    other = make_area(session, "elsewhere")
    workshop = make_workshop(session, other, make_staff(session, other, "facilitator"))
    page = client.get("/workshops/join")
    response = client.post("/workshops/join", data={"code": workshop.join_code, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422


def test_facilitator_creates_a_workshop_with_a_readable_code(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "facilitator").email)
    page = client.get("/staff/workshops")
    response = client.post("/staff/workshops", data={
        "csrf_token": csrf_from(page.text), "title": "Saturday youth club", "held_on": "2026-11-28", "language": "cy",
        "kinds": ["safe", "unsafe"], "prompts": "Where do you go after school?\nWho do you trust?", "votes_per_person": "4",
    })
    assert response.status_code == 303
    workshop = session.exec(select(Workshop)).one()
    assert workshop.language == "cy" and workshop.kind_list == ["safe", "unsafe"] and workshop.votes_per_person == 4
    assert re.fullmatch(f"[{service.JOIN_ALPHABET}]{{6}}", workshop.join_code)
    assert not set("0O1I") & set(workshop.join_code)
    console = client.get(response.headers["location"])
    assert workshop.join_code[:3] + " " + workshop.join_code[3:] in console.text
    qr = client.get(f"/staff/workshops/{workshop.id}/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml") and "<svg" in qr.text


def test_create_form_explains_what_is_missing(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "facilitator").email)
    page = client.get("/staff/workshops")
    response = client.post("/staff/workshops", data={"csrf_token": csrf_from(page.text), "title": "", "held_on": "", "votes_per_person": "3"})
    assert response.status_code == 422
    assert "Please give the workshop a title." in response.text


def test_a_create_form_with_a_mistake_keeps_everything_typed(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "facilitator").email)
    page = client.get("/staff/workshops")
    response = client.post("/staff/workshops", data={
        "csrf_token": csrf_from(page.text), "title": "Youth forum: the park at night", "held_on": "2026-11-25",
        "votes_per_person": "40", "kinds": ["safe"], "prompts": "Where do you go after school?",
    })
    assert response.status_code == 422
    assert "Each person can have between 1 and 10 dots." in response.text
    assert 'value="Youth forum: the park at night"' in response.text and 'value="40"' in response.text
    assert "Where do you go after school?" in response.text
    assert re.search(r'name="kinds" value="safe"\s+checked', response.text)
    assert not re.search(r'name="kinds" value="unsafe"\s+checked', response.text)
    assert session.exec(select(Workshop)).first() is None


def test_ending_the_workshop_ends_every_phone_session(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, participant = room
    sign_in(client, facilitator.email)
    post(client, f"/staff/workshops/{workshop.id}/end", f"/staff/workshops/{workshop.id}")
    assert participant.get("/workshops/session").status_code == 401
    workshop = fresh(session, Workshop, workshop.id)
    assert workshop.ended_at is not None and workshop.voting != VotingStatus.OPEN


def test_event_numbers_follow_commits_without_gaps(session: Session, client: TestClient, web_app: FastAPI) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    participant = phone(web_app)
    join(participant, workshop.join_code)
    for n in range(4):
        send_entry(participant, description=f"Entry {n} about the bus stop.")
    seqs = [e.seq for e in session.exec(select(WorkshopEvent).order_by(WorkshopEvent.seq)).all()]  # type: ignore[arg-type]
    assert seqs == [1, 2, 3, 4]
    assert [e.seq for e in events_after(session, workshop.id, 2)] == [3, 4]


def test_the_room_answers_a_wording_question_from_their_phones(client: TestClient, session: Session, room: Room) -> None:
    facilitator, workshop, participant = room
    sign_in(client, facilitator.email)
    console = f"/staff/workshops/{workshop.id}"
    asked = post(client, f"{console}/questions", console, target="unsafe|question:where", options="Where does it happen?\nWhich place?")
    assert asked.status_code == 303
    page = participant.get("/workshops/session").text
    assert "Where does it happen?" in page and "Where is it?" in page  # the words in use now are a choice
    question_id = re.search(r'action="/workshops/session/questions/(\d+)"', page).group(1)  # type: ignore[union-attr]
    option_id = re.search(r'name="option_id" value="(\d+)"[^>]*><span dir="auto">Which place\?', page).group(1)  # type: ignore[union-attr]
    answered = participant.post(f"/workshops/session/questions/{question_id}", data={"csrf_token": csrf_from(page), "option_id": option_id})
    assert answered.status_code == 303
    assert "Which place? <strong>1</strong>" in client.get(f"{console}/wall").text.replace("</span> <strong>", " <strong>").replace('<span dir="auto">', "")
    post(client, f"{console}/questions/{question_id}/close", console)
    late = participant.post(f"/workshops/session/questions/{question_id}", data={"csrf_token": csrf_from(page), "option_id": option_id})
    assert late.status_code == 409
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "workshop.wording_closed")).first() is not None


def test_leaving_on_a_shared_phone_ends_the_session(client: TestClient, session: Session) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    join(client, workshop.join_code)
    left = post(client, "/workshops/session/leave", "/workshops/session")
    assert left.status_code == 303
    assert client.get("/workshops/session").status_code == 401
    assert all(p.expires_at <= utcnow() for p in session.exec(select(WorkshopParticipant)).all())
