"""What the moderation forms post, as typed models (`data: Annotated[PublishForm, Form()]`).

The words a moderator types stay plain strings (the body limit bounds them): the services judge them
and say what is wrong in words, so a refused form comes back with everything still in it. Ticked
boxes keep only the values the page could have sent, as the form always did.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.core.web import MAX_DB_INT


def _whole_numbers(values: object) -> list[int]:
    """The ticked boxes that carry a number (an index or an id); anything else was never offered."""
    items = values if isinstance(values, list) else [values]
    digits = [item for item in items if isinstance(item, str) and item.isdigit() and len(item) <= len(str(MAX_DB_INT))]
    return [int(item) for item in digits if int(item) <= MAX_DB_INT]


def _number_or_none(value: object) -> object:
    """A radio choice: a number names a row; "" (or anything else) is the "a new one" choice."""
    return value if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


Ticked = Annotated[list[int], BeforeValidator(_whole_numbers)]
DbNumber = Annotated[int, Field(ge=0, le=MAX_DB_INT)]


class BulkForm(BaseModel):
    """The queue's ticked entries and the one bulk action there is."""

    model_config = ConfigDict(extra="ignore")

    report_id: Ticked = Field(default_factory=list)
    action: str = ""


class PublishForm(BaseModel):
    """The entry page's publish form: the public words, the redactions kept, and the context."""

    model_config = ConfigDict(extra="ignore")

    version: DbNumber = 0  # the version the page showed: the version check refuses a stale one
    public_description: str = ""
    public_what_would_help: str = ""
    accept_description: Ticked = Field(default_factory=list)
    accept_what_would_help: Ticked = Field(default_factory=list)
    context_id: Annotated[DbNumber | None, BeforeValidator(_number_or_none)] = None
    new_context_name: str = ""
    show_on_map: str = ""  # "yes" when ticked

    def accepted(self) -> dict[str, set[int]]:
        """The suggested redactions the moderator kept, by field."""
        return {"description": set(self.accept_description), "what_would_help": set(self.accept_what_would_help)}


class RejectForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: DbNumber = 0
    reason: str = ""  # a RejectionReason code; the service refuses anything else


class SafeguardingCallForm(BaseModel):
    """The moderator's answer to "could someone be in danger?"."""

    model_config = ConfigDict(extra="ignore")

    urgent: Literal["yes", "no"] | None = None


class QuestionForm(BaseModel):
    """A question to the reporter; its length is judged by app.reports.questions, in words."""

    model_config = ConfigDict(extra="ignore")

    question: str = ""


class AnswerDecisionForm(BaseModel):
    """Keeping a reporter's answer: the note that may be shown and the redactions kept."""

    model_config = ConfigDict(extra="ignore")

    public_answer: str = ""
    accept_answer: Ticked = Field(default_factory=list)
