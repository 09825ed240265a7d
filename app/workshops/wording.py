"""Wording questions to the room: the facilitator asks which words the area should use for a
category or a question, phones choose, and an admin adopts the room's choice as the next taxonomy
version (app.taxonomy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.audit import service as audit
from app.core.live import LiveBroker
from app.taxonomy import service as taxonomy
from app.workshops.events import Participation, WorkshopError, commit_event
from app.workshops.models import (
    WordingAnswer,
    WordingOption,
    WordingQuestion,
    Workshop,
    WorkshopEventKind,
)
from app.workshops.schemas import WordingQuestionCreate


@dataclass
class QuestionResult:
    question: WordingQuestion
    options: list[tuple[WordingOption, int]] = field(default_factory=list)
    my_choice: int | None = None

    @property
    def winner(self) -> WordingOption | None:
        # Most votes wins; a tie goes to the option listed first (the words in use now).
        if not self.options or not any(count for _option, count in self.options):
            return None
        return max(self.options, key=lambda item: (item[1], -item[0].position))[0]


def ask_wording(
    session: Session,
    area: Area,
    staff: StaffIdentity,
    workshop: Workshop,
    data: WordingQuestionCreate,
    *,
    live: LiveBroker,
) -> WordingQuestion:
    assert workshop.id is not None
    family, _, name = data.key.partition(":")
    if family == "category":
        current = dict(
            taxonomy.current_categories(session, area, data.kind, workshop.language)
        ).get(name)
        if current is None:
            raise WorkshopError("unknown_key")
    else:
        try:
            current = taxonomy.question_wording(session, area, data.kind, workshop.language, name)
        except taxonomy.TaxonomyError:
            raise WorkshopError("unknown_key") from None
    question = WordingQuestion(
        workshop_id=workshop.id, kind=data.kind, locale=workshop.language, key=data.key
    )
    session.add(question)
    session.flush()
    assert question.id is not None
    for position, text in enumerate(dict.fromkeys([current, *data.options])):
        session.add(WordingOption(question_id=question.id, text=text, position=position))
    commit_event(
        session,
        workshop,
        WorkshopEventKind.QUESTION_CHANGED,
        question.id,
        live=live,
        audit_action="workshop.wording_asked",
        actor_id=staff.user.id,
        key=data.key,
        report_kind=str(data.kind),
    )
    return question


def answer_wording(
    session: Session, who: Participation, question_id: int, option_id: int, *, live: LiveBroker
) -> None:
    assert who.participant.id is not None
    question = session.get(WordingQuestion, question_id)
    option = session.get(WordingOption, option_id)
    if (
        question is None
        or question.workshop_id != who.workshop.id
        or option is None
        or option.question_id != question_id
    ):
        raise WorkshopError("not_found")
    if not question.is_open:
        raise WorkshopError("voting_closed")
    mine = session.exec(
        select(WordingAnswer).where(
            WordingAnswer.question_id == question_id,
            WordingAnswer.participant_id == who.participant.id,
        )
    ).first()
    if mine is None:
        session.add(
            WordingAnswer(
                question_id=question_id, option_id=option_id, participant_id=who.participant.id
            )
        )
    else:
        mine.option_id = option_id
        session.add(mine)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return
    commit_event(session, who.workshop, WorkshopEventKind.QUESTION_CHANGED, question_id, live=live)


def close_wording(
    session: Session,
    staff: StaffIdentity,
    workshop: Workshop,
    question_id: int,
    *,
    live: LiveBroker,
) -> None:
    question = session.get(WordingQuestion, question_id)
    if question is None or question.workshop_id != workshop.id:
        raise WorkshopError("not_found")
    if not question.is_open:
        return
    question.is_open = False
    session.add(question)
    commit_event(
        session,
        workshop,
        WorkshopEventKind.QUESTION_CHANGED,
        question_id,
        live=live,
        audit_action="workshop.wording_closed",
        actor_id=staff.user.id,
        question_id=question_id,
    )


def wording_results(
    session: Session, questions: Sequence[WordingQuestion], participant_id: int | None = None
) -> list[QuestionResult]:
    ids = [q.id for q in questions if q.id is not None]
    if not ids:
        return []
    options = session.exec(
        select(WordingOption)
        .where(col(WordingOption.question_id).in_(ids))
        .order_by(col(WordingOption.position))
    ).all()
    counts = dict(
        session.exec(
            select(WordingAnswer.option_id, func.count())
            .where(col(WordingAnswer.question_id).in_(ids))
            .group_by(col(WordingAnswer.option_id))
        ).all()
    )
    mine: dict[int, int] = {}
    if participant_id is not None:
        answers = session.exec(
            select(WordingAnswer).where(
                col(WordingAnswer.question_id).in_(ids),
                WordingAnswer.participant_id == participant_id,
            )
        ).all()
        mine = {a.question_id: a.option_id for a in answers}
    results = {q.id: QuestionResult(q, my_choice=mine.get(q.id or 0)) for q in questions}
    for option in options:
        results[option.question_id].options.append((option, int(counts.get(option.id or 0, 0))))
    return list(results.values())


def questions_of(
    session: Session, workshop_id: int, *, open_only: bool = False
) -> Sequence[WordingQuestion]:
    query = select(WordingQuestion).where(WordingQuestion.workshop_id == workshop_id)
    if open_only:
        query = query.where(col(WordingQuestion.is_open).is_(True))
    return session.exec(query.order_by(col(WordingQuestion.id))).all()


def adoptable(session: Session, area_id: int) -> list[tuple[Workshop, QuestionResult]]:
    """Closed wording questions from this area's workshops, not yet adopted, with a winner."""
    query = (
        select(WordingQuestion, Workshop)
        .join(Workshop, col(Workshop.id) == col(WordingQuestion.workshop_id))
        .where(
            col(Workshop.area_id) == area_id,
            col(WordingQuestion.is_open).is_(False),
            col(WordingQuestion.adopted_version_id).is_(None),
        )
        .order_by(col(WordingQuestion.id).desc())
    )
    rows = session.exec(query.limit(50)).all()
    workshops = {q.id: w for q, w in rows}
    return [
        (workshops[r.question.id], r)
        for r in wording_results(session, [q for q, _w in rows])
        if r.winner is not None and not _already_in_use(session, area_id, r)
    ]


def _already_in_use(session: Session, area_id: int, result: QuestionResult) -> bool:
    """The room kept the words the area already uses: there is nothing to adopt."""
    question, winner = result.question, result.winner
    assert winner is not None
    in_force = taxonomy.label_in_force(session, area_id, question.kind, question.key, question.locale)
    return winner.text.strip() == in_force.strip()


def adopt_wording(session: Session, area: Area, staff: StaffIdentity, question_id: int) -> int:
    """An admin makes the room's choice the next taxonomy version; returns the version number."""
    assert area.id is not None
    question = session.get(WordingQuestion, question_id)
    workshop = session.get(Workshop, question.workshop_id) if question else None
    if question is None or workshop is None or workshop.area_id != area.id or question.is_open:
        raise WorkshopError("not_found")
    result = wording_results(session, [question])[0]
    winner = result.winner
    if winner is None:
        raise WorkshopError("no_winner")
    try:
        version = taxonomy.save_version(
            session,
            area,
            actor_id=staff.user.id,
            kind=question.kind,
            locale=question.locale,
            labels={question.key: winner.text},
            note=f"Chosen at the workshop “{workshop.title}”",
        )
    except taxonomy.NoChange:
        version = taxonomy.current_version(session, area.id)  # type: ignore[assignment]
    question.adopted_version_id = version.id if version else None
    session.add(question)
    audit.record(
        session,
        "workshop.wording_adopted",
        area_id=area.id,
        actor_id=staff.user.id,
        subject_type="workshop_question",
        subject_id=question_id,
    )
    session.commit()
    return version.number if version else 0
