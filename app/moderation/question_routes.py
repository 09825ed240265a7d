"""Questions to a reporter, from the moderation entry page, and decisions about their answers.

The entry page includes `moderation/_reporter_question.html`, which loads this section with htmx;
without JavaScript the same URL is a page of its own, linked from there. Every form here is a plain
post that comes back to the entry page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.core.i18n import gettext as _
from app.core.templating import render
from app.core.web import DbId, ReadSession, WriteSession, found, require_role, use_locale
from app.moderation import service
from app.moderation.highlight import highlighted
from app.moderation.schemas import AnswerDecisionForm, QuestionForm
from app.moderation.triage import KIND_LABELS as PII_LABELS
from app.reports import questions
from app.reports.models import Report

router = APIRouter(
    prefix="/staff/moderation", dependencies=[Depends(use_locale)], include_in_schema=False
)
Moderator = Annotated[StaffIdentity, Depends(require_role(Role.MODERATOR))]
PAGE = "moderation/reporter_questions.html"


def _load(session: Session, staff: StaffIdentity, report_id: int) -> Report:
    assert staff.area.id is not None
    return found(service.get_for_moderation(session, staff.area.id, report_id))


def _context(session: Session, report: Report, **extra: Any) -> dict[str, Any]:
    assert report.id is not None
    asked = questions.questions_for_moderators(session, report)
    return {
        "report": report,
        "asked": asked,
        "refused": questions.may_ask(report, [a.question for a in asked]),
        "question_max": questions.QUESTION_MAX,
        "question_text": "",
        "question_error": "",
        "decision_error": "",
        "decision_for": None,
        "highlighted": highlighted,
        "suggested_spans": questions.suggested_spans,
        "indexed_spans": lambda spans: list(enumerate(spans)),
        "suggested_public_answer": questions.suggested_public_answer,
        "pii_labels": PII_LABELS,
    } | extra


def _back(report_id: int) -> Response:
    return RedirectResponse(f"/staff/moderation/{report_id}#reporter-questions", status_code=303)


@router.get("/{report_id}/questions")
def reporter_questions(
    request: Request, report_id: DbId, staff: Moderator, session: ReadSession
) -> Response:
    """The entry's questions and answers: a page of its own, or the entry page's section (htmx)."""
    report = _load(session, staff, report_id)
    return render(request, PAGE, _context(session, report))


@router.post("/{report_id}/questions")
def ask(
    request: Request,
    report_id: DbId,
    staff: Moderator,
    read: ReadSession,
    write: WriteSession,
    data: Annotated[QuestionForm, Form()],
) -> Response:
    report = _load(write, staff, report_id)
    try:
        questions.ask(write, staff, report, data.question)  # commits
    except questions.QuestionError as exc:
        write.close()
        messages = {
            "question_empty": _("Please write your question."),
            "question_too_long": _(
                "Please make your question shorter: it can be up to %(max)s characters.",
                max=questions.QUESTION_MAX,
            ),
            "already_open": _(
                "This reporter already has a question waiting. You can ask another once they answer."
            ),
            "not_pending": _(
                "Questions can only be asked while an entry is waiting for a decision."
            ),
            "withdrawn": _(
                "The reporter took this report back, so they are not asked anything more."
            ),
        }
        fresh = _load(read, staff, report_id)
        context = _context(
            read,
            fresh,
            question_text=data.question,
            question_error=messages.get(exc.code, messages["question_empty"]),
        )
        return render(request, PAGE, context, status_code=422)
    return _back(report_id)


@router.post("/{report_id}/questions/{question_id}/accept")
def accept(
    request: Request,
    report_id: DbId,
    question_id: DbId,
    staff: Moderator,
    read: ReadSession,
    write: WriteSession,
    data: Annotated[AnswerDecisionForm, Form()],
) -> Response:
    report = _load(write, staff, report_id)
    try:
        questions.accept_answer(
            write, staff, report, question_id, data.public_answer, set(data.accept_answer)
        )  # commits
    except questions.QuestionError as exc:
        write.close()
        return _decision_refused(
            request, read, staff, report_id, question_id, exc, public_answer=data.public_answer
        )
    return _back(report_id)


@router.post("/{report_id}/questions/{question_id}/set-aside")
def set_aside(
    request: Request,
    report_id: DbId,
    question_id: DbId,
    staff: Moderator,
    read: ReadSession,
    write: WriteSession,
) -> Response:
    report = _load(write, staff, report_id)
    try:
        questions.set_aside_answer(write, staff, report, question_id)  # commits
    except questions.QuestionError as exc:
        write.close()
        return _decision_refused(request, read, staff, report_id, question_id, exc)
    return _back(report_id)


def _decision_refused(
    request: Request,
    session: Session,
    staff: StaffIdentity,
    report_id: int,
    question_id: int,
    exc: questions.QuestionError,
    *,
    public_answer: str = "",
) -> Response:
    if exc.code == "unknown_question":
        raise HTTPException(status_code=404)
    messages = {
        "note_empty": _(
            "The note is empty. Please write what can be kept from the answer, or set it aside."
        ),
        "already_decided": _(
            "Someone else decided about this answer while you were looking. This is how it is now."
        ),
    }
    fresh = _load(session, staff, report_id)
    context = _context(
        session,
        fresh,
        decision_error=messages.get(exc.code, messages["already_decided"]),
        decision_for=question_id,
        public_answer=public_answer,
    )
    return render(request, PAGE, context, status_code=409 if exc.code == "already_decided" else 422)
