"""/track, continued: what the reporter sees about their report, and their answer to a question.

The receipt code is the only key: it travels in the POST body (never the address, so never a log
or the history), every post checks CSRF, and answering counts against /track's own rate limit. A
possible disclosure in an answer is never held back by that limit: it is stored, an alert is
raised, and the next screen shows help at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.templating import render
from app.core.web import PublicAreaData, SettingsDep, WriteSession, use_locale
from app.moderation.models import RejectionReason
from app.reports import limits, notices, questions, service
from app.reports.models import Report, ReportStatus

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)

NOT_FOUND = _l(
    "We could not find that code. Please check it and try again: it has 12 letters and numbers."
)

# Why a report was not published, in words for the person who sent it: what happened, never blame.
REJECTION_WORDS: Mapping[str, Any] = {
    RejectionReason.SPAM: _l(
        "It looked like a test, or we could not find anything in it about a place or what it is like there."
    ),
    RejectionReason.DUPLICATE: _l(
        "Someone had already told us the same thing, so it was not added a second time."
    ),
    RejectionReason.NOT_IN_AREA: _l(
        "It was about somewhere outside the area this site covers, so it could not go on this area's register."
    ),
    RejectionReason.NOT_ABOUT_A_PLACE: _l(
        "The register is only about places and what happens there, and this was about something else."
    ),
    RejectionReason.IDENTIFIES_SOMEONE: _l(
        "It had details that could show who someone is, even with names taken out. We never publish anything that could point to a person, to keep everyone safe."
    ),
    RejectionReason.HANDLED_ELSEWHERE: _l(
        "A safeguarding worker is dealing with it in another way, away from the register."
    ),
}
OTHER_REJECTION = _l("It could not go on the register this time.")


class AnswerForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = ""
    question_id: int | None = None
    answer: str = ""


def rejection_words(report: Report) -> str:
    if report.status != ReportStatus.REJECTED:
        return ""
    return str(REJECTION_WORDS.get(report.rejection_reason or "", OTHER_REJECTION))


def track_context(session: Session, report: Report, **extra: Any) -> dict[str, Any]:
    """Everything the /track result shows, loaded now so the session can close before rendering."""
    assert report.id is not None
    asked = questions.questions_for(session, report.id)
    closed = notices.context_closed(session, report)
    return {
        "report": report,
        "actions": service.published_actions_for(session, report),
        "code": report.receipt_code,
        "kept": service.kept_for_safeguarding(report),
        "why_not_published": rejection_words(report),
        "open_question": _answerable(report, asked),
        "answered": [q for q in asked if q.status != questions.QuestionStatus.OPEN],
        "answer_max": questions.ANSWER_MAX,
        "answer": "",
        "answer_error": "",
        "thanks": False,
        "context_closed": closed,
        # The optional "tell me when something changes" email (app/reports/notices.py).
        "notice_on": notices.is_on(session, report.id),
        "notice_offered": not notices.is_final(report, closed),
        "notice_email": "",
        "notice_error": "",
        "notice_said": "",
        "back_to": "track",
    } | extra


def _answerable(
    report: Report, asked: Sequence[questions.ReporterQuestion]
) -> questions.ReporterQuestion | None:
    # A report its reporter took back is not theirs to keep talking about; its question stays closed.
    return None if report.withdrawn_at is not None else questions.open_question(asked)


@router.post("/track/answer")
def answer(
    request: Request,
    data: Annotated[AnswerForm, Form()],
    known: PublicAreaData,
    session: WriteSession,
    settings: SettingsDep,
) -> Response:
    """The reporter's answer to a question from someone who checks reports."""
    grading = questions.grade_answer(data.answer, known)
    bypassed: list[str] = []
    if not limits.track_allowed(request, settings):
        if service.may_hold_back(grading):
            error = _("Too many tries. Please wait a little and check again: your answer is kept.")
            return _not_found(request, data.code, error, 429, answer=data.answer)
        bypassed.append("rate_limit")  # a possible disclosure is never held back
    assert known.area.id is not None
    report = service.find_by_receipt(session, known.area.id, data.code)
    if report is None:
        return _not_found(request, data.code, str(NOT_FOUND), 422, help_now=grading.urgent)
    context = track_context(session, report, answer=data.answer)
    question = context["open_question"]
    if question is None or question.id != data.question_id:
        # Answered a moment ago in another tab, or the report was taken back: show how things are now.
        session.close()
        help_now = context["kept"] or grading.urgent
        return render(
            request, "reports/track_result.html", context | {"help_now": help_now}, status_code=409
        )
    try:
        done = questions.answer(
            session, report, question.id, data.answer, grading, bypassed_checks=bypassed
        )  # commits
    except questions.QuestionError as exc:
        session.close()
        error = _answer_error(exc.code)
        help_now = context["kept"] or grading.urgent
        return render(
            request,
            "reports/track_result.html",
            context | {"answer_error": error, "help_now": help_now},
            status_code=422,
        )
    # Built from what is loaded: the commit has released the lock, and this page only reads.
    answered = [*context["answered"], done.question]
    kept = context["kept"] or done.urgent
    result = context | {
        "open_question": None,
        "answered": answered,
        "answer": "",
        "thanks": True,
        "kept": kept,
    }
    return render(request, "reports/track_result.html", result | {"help_now": kept})


def _answer_error(code: str) -> str:
    if code == "answer_too_long":
        return _(
            "Please make your answer shorter: it can be up to %(max)s characters.",
            max=questions.ANSWER_MAX,
        )
    return _("Please write your answer. Or leave it: you do not have to answer.")


def _not_found(
    request: Request,
    code: str,
    error: str,
    status: int,
    *,
    help_now: bool = False,
    answer: str = "",
) -> Response:
    # A held-back answer rides along in the form: checking again puts it back in its box.
    context = {"code": code.strip(), "error": error, "help_now": help_now, "answer": answer}
    return render(request, "reports/track.html", context, status_code=status)
