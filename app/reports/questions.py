"""A moderator's question to the person who sent a report, and their answer, found through /track.

The reporter has no account: the receipt code is the only way back to them. A moderator asks one
question at a time on a pending entry; the reporter sees it when they next check with their code.
Their answer is treated exactly like a new entry's words: triaged for a possible disclosure (help at
once, an alert, never refused) and for personal details (suggested redactions for the moderator).

The answer's raw words are for moderators only. A moderator who accepts it writes a redacted copy
(`public_answer`), kept as a note linked to the entry: the entry's own public text, which is what
the register, exports and public pages read, is only ever written by a moderator's publish. So
nothing a reporter types here can reach the register without a moderator writing it there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text, update
from sqlmodel import Field, Session, SQLModel, col, select

from app.accounts.models import User
from app.accounts.service import StaffIdentity
from app.areas.lookup import AreaData
from app.audit import service as audit
from app.core.types import UTCDateTime, utcnow
from app.moderation import alerts
from app.moderation.triage import Span, apply_redactions
from app.reports import service as reports
from app.reports.models import Report, ReportStatus
from app.reports.schemas import clean_text, has_words

QUESTION_MAX = 500
ANSWER_MAX = 2000
ANSWER_FIELD = "answer"  # the field name triage's suggestions carry
_STRENGTH = {reports.NOT_URGENT: 0, reports.POSSIBLE: 1, reports.LIKELY: 2}


class QuestionStatus(StrEnum):
    OPEN = "open"  # asked; the reporter has not answered (they may never come back)
    ANSWERED = "answered"  # answered; no moderator has decided about the answer yet
    ACCEPTED = "accepted"  # a moderator kept a redacted copy of the answer as a note on the entry
    SET_ASIDE = "set_aside"  # a moderator read it and kept nothing from it


class ReporterQuestion(SQLModel, table=True):
    __tablename__ = "reporter_question"
    __table_args__ = (Index("ix_reporter_question_report", "report_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    # Deleted with its report (a withdrawal deletes an ordinary report and everything it said).
    report_id: int = Field(foreign_key="report.id", ondelete="CASCADE")
    asked_by_id: int = Field(foreign_key="staff_user.id")
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Written by staff for the reporter to read, and shown to them as written.
    question: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=QuestionStatus.OPEN, sa_type=String(20))
    # The reporter's raw words: moderators only.
    answer: str | None = Field(default=None, sa_column=Column(Text))
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answer_urgency: str = Field(default="none", sa_type=String(10))
    answer_reasons: str = Field(default="", max_length=200)
    # Like Report.urgent_cues and suggested_redactions: they can quote the answer, so they go with it.
    answer_cues: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    answer_suggested_redactions: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    # What a moderator accepted, redacted: the only words from the answer that may ever be shown beyond moderators.
    public_answer: str | None = Field(default=None, sa_column=Column(Text))
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def urgent(self) -> bool:
        return self.answer_urgency != reports.NOT_URGENT


class QuestionError(ValueError):
    """A question or answer that cannot be taken as it is; `code` says why (the route words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskedQuestion:
    question: ReporterQuestion
    asked_by: str  # the moderator's display name, for the entry page only


def questions_for(session: Session, report_id: int) -> list[ReporterQuestion]:
    query = (
        select(ReporterQuestion)
        .where(ReporterQuestion.report_id == report_id)
        .order_by(col(ReporterQuestion.id))
    )
    return list(session.exec(query).all())


def questions_for_moderators(session: Session, report: Report) -> list[AskedQuestion]:
    query = (
        select(ReporterQuestion, User.display_name)
        .join(User, col(User.id) == col(ReporterQuestion.asked_by_id))
        .where(ReporterQuestion.report_id == report.id, ReporterQuestion.area_id == report.area_id)
        .order_by(col(ReporterQuestion.id))
    )
    return [AskedQuestion(question, name) for question, name in session.exec(query).all()]


def reports_with_answers_waiting(session: Session, area_id: int) -> set[int]:
    """Entries whose reporter answered a question that no moderator has decided about yet."""
    return set(
        session.exec(
            select(ReporterQuestion.report_id).where(
                ReporterQuestion.area_id == area_id, ReporterQuestion.status == QuestionStatus.ANSWERED
            )
        ).all()
    )


def open_question(questions: Sequence[ReporterQuestion]) -> ReporterQuestion | None:
    return next((q for q in questions if q.status == QuestionStatus.OPEN), None)


def may_ask(report: Report, questions: Sequence[ReporterQuestion]) -> str | None:
    """None when a moderator may ask a question now; otherwise the reason they may not.

    Only while the entry waits for a decision (that is when the answer can change it), never on a
    report its reporter took back, and one open question at a time, so the reporter is never
    faced with a list to work through.
    """
    if report.withdrawn_at is not None:
        return "withdrawn"
    if report.status != ReportStatus.PENDING:
        return "not_pending"
    if open_question(questions) is not None:
        return "already_open"
    return None


def forget_raw_answers(session: Session, report_ids: Sequence[int]) -> int:
    """Delete the raw words of the answers to these reports, as retention deletes the reports' own
    raw words (app/moderation/retention.py calls this with the reports it clears). A note a
    moderator kept is redacted text and stays, like the entry's public text. Does not commit."""
    if not report_ids:
        return 0
    result = session.execute(
        update(ReporterQuestion)
        .where(
            col(ReporterQuestion.report_id).in_(list(report_ids)),
            col(ReporterQuestion.answer).is_not(None),
        )
        .values(answer=None, answer_cues=[], answer_suggested_redactions=[])
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- A moderator asks ---------------------------------------------------------------------------


def clean_question(text: str) -> str:
    question = str(clean_text(text))
    if not question or not has_words(question):
        raise QuestionError("question_empty")
    if len(question) > QUESTION_MAX:
        raise QuestionError("question_too_long")
    return question


def ask(session: Session, staff: StaffIdentity, report: Report, text: str) -> ReporterQuestion:
    """Store a question for the reporter, audited like every moderation action. Commits."""
    question_text = clean_question(text)
    assert report.id is not None and staff.user.id is not None
    # The row lock of this update makes a second moderator's question wait, then see this one.
    session.execute(
        update(Report).where(col(Report.id) == report.id).values(version=col(Report.version))
    )
    refused = may_ask(report, questions_for(session, report.id))
    if refused:
        session.rollback()
        raise QuestionError(refused)
    question = ReporterQuestion(
        area_id=report.area_id,
        report_id=report.id,
        asked_by_id=staff.user.id,
        question=question_text,
    )
    session.add(question)
    session.flush()
    audit.record(
        session,
        "report.question_asked",
        area_id=report.area_id,
        actor_id=staff.user.id,
        subject_type="report",
        subject_id=report.id,
        question_id=question.id,
        length=len(question_text),
    )
    session.commit()
    return question


# --- The reporter answers -----------------------------------------------------------------------


def clean_answer(text: str) -> str:
    answer = str(clean_text(text))
    if not answer or not has_words(answer):
        raise QuestionError("answer_empty")
    if len(answer) > ANSWER_MAX:
        raise QuestionError("answer_too_long")
    return answer


def grade_answer(text: str, known: AreaData) -> reports.Grading:
    """Triage for an answer: the very same grading a new report's words get on Send."""
    return reports.grade_words(
        {ANSWER_FIELD: str(clean_text(text))},
        school_names=known.gazetteer.school_names,
        place_names=known.gazetteer.place_names,
    )


@dataclass(frozen=True)
class Answered:
    question: ReporterQuestion
    urgent: bool  # a possible disclosure: help at once, and an alert
    repeated: bool = False  # the same answer sent twice (a double tap): stored once


def answer(
    session: Session,
    report: Report,
    question_id: int,
    text: str,
    grading: reports.Grading,
    *,
    bypassed_checks: Sequence[str] = (),
) -> Answered:
    """Store the reporter's answer to their open question, triaged, and commit.

    A possible disclosure makes the entry urgent (top of the queue) and raises a safeguarding alert,
    as a new report does; personal details become suggested redactions. A pending entry's version
    moves on, so a moderator's decision made on the page from before the answer is stopped and
    shown the entry again, with the answer.
    """
    words = clean_answer(text)
    assert report.id is not None
    question = session.get(ReporterQuestion, question_id)
    if question is None or question.report_id != report.id or question.area_id != report.area_id:
        raise QuestionError("no_open_question")
    if question.status != QuestionStatus.OPEN:
        if question.answer == words:
            return Answered(question, question.urgent, repeated=True)
        raise QuestionError("no_open_question")
    now = utcnow()
    claimed = session.execute(
        update(ReporterQuestion)
        .where(
            col(ReporterQuestion.id) == question_id,
            col(ReporterQuestion.status) == QuestionStatus.OPEN,
        )
        .values(
            status=QuestionStatus.ANSWERED,
            answer=words,
            answered_at=now,
            answer_urgency=grading.level,
            answer_reasons=",".join(grading.reasons)[:200],
            answer_cues=list(grading.cues),
            answer_suggested_redactions=list(grading.suggestions),
        )
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        session.rollback()  # answered in another tab a moment ago
        raise QuestionError("no_open_question")
    report_values: dict[str, object] = {}
    if report.status == ReportStatus.PENDING and report.withdrawn_at is None:
        report_values["version"] = col(Report.version) + 1
    if grading.urgent:
        report_values["urgent"] = True
        if _STRENGTH.get(grading.level, 0) > _STRENGTH.get(report.urgency, 0):
            report_values["urgency"] = grading.level
    if report_values:
        session.execute(update(Report).where(col(Report.id) == report.id).values(**report_values))
    audit.record(
        session,
        "report.question_answered",
        area_id=report.area_id,
        subject_type="report",
        subject_id=report.id,
        question_id=question_id,
        urgent=grading.urgent,
        urgency=grading.level,
        reasons=list(grading.reasons),
        personal_details=len(grading.suggestions),
        anti_abuse_bypassed=list(bypassed_checks),
    )
    raised = False
    if grading.urgent:
        session.refresh(report)
        # One open alert per entry is emailed until acknowledged; a new one starts once it has been.
        if alerts.open_alert_for(session, report.area_id, report.id) is None:
            alerts.raise_alert(session, report)
            raised = True
    session.commit()
    if raised:
        alerts.notify_new_alert()
    # The update above set these values on `question` too; reading it again would take the lock again.
    return Answered(question, grading.urgent)


# --- A moderator decides about an answer ----------------------------------------------------------


def suggested_spans(question: ReporterQuestion) -> list[Span]:
    return [
        Span(kind=str(s["kind"]), start=int(s["start"]), end=int(s["end"]))  # type: ignore[call-overload]
        for s in question.answer_suggested_redactions
        if s.get("field") == ANSWER_FIELD
    ]


def suggested_public_answer(question: ReporterQuestion) -> str:
    """The answer with every suggested redaction applied: where a moderator starts editing."""
    return apply_redactions(question.answer or "", suggested_spans(question))


def enforce_redactions(question: ReporterQuestion, public_text: str, accepted: set[int]) -> str:
    """Whatever the moderator typed, the words of an accepted suggestion never reach the note."""
    raw = question.answer or ""
    for index, span in enumerate(suggested_spans(question)):
        words = raw[span.start : span.end]
        if index not in accepted or not words:
            continue
        lowered, needle = public_text.lower(), words.lower()
        found: list[Span] = []
        start = lowered.find(needle)
        while start != -1:
            found.append(Span(kind=span.kind, start=start, end=start + len(words)))
            start = lowered.find(needle, start + len(words))
        public_text = apply_redactions(public_text, found)
    return public_text


def _waiting_answer(session: Session, report: Report, question_id: int) -> ReporterQuestion:
    question = session.get(ReporterQuestion, question_id)
    if question is None or question.report_id != report.id or question.area_id != report.area_id:
        raise QuestionError("unknown_question")
    if question.status != QuestionStatus.ANSWERED:
        raise QuestionError("already_decided")
    return question


def accept_answer(
    session: Session,
    staff: StaffIdentity,
    report: Report,
    question_id: int,
    public_text: str,
    accepted: set[int],
) -> ReporterQuestion:
    """Keep a redacted copy of the answer as a note on the entry. Commits."""
    question = _waiting_answer(session, report, question_id)
    note = enforce_redactions(question, str(clean_text(public_text)), accepted)
    if not note:
        raise QuestionError("note_empty")
    return _decide(
        session,
        staff,
        report,
        question,
        QuestionStatus.ACCEPTED,
        public_answer=note,
        redactions_accepted=len(accepted),
        note_edited=note != suggested_public_answer(question),
    )


def set_aside_answer(
    session: Session, staff: StaffIdentity, report: Report, question_id: int
) -> ReporterQuestion:
    """The moderator has read the answer and keeps nothing from it. Commits."""
    question = _waiting_answer(session, report, question_id)
    return _decide(session, staff, report, question, QuestionStatus.SET_ASIDE)


def _decide(
    session: Session,
    staff: StaffIdentity,
    report: Report,
    question: ReporterQuestion,
    status: QuestionStatus,
    *,
    public_answer: str | None = None,
    **detail: object,
) -> ReporterQuestion:
    result = session.execute(
        update(ReporterQuestion)
        .where(
            col(ReporterQuestion.id) == question.id,
            col(ReporterQuestion.status) == QuestionStatus.ANSWERED,
        )
        .values(
            status=status,
            public_answer=public_answer,
            decided_by_id=staff.user.id,
            decided_at=utcnow(),
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        raise QuestionError("already_decided")
    audit.record(
        session,
        f"report.answer_{'accepted' if status == QuestionStatus.ACCEPTED else 'set_aside'}",
        area_id=report.area_id,
        actor_id=staff.user.id,
        subject_type="report",
        subject_id=report.id,
        question_id=question.id,
        **detail,
    )
    session.commit()
    return question
