"""The rules of questions to reporters: who may ask when, how an answer is triaged, and what a
moderator's decision keeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from app.accounts.service import StaffIdentity
from app.areas.lookup import load_area_data
from app.areas.models import Area
from app.core.db import Database
from app.core.types import utcnow
from app.moderation.models import SafeguardingAlert
from app.moderation.triage import Span
from app.reports import questions
from app.reports.models import Report
from app.reports.questions import QuestionError, QuestionStatus, ReporterQuestion
from tests.factories import make_area, make_report, make_staff


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A plain session, as a request has: the shared test session would end a transaction between
    the service's own statements."""
    with Session(db.engine, expire_on_commit=False) as plain:
        yield plain


DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."


def _moderator(session: Session, area: Area) -> StaffIdentity:
    return StaffIdentity(
        user=make_staff(session, area, "moderator"),
        area=area,
        roles=frozenset({"moderator"}),
        session_id=0,
    )


def _answer(
    session: Session, area: Area, report: Report, question: ReporterQuestion, text: str
) -> questions.Answered:
    grading = questions.grade_answer(text, load_area_data(session, area))
    assert question.id is not None
    return questions.answer(session, report, question.id, text, grading)


def test_questions_are_asked_only_on_pending_entries_not_taken_back_one_at_a_time(
    session: Session,
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    assert questions.may_ask(report, []) is None
    open_one = ReporterQuestion(
        area_id=area.id or 0, report_id=report.id or 0, asked_by_id=1, question="Where?"
    )
    assert questions.may_ask(report, [open_one]) == "already_open"
    open_one.status = QuestionStatus.ANSWERED
    assert questions.may_ask(report, [open_one]) is None
    report.status = "rejected"
    assert questions.may_ask(report, []) == "not_pending"
    report.status = "pending"
    report.withdrawn_at = utcnow()
    assert questions.may_ask(report, []) == "withdrawn"


def test_a_question_needs_words_and_fits_the_limit(session: Session) -> None:
    assert questions.clean_question("  Which end of the park?\x00 ") == "Which end of the park?"
    for text, code in (
        ("", "question_empty"),
        ("?!", "question_empty"),
        ("a" * 501, "question_too_long"),
    ):
        with pytest.raises(QuestionError) as caught:
            questions.clean_question(text)
        assert caught.value.code == code


def test_asking_twice_keeps_one_open_question(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    staff = _moderator(session, area)
    questions.ask(session, staff, report, "Which end of the park?")
    with pytest.raises(QuestionError) as caught:
        questions.ask(session, staff, report, "And when?")
    assert caught.value.code == "already_open"
    assert len(session.exec(select(ReporterQuestion)).all()) == 1


def test_an_ordinary_answer_moves_the_entry_on_without_making_it_urgent(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    question = questions.ask(session, _moderator(session, area), report, "Which end?")
    done = _answer(session, area, report, question, "By the pond, after school.")
    assert not done.urgent and done.question.status == QuestionStatus.ANSWERED
    session.refresh(report)
    assert report.version == 2 and not report.urgent
    assert session.exec(select(SafeguardingAlert)).all() == []


def test_a_disclosure_in_an_answer_makes_the_entry_urgent_and_raises_one_alert(
    session: Session,
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    staff = _moderator(session, area)
    question = questions.ask(session, staff, report, "Which end?")
    done = _answer(session, area, report, question, DISCLOSURE)
    assert done.urgent and done.question.answer_urgency in {"possible", "likely"}
    session.refresh(report)
    assert report.urgent and report.urgency == done.question.answer_urgency
    assert len(session.exec(select(SafeguardingAlert)).all()) == 1
    # A second disclosure while that alert is still open does not start a second alert.
    questions.set_aside_answer(session, staff, report, question.id or 0)
    again = questions.ask(session, staff, report, "Are you safe now?")
    assert _answer(session, area, report, again, DISCLOSURE).urgent
    assert len(session.exec(select(SafeguardingAlert)).all()) == 1


def test_an_answer_is_only_for_its_own_reports_open_question(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    other = make_report(session, area)
    question = questions.ask(session, _moderator(session, area), report, "Which end?")
    grading = questions.grade_answer("By the pond.", load_area_data(session, area))
    with pytest.raises(QuestionError) as caught:
        questions.answer(session, other, question.id or 0, "By the pond.", grading)
    assert caught.value.code == "no_open_question"
    questions.answer(session, report, question.id or 0, "By the pond.", grading)
    # The same words again (a double tap) are the same answer; different words are refused.
    assert questions.answer(session, report, question.id or 0, "By the pond.", grading).repeated
    with pytest.raises(QuestionError):
        questions.answer(session, report, question.id or 0, "Near the gates.", grading)


def test_accepting_keeps_a_redacted_note_whatever_the_moderator_types(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    staff = _moderator(session, area)
    question = questions.ask(session, staff, report, "Which end?")
    _answer(session, area, report, question, "By the pond. Text me on 07700 900123.")
    session.refresh(question)
    assert "07700 900123" not in questions.suggested_public_answer(question)
    phone = next(
        i for i, span in enumerate(questions.suggested_spans(question)) if span.kind == "phone"
    )
    kept = questions.accept_answer(
        session, staff, report, question.id or 0, "Pond end. Call 07700 900123", {phone}
    )
    assert kept.status == QuestionStatus.ACCEPTED
    assert (
        kept.public_answer is not None
        and "07700" not in kept.public_answer
        and kept.public_answer.startswith("Pond end.")
    )
    assert kept.decided_by_id == staff.user.id
    # The entry's own public text, which the register reads, is untouched by the answer.
    session.refresh(report)
    assert report.public_description is None
    with pytest.raises(QuestionError) as caught:
        questions.set_aside_answer(session, staff, report, question.id or 0)
    assert caught.value.code == "already_decided"


def test_an_empty_note_is_refused(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    staff = _moderator(session, area)
    question = questions.ask(session, staff, report, "Which end?")
    _answer(session, area, report, question, "By the pond.")
    with pytest.raises(QuestionError) as caught:
        questions.accept_answer(session, staff, report, question.id or 0, "   ", set())
    assert caught.value.code == "note_empty"


def test_a_suggestion_left_unticked_is_not_enforced() -> None:
    question = ReporterQuestion(
        area_id=1,
        report_id=1,
        asked_by_id=1,
        question="?",
        answer="Ask Sam at the pond",
        answer_suggested_redactions=[
            {"field": "answer", "kind": "person_name", "start": 4, "end": 7}
        ],
    )
    assert questions.suggested_spans(question) == [Span(kind="person_name", start=4, end=7)]
    assert (
        questions.enforce_redactions(question, "Ask Sam at the pond", set())
        == "Ask Sam at the pond"
    )
    assert "Sam" not in questions.enforce_redactions(question, "Ask sam, Sam at the pond", {0})


def test_forgetting_raw_answers_keeps_the_moderators_note(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    staff = _moderator(session, area)
    question = questions.ask(session, staff, report, "Which end?")
    _answer(session, area, report, question, "By the pond. Text me on 07700 900123.")
    questions.accept_answer(session, staff, report, question.id or 0, "By the pond.", set())
    assert questions.forget_raw_answers(session, [report.id or 0]) == 1
    session.commit()
    session.refresh(question)
    assert (
        question.answer is None
        and question.answer_suggested_redactions == []
        and question.answer_cues == []
    )
    assert question.public_answer == "By the pond."
    assert questions.forget_raw_answers(session, []) == 0


def test_retention_deletes_the_raw_answers_with_the_reports_words(session: Session) -> None:
    from datetime import timedelta

    from app.moderation.retention import run_retention
    from app.reports.models import ReportStatus

    area = make_area(session)
    report = make_report(session, area)
    staff = _moderator(session, area)
    question = questions.ask(session, staff, report, "Which end?")
    _answer(session, area, report, question, "By the pond. Text me on 07700 900123.")
    questions.accept_answer(session, staff, report, question.id or 0, "By the pond.", set())
    session.refresh(report)
    report.status = ReportStatus.REJECTED
    report.moderated_at = utcnow() - timedelta(days=area.retention_days + 1)
    session.add(report)
    session.commit()
    assert run_retention(session) == {area.slug: 1}
    session.refresh(question)
    assert question.answer is None and question.public_answer == "By the pond."
