"""The moderation forms as models: what a posted form turns into before any service sees it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.moderation.schemas import AnswerDecisionForm, BulkForm, PublishForm


def test_ticked_boxes_keep_only_the_numbers_the_page_could_have_sent() -> None:
    form = PublishForm.model_validate({"accept_description": ["0", "2", "", "two", "-1", str(2**40)], "accept_what_would_help": "1"})
    assert form.accepted() == {"description": {0, 2}, "what_would_help": {1}}
    assert BulkForm.model_validate({"report_id": ["7", "x"], "action": "reject_spam"}).report_id == [7]
    assert AnswerDecisionForm.model_validate({}).accept_answer == []


@pytest.mark.parametrize(("sent", "chosen"), [("", None), ("new", None), ("0", 0), ("12", 12)])
def test_the_context_choice_is_a_context_id_or_a_new_context(sent: str, chosen: int | None) -> None:
    assert PublishForm.model_validate({"context_id": sent}).context_id == chosen


@pytest.mark.parametrize("field", ["version", "context_id"])
def test_a_number_past_what_the_database_holds_is_refused(field: str) -> None:
    with pytest.raises(ValidationError):
        PublishForm.model_validate({field: str(2**31)})


def test_a_version_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValidationError):
        PublishForm.model_validate({"version": "abc"})
