"""Wording questions to the room, called directly: the words in use now are always the first option,
each phone has one answer it can change, a closed question takes no more, and ties keep today's words.
(Adopting the room's choice into the taxonomy is tested in tests/unit/taxonomy.)"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.core.live import InProcessBroker
from app.taxonomy.defaults import default_categories, default_label
from app.workshops import service as workshops
from app.workshops import wording
from app.workshops.events import WorkshopError
from app.workshops.models import WordingOption, WordingQuestion
from app.workshops.schemas import WordingQuestionCreate
from tests import support_services
from tests.factories import make_area, make_workshop
from tests.support_services import audit_actions, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)

FIRST = default_categories("unsafe")[0]


def _asked(session: Session, **ask: object) -> tuple[object, workshops.StaffIdentity, object, WordingQuestion]:
    area = make_area(session)
    staff = identity(session, area, "facilitator")
    workshop = make_workshop(session, area, staff.user)
    data = WordingQuestionCreate.model_validate({"kind": "unsafe", "key": f"category:{FIRST}", "options": "Dark paths\nNo lights\nDark paths"} | ask)
    question = wording.ask_wording(session, area, staff, workshop, data, live=InProcessBroker())  # type: ignore[arg-type]
    return area, staff, workshop, question


def _options(session: Session, question: WordingQuestion) -> list[WordingOption]:
    return [option for option, _count in wording.wording_results(session, [question])[0].options]


def test_the_words_in_use_now_are_the_first_option_and_suggestions_are_not_repeated(writer: Session) -> None:
    _area, _staff, _workshop, question = _asked(writer)
    current = default_label("unsafe", f"category:{FIRST}", "en")
    assert [o.text for o in _options(writer, question)] == [current, "Dark paths", "No lights"]
    assert "workshop.wording_asked" in audit_actions(writer)


@pytest.mark.parametrize("key", ["category:not_a_category", "question:not_a_question"])
def test_a_question_about_words_the_area_does_not_have_is_refused(writer: Session, key: str) -> None:
    with pytest.raises(WorkshopError) as refused:
        _asked(writer, key=key)
    assert refused.value.code == "unknown_key"


def test_each_phone_has_one_answer_and_may_change_it(writer: Session) -> None:
    area, _staff, workshop, question = _asked(writer)
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    first, second, _third = _options(writer, question)
    assert question.id is not None and first.id is not None and second.id is not None
    wording.answer_wording(writer, who, question.id, first.id, live=InProcessBroker())  # type: ignore[arg-type]
    wording.answer_wording(writer, who, question.id, second.id, live=InProcessBroker())  # type: ignore[arg-type]
    [result] = wording.wording_results(writer, [question], who.participant.id)
    assert result.my_choice == second.id
    assert [count for _option, count in result.options] == [0, 1, 0]
    assert result.winner is not None and result.winner.id == second.id


def test_an_option_of_another_question_is_refused(writer: Session) -> None:
    area, staff, workshop, question = _asked(writer)
    other = wording.ask_wording(
        writer, area, staff, workshop,  # type: ignore[arg-type]
        WordingQuestionCreate.model_validate({"kind": "unsafe", "key": "question:where", "options": "Where was it?"}),
        live=InProcessBroker(),
    )
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    theirs = _options(writer, other)[0]
    assert question.id is not None and theirs.id is not None
    with pytest.raises(WorkshopError) as refused:
        wording.answer_wording(writer, who, question.id, theirs.id, live=InProcessBroker())  # type: ignore[arg-type]
    assert refused.value.code == "not_found"


def test_a_closed_question_takes_no_more_answers_and_leaves_the_phones(writer: Session) -> None:
    area, staff, workshop, question = _asked(writer)
    who, _token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    assert question.id is not None
    assert [q.id for q in wording.questions_of(writer, workshop.id, open_only=True)] == [question.id]  # type: ignore[arg-type, attr-defined]
    wording.close_wording(writer, staff, workshop, question.id, live=InProcessBroker())  # type: ignore[arg-type]
    wording.close_wording(writer, staff, workshop, question.id, live=InProcessBroker())  # type: ignore[arg-type]  # twice is once
    option = _options(writer, question)[1]
    assert option.id is not None
    with pytest.raises(WorkshopError) as refused:
        wording.answer_wording(writer, who, question.id, option.id, live=InProcessBroker())  # type: ignore[arg-type]
    assert refused.value.code == "voting_closed"
    assert wording.questions_of(writer, workshop.id, open_only=True) == []  # type: ignore[arg-type, attr-defined]
    assert [q.id for q in wording.questions_of(writer, workshop.id)] == [question.id]  # type: ignore[arg-type, attr-defined]
    assert audit_actions(writer).count("workshop.wording_closed") == 1


def test_a_tie_keeps_the_option_listed_first_and_no_answers_is_no_winner() -> None:
    question = WordingQuestion(id=1, workshop_id=1, kind="unsafe", locale="en", key=f"category:{FIRST}")
    today, new = WordingOption(id=1, question_id=1, text="Today", position=0), WordingOption(id=2, question_id=1, text="New", position=1)
    assert wording.QuestionResult(question, [(today, 2), (new, 2)]).winner is today
    assert wording.QuestionResult(question, [(today, 1), (new, 2)]).winner is new
    assert wording.QuestionResult(question, [(today, 0), (new, 0)]).winner is None
