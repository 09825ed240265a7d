"""The loop back to a reporter with no account: a moderator asks, the reporter answers on /track with
their receipt code, and the answer is triaged and moderated like a new entry. And /track says
plainly, and kindly, why a report was not published."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.areas.models import Area
from app.audit.models import AuditEvent
from app.moderation.models import RejectionReason, SafeguardingAlert
from app.register.models import Context
from app.reports.models import Report
from app.reports.questions import QuestionStatus, ReporterQuestion
from tests.factories import make_area, make_context, make_published, make_report, make_staff
from tests.support import csrf_from, sign_in

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."
QUESTION = "Which end of the park was it, near the gates or by the pond?"
WITH_PHONE = "By the pond. Text me on 07700 900123 if you need more."


@pytest.fixture
def reporter(web_app: FastAPI) -> Iterator[TestClient]:
    """The young person's own browser: no staff cookie."""
    with TestClient(web_app, follow_redirects=False) as browser:
        yield browser


def _ask(client: TestClient, report: Report, text: str = QUESTION) -> Any:
    page = client.get(f"/staff/moderation/{report.id}/questions")
    assert page.status_code == 200
    return client.post(
        f"/staff/moderation/{report.id}/questions",
        data={"question": text, "csrf_token": csrf_from(page.text)},
    )


def _track(reporter: TestClient, code: str) -> Any:
    token = csrf_from(reporter.get("/track").text)
    return reporter.post("/track", data={"code": code, "csrf_token": token})


def _answer(reporter: TestClient, code: str, text: str) -> Any:
    page = _track(reporter, code)
    question_id = re.search(r'name="question_id" value="(\d+)"', page.text)
    assert question_id, "no question on /track"
    data = {
        "code": code,
        "question_id": question_id.group(1),
        "answer": text,
        "csrf_token": csrf_from(page.text),
    }
    return reporter.post("/track/answer", data=data)


def _moderator(client: TestClient, session: Session, area: Area) -> None:
    sign_in(client, make_staff(session, area, "moderator").email)


def test_a_question_is_shown_on_track_with_its_own_code_only(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    asked = make_report(session, area)
    other = make_report(session, area)
    _moderator(client, session, area)
    response = _ask(client, asked)
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/moderation/{asked.id}#reporter-questions"

    page = _track(reporter, asked.receipt_code)
    assert page.status_code == 200
    assert (
        "Someone who checks reports has a question for you. You do not have to answer." in page.text
    )
    assert QUESTION in page.text
    assert 'name="answer"' in page.text
    elsewhere = _track(reporter, other.receipt_code)
    assert QUESTION not in elsewhere.text
    assert 'name="answer"' not in elsewhere.text

    stored = session.exec(select(ReporterQuestion)).one()
    assert stored.question == QUESTION and stored.status == QuestionStatus.OPEN
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "report.question_asked")
    ).one()
    assert event.subject_id == str(asked.id) and event.actor_id == stored.asked_by_id


def test_the_entry_page_loads_the_questions_section(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    entry = client.get(f"/staff/moderation/{report.id}").text
    assert f'hx-get="/staff/moderation/{report.id}/questions"' in entry
    assert (
        f'href="/staff/moderation/{report.id}/questions"' in entry
    )  # works without JavaScript too
    fragment = client.get(
        f"/staff/moderation/{report.id}/questions",
        headers={"HX-Request": "true", "HX-Target": "section#reporter-questions"},
    ).text
    assert "<html" not in fragment and 'name="question"' in fragment


def test_asking_needs_words_keeps_what_was_typed_and_allows_one_open_question(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    empty = _ask(client, report, "   ")
    assert empty.status_code == 422
    assert "Please write your question." in empty.text
    long_text = "Where was it? " * 50
    too_long = _ask(client, report, long_text)
    assert too_long.status_code == 422
    assert "up to 500 characters" in too_long.text
    assert long_text.strip() in too_long.text
    assert 'aria-describedby="reporter-question-hint reporter-question-error"' in too_long.text
    assert _ask(client, report).status_code == 303
    second = _ask(client, report, "And what time?")
    assert second.status_code == 422
    assert "already has a question waiting" in second.text
    assert len(session.exec(select(ReporterQuestion)).all()) == 1


def test_an_answer_with_a_possible_disclosure_shows_help_at_once_and_raises_an_alert(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    assert not report.urgent
    _moderator(client, session, area)
    _ask(client, report)
    response = _answer(reporter, report.receipt_code, DISCLOSURE)
    assert response.status_code == 200
    assert "It sounds like someone might not be safe" in response.text
    assert "0800 1111" in response.text
    assert "Thank you for your answer" in response.text
    assert DISCLOSURE not in response.text
    session.expire_all()
    stored = session.get(Report, report.id)
    assert stored is not None and stored.urgent and stored.urgency != "none"
    alert = session.exec(select(SafeguardingAlert)).one()
    assert alert.report_id == report.id
    answered = session.exec(select(ReporterQuestion)).one()
    assert answered.status == QuestionStatus.ANSWERED and answered.urgent
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "report.question_answered")
    ).one()
    assert event.detail["urgent"] is True
    assert "sister" not in str(event.detail)
    # Help stays at the top of /track afterwards, as for a report that may be a disclosure.
    assert "It sounds like someone might not be safe" in _track(reporter, report.receipt_code).text


def test_a_possible_disclosure_in_an_answer_gets_past_the_rate_limit(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    page = _track(reporter, report.receipt_code)
    question_id = re.search(r'name="question_id" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    token = csrf_from(page.text)
    for _ in range(60):
        reporter.post("/track", data={"code": "AAAA-AAAA-AAAA", "csrf_token": token})
    calm = reporter.post(
        "/track/answer",
        data={
            "code": report.receipt_code,
            "question_id": question_id,
            "answer": "By the pond.",
            "csrf_token": token,
        },
    )
    assert calm.status_code == 429
    assert "Too many tries" in calm.text
    assert 'name="answer" value="By the pond."' in calm.text  # kept for when they check again
    assert session.exec(select(ReporterQuestion)).one().status == QuestionStatus.OPEN
    urgent = reporter.post(
        "/track/answer",
        data={
            "code": report.receipt_code,
            "question_id": question_id,
            "answer": DISCLOSURE,
            "csrf_token": token,
        },
    )
    assert urgent.status_code == 200
    assert "It sounds like someone might not be safe" in urgent.text
    session.expire_all()
    assert session.exec(select(ReporterQuestion)).one().status == QuestionStatus.ANSWERED
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "report.question_answered")
    ).one()
    assert event.detail["anti_abuse_bypassed"] == ["rate_limit"]


def test_answering_needs_the_csrf_token(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    question = session.exec(select(ReporterQuestion)).one()
    _track(reporter, report.receipt_code)
    refused = reporter.post(
        "/track/answer",
        data={
            "code": report.receipt_code,
            "question_id": str(question.id),
            "answer": "By the pond.",
        },
    )
    assert refused.status_code == 403
    session.expire_all()
    assert session.exec(select(ReporterQuestion)).one().status == QuestionStatus.OPEN


def test_answering_with_a_wrong_code_tells_no_more_than_track(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    question = session.exec(select(ReporterQuestion)).one()
    token = csrf_from(reporter.get("/track").text)
    response = reporter.post(
        "/track/answer",
        data={
            "code": "AAAA-AAAA-AAAA",
            "question_id": str(question.id),
            "answer": "By the pond.",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "We could not find that code" in response.text
    assert QUESTION not in response.text
    # Another report's code with this question's id: the question is not theirs.
    other = make_report(session, area)
    mixed = reporter.post(
        "/track/answer",
        data={
            "code": other.receipt_code,
            "question_id": str(question.id),
            "answer": "By the pond.",
            "csrf_token": token,
        },
    )
    assert mixed.status_code == 409
    assert QUESTION not in mixed.text
    session.expire_all()
    assert session.exec(select(ReporterQuestion)).one().status == QuestionStatus.OPEN


def test_an_empty_answer_is_explained_and_a_long_one_is_kept(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    empty = _answer(reporter, report.receipt_code, "  ")
    assert empty.status_code == 422
    assert "you do not have to answer" in empty.text
    assert 'aria-describedby="answer-hint answer-error"' in empty.text
    long_text = "By the pond near the bench. " * 80
    too_long = _answer(reporter, report.receipt_code, long_text)
    assert too_long.status_code == 422
    assert "up to 2000 characters" in too_long.text
    assert long_text.strip() in too_long.text
    assert session.exec(select(ReporterQuestion)).one().status == QuestionStatus.OPEN


def test_personal_details_in_an_answer_are_flagged_for_the_moderator(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    done = _answer(reporter, report.receipt_code, WITH_PHONE)
    assert done.status_code == 200
    assert "07700" not in done.text
    stored = session.exec(select(ReporterQuestion)).one()
    assert any(s["kind"] == "phone" for s in stored.answer_suggested_redactions)
    page = client.get(f"/staff/moderation/{report.id}/questions").text
    assert '<mark class="pii"' in page and "07700 900123" in page
    assert "Waiting for your decision" in page
    # The note a moderator starts from already has the number taken out.
    note = re.search(r'<textarea name="public_answer"[^>]*>([^<]*)</textarea>', page)
    assert note and "07700" not in note.group(1)


def test_an_answer_moves_a_pending_entry_on_so_an_old_decision_is_stopped(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    _answer(reporter, report.receipt_code, "By the pond.")
    stale = client.post(
        f"/staff/moderation/{report.id}/reject",
        data={"csrf_token": token, "version": str(report.version), "reason": "spam"},
    )
    assert stale.status_code == 409
    assert session.get(Report, report.id).status == "pending"  # type: ignore[union-attr]


def test_an_answer_stays_out_of_the_register_and_public_pages_until_a_moderator_keeps_it(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    context = make_context(session, area)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    _answer(reporter, report.receipt_code, WITH_PHONE)
    # The entry is published (its own words only) while the answer still waits for a decision.
    published = session.get(Report, report.id)
    assert published is not None
    make_published_from(session, published, context)
    for path in (f"/staff/register/contexts/{context.id}", "/staff/register/export.csv"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "By the pond" not in page.text and "07700" not in page.text, path
    for path in ("/", "/you-said-we-did", "/map"):
        page = reporter.get(path)
        assert "By the pond" not in page.text, path
    question = session.exec(select(ReporterQuestion)).one()
    assert question.public_answer is None

    page = client.get(f"/staff/moderation/{report.id}/questions")
    typed_back = "By the pond. Text 07700 900123."
    kept = client.post(
        f"/staff/moderation/{report.id}/questions/{question.id}/accept",
        data={
            "csrf_token": csrf_from(page.text),
            "public_answer": typed_back,
            "accept_answer": ["0"],
        },
    )
    assert kept.status_code == 303
    session.expire_all()
    question = session.exec(select(ReporterQuestion)).one()
    assert question.status == QuestionStatus.ACCEPTED
    assert question.public_answer is not None and "By the pond." in question.public_answer
    assert "07700" not in question.public_answer  # an accepted redaction holds whatever is typed
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "report.answer_accepted"))
        .one()
        .detail["note_edited"]
        is True
    )
    register = client.get(f"/staff/register/contexts/{context.id}").text
    assert "07700" not in register
    # The reporter is told someone read it, never shown their words back.
    after = _track(reporter, report.receipt_code).text
    assert "has read it" in after and "By the pond" not in after


def make_published_from(session: Session, report: Report, context: Context) -> None:
    """Publish an existing report into `context` as moderation's publish does (its own words only)."""
    from app.core.types import utcnow
    from app.register import counts

    report.status = "published"
    report.public_description = report.description
    report.context_id = context.id
    report.moderated_at = utcnow()
    session.add(report)
    session.flush()
    counts.entry_published(session, report)
    session.commit()


def test_setting_an_answer_aside_keeps_nothing_from_it(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    _answer(reporter, report.receipt_code, "By the pond.")
    question = session.exec(select(ReporterQuestion)).one()
    token = csrf_from(client.get(f"/staff/moderation/{report.id}/questions").text)
    assert (
        client.post(
            f"/staff/moderation/{report.id}/questions/{question.id}/set-aside",
            data={"csrf_token": token},
        ).status_code
        == 303
    )
    twice = client.post(
        f"/staff/moderation/{report.id}/questions/{question.id}/set-aside",
        data={"csrf_token": token},
    )
    assert twice.status_code == 409
    session.expire_all()
    question = session.exec(select(ReporterQuestion)).one()
    assert question.status == QuestionStatus.SET_ASIDE and question.public_answer is None
    # With that answered, the moderator may ask again.
    assert _ask(client, report, "Was it in the evening?").status_code == 303


def test_an_answer_sent_twice_is_stored_once(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    page = _track(reporter, report.receipt_code)
    question_id = re.search(r'name="question_id" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    data = {
        "code": report.receipt_code,
        "question_id": question_id,
        "answer": "By the pond.",
        "csrf_token": csrf_from(page.text),
    }
    assert reporter.post("/track/answer", data=data).status_code == 200
    again = reporter.post("/track/answer", data=data)
    assert again.status_code == 409  # the page shows how things are: answered, no form
    assert 'name="answer"' not in again.text
    assert (
        len(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == "report.question_answered")
            ).all()
        )
        == 1
    )


def test_withdrawing_a_report_deletes_its_questions_and_answers(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    _ask(client, report)
    _answer(reporter, report.receipt_code, "By the pond.")
    token = csrf_from(reporter.get("/track").text)
    done = reporter.post(
        "/track/withdraw", data={"code": report.receipt_code, "csrf_token": token, "confirm": "yes"}
    )
    assert "has been deleted" in done.text
    session.expire_all()
    assert session.exec(select(ReporterQuestion)).all() == []


def test_no_questions_once_decided_or_taken_back(client: TestClient, session: Session) -> None:
    area = make_area(session)
    context = make_context(session, area)
    published = make_published(session, area, context)
    _moderator(client, session, area)
    refused = _ask(client, published)
    assert refused.status_code == 422
    assert "while an entry is waiting for a decision" in refused.text
    assert session.exec(select(ReporterQuestion)).all() == []


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        (RejectionReason.SPAM, "It looked like a test"),
        (RejectionReason.DUPLICATE, "Someone had already told us the same thing"),
        (RejectionReason.NOT_IN_AREA, "outside the area this site covers"),
        (RejectionReason.NOT_ABOUT_A_PLACE, "only about places"),
        (RejectionReason.IDENTIFIES_SOMEONE, "could show who someone is"),
        (RejectionReason.HANDLED_ELSEWHERE, "A safeguarding worker is dealing with it"),
    ],
)
def test_a_rejected_report_says_why_in_kind_words(
    client: TestClient, reporter: TestClient, session: Session, reason: RejectionReason, words: str
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    assert (
        client.post(
            f"/staff/moderation/{report.id}/reject",
            data={"csrf_token": token, "version": "1", "reason": reason.value},
        ).status_code
        == 303
    )
    page = _track(reporter, report.receipt_code).text
    assert "Why it was not published" in page
    assert words in page
    assert "You did nothing wrong by telling us." in page
    assert "0800 1111" in page  # the help contacts
    assert "Check again later" not in page


def test_each_status_is_said_plainly(
    client: TestClient, reporter: TestClient, session: Session
) -> None:
    area = make_area(session)
    context = make_context(session, area)
    pending = make_report(session, area)
    published = make_published(session, area, context)
    assert "Waiting to be checked" in _track(reporter, pending.receipt_code).text
    page = _track(reporter, published.receipt_code).text
    assert "added to the register" in page and "Why it was not published" not in page


def test_neither_the_question_nor_the_answer_reaches_the_log(
    client: TestClient, reporter: TestClient, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    caplog.set_level(logging.DEBUG)
    _ask(client, report, "Zebra-Quill question: which end?")
    _answer(reporter, report.receipt_code, "Zebra-Quill answer. " + DISCLOSURE)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Zebra-Quill" not in logged
    assert report.receipt_code not in logged
