"""The co-designed taxonomy: area admins change categories and wording per kind and language, as
versions; the public form reads them with fallbacks; old reports keep the words they were answered with."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.service import StaffIdentity
from app.audit.models import AuditEvent
from app.core.live import InProcessBroker
from app.reports.taxonomy import CATEGORIES
from app.taxonomy import service as taxonomy
from app.taxonomy.models import TaxonomyVersion
from app.workshops import service as workshops
from app.workshops.schemas import WordingQuestionCreate
from tests.factories import make_area, make_report, make_staff, make_workshop
from tests.support import csrf_from, sign_in


def test_an_area_that_changed_nothing_gets_the_defaults_in_each_language(session: Session) -> None:
    area = make_area(session)
    english = taxonomy.current_categories(session, area, "unsafe", "en")
    assert english == [(code, str(label)) for code, label in CATEGORIES["unsafe"].items()]
    assert taxonomy.question_wording(session, area, "unsafe", "en", "where") == "Where is it?"
    assert taxonomy.question_wording(session, area, "safe", "en", "kind_label") == "Somewhere I feel safe"
    welsh = dict(taxonomy.current_categories(session, area, "unsafe", "cy"))
    assert set(welsh) == set(CATEGORIES["unsafe"])
    assert taxonomy.current_version_id(session, area.id) is None  # type: ignore[arg-type]


def test_a_saved_change_is_a_new_version_and_old_reports_keep_their_words(session: Session) -> None:
    area = make_area(session)
    before = make_report(session, area, categories=["poor_lighting"])
    v1 = taxonomy.save_version(session, area, actor_id=None, kind="unsafe", locale="en",
                               labels={"category:poor_lighting": "Too dark to see who's there"}, note="Youth forum")
    session.commit()
    after = make_report(session, area, categories=["poor_lighting"])
    after.taxonomy_version_id = v1.id
    session.add(after)
    session.commit()
    assert dict(taxonomy.current_categories(session, area, "unsafe", "en"))["poor_lighting"] == "Too dark to see who's there"

    v2 = taxonomy.save_version(session, area, actor_id=None, kind="unsafe", locale="en", labels={"category:poor_lighting": "No lights"})
    session.commit()
    assert (v1.number, v2.number) == (1, 2)
    assert taxonomy.category_labels_for(session, before, "en") == ["Poor lighting"]
    assert taxonomy.category_labels_for(session, after, "en") == ["Too dark to see who's there"]
    assert dict(taxonomy.current_categories(session, area, "unsafe", "en"))["poor_lighting"] == "No lights"
    # Welsh was not touched, so it still has the default words.
    assert dict(taxonomy.current_categories(session, area, "unsafe", "cy"))["poor_lighting"] != "No lights"


def test_hiding_adding_and_saving_nothing_new(session: Session) -> None:
    area = make_area(session)
    taxonomy.save_version(session, area, actor_id=None, kind="safe", locale="en", labels={}, hidden={"friends"}, added=["Youth club is open"])
    session.commit()
    codes = [code for code, _label in taxonomy.current_categories(session, area, "safe", "en")]
    assert "friends" not in codes
    assert codes[-1] == "area_youth_club_is_open"
    # An added category falls back to its own words in a language nobody has written yet.
    assert dict(taxonomy.current_categories(session, area, "safe", "cy"))["area_youth_club_is_open"] == "Youth club is open"
    try:
        taxonomy.save_version(session, area, actor_id=None, kind="safe", locale="en", labels={"category:busy_well_lit": "Busy and well lit"})
    except taxonomy.NoChange:
        pass
    else:
        raise AssertionError("saving the default words again made a version")


def test_another_areas_version_is_never_read(session: Session) -> None:
    area = make_area(session)
    other = make_area(session, "elsewhere")
    theirs = taxonomy.save_version(session, other, actor_id=None, kind="unsafe", locale="en", labels={"question:where": "Their words"})
    session.commit()
    assert taxonomy.question_wording(session, area, "unsafe", "en", "where", version_id=theirs.id) == "Where is it?"


def test_admin_edits_wording_over_http_and_it_is_audited(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/taxonomy?kind=unsafe&locale=en")
    assert page.status_code == 200
    response = client.post("/staff/taxonomy", data={
        "csrf_token": csrf_from(page.text), "kind": "unsafe", "locale": "en",
        "question_where": "Where does this happen?", "label_poor_lighting": "", "hidden": ["online"], "note": "Youth forum, May",
    })
    assert response.status_code == 303
    assert "saved=1" in response.headers["location"]
    assert taxonomy.question_wording(session, area, "unsafe", "en", "where") == "Where does this happen?"
    assert "online" not in dict(taxonomy.current_categories(session, area, "unsafe", "en"))
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "taxonomy.version_created")).one()
    assert event.detail["number"] == 1 and "question:where" in event.detail["changed"]
    assert "Youth forum, May" in client.get("/staff/taxonomy").text


def test_a_refused_save_shows_the_message_and_keeps_what_was_typed(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/taxonomy?kind=unsafe&locale=en")
    response = client.post("/staff/taxonomy", data={
        "csrf_token": csrf_from(page.text), "kind": "unsafe", "locale": "en",
        "question_where": "Where does this happen?", "label_poor_lighting": "x" * 201, "hidden": ["online"], "note": "Youth forum, May",
    })
    assert response.status_code == 422
    assert "Please keep each label under 200 characters." in response.text
    assert 'value="Where does this happen?"' in response.text and 'value="Youth forum, May"' in response.text
    assert 'value="online" checked' in response.text
    assert session.exec(select(TaxonomyVersion)).first() is None


def test_only_admins_edit_the_taxonomy(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "facilitator", "moderator").email)
    assert client.get("/staff/taxonomy").status_code == 403


def test_the_room_chooses_words_and_an_admin_adopts_them(client: TestClient, session: Session, web_app: FastAPI) -> None:
    area = make_area(session)
    facilitator = make_staff(session, area, "facilitator")
    workshop = make_workshop(session, area, facilitator)
    staff = StaffIdentity(user=facilitator, area=area, roles=frozenset({"facilitator"}), session_id=0)
    broker = InProcessBroker()
    question = workshops.ask_wording(
        session, area, staff, workshop,
        WordingQuestionCreate.model_validate({"kind": "unsafe", "key": "category:adults_around_young_people", "options": "Creepy adults\nAdults who shouldn't be there"}),
        live=broker,
    )
    people = [workshops.join(session, area, workshop.join_code, session_minutes=30)[0] for _ in range(3)]
    results = workshops.wording_results(session, [question])[0]
    current, creepy, other = (option for option, _count in results.options)
    assert current.text == "Adults hanging around young people"  # the words in use now are a choice too
    workshops.answer_wording(session, people[0], question.id, creepy.id, live=broker)  # type: ignore[arg-type]
    workshops.answer_wording(session, people[1], question.id, other.id, live=broker)  # type: ignore[arg-type]
    workshops.answer_wording(session, people[2], question.id, other.id, live=broker)  # type: ignore[arg-type]
    workshops.answer_wording(session, people[2], question.id, creepy.id, live=broker)  # changed their mind: still one vote  # type: ignore[arg-type]
    result = workshops.wording_results(session, [question])[0]
    assert [count for _option, count in result.options] == [0, 2, 1]
    workshops.close_wording(session, staff, workshop, question.id, live=broker)  # type: ignore[arg-type]

    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/taxonomy")
    assert "Creepy adults" in page.text
    response = client.post(f"/staff/taxonomy/adopt/{question.id}", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert dict(taxonomy.current_categories(session, area, "unsafe", "en"))["adults_around_young_people"] == "Creepy adults"
    version = session.exec(select(TaxonomyVersion)).one()
    assert "Youth club safety mapping" in version.note
    assert f"/staff/taxonomy/adopt/{question.id}" not in client.get("/staff/taxonomy").text  # adopted once only
