"""What a facilitator sends to make a workshop, and what a wording question to the room looks like."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from app.reports.models import ReportKind
from app.reports.schemas import CleanText, CodeList
from app.workshops.models import WorkshopMode

PROMPTS_MAX = 2000
ROUTE_MAX = 6000
OPTION_MAX = 200


def _lines(value: object) -> object:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


class WorkshopCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    title: CleanText = Field(..., min_length=1, max_length=160)
    held_on: date
    language: str = Field("en", max_length=10)
    kinds: CodeList = Field(default_factory=lambda: [k.value for k in ReportKind])
    prompts: CleanText = Field("", max_length=PROMPTS_MAX)
    votes_per_person: int = Field(3, ge=1, le=10)
    mode: WorkshopMode = WorkshopMode.WORKSHOP
    # A safety walk's stops, one per line in walking order (see app.workshops.walks.parse_route).
    route: CleanText = Field("", max_length=ROUTE_MAX)

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        known = {k.value for k in ReportKind}
        kinds = [k for k in dict.fromkeys(value) if k in known]
        if not kinds:
            raise ValueError("kinds_missing")
        return kinds


class WordingQuestionCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    kind: ReportKind
    key: str = Field(..., max_length=80, pattern=r"^(category|question):[a-z0-9_]+$")
    # The room's suggestions, one per line; the words in use now are always an option too.
    options: Annotated[list[str], BeforeValidator(_lines)] = Field(..., min_length=1, max_length=8)

    @field_validator("options")
    @classmethod
    def _short_options(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(option.split()) for option in value]
        if any(len(option) > OPTION_MAX for option in cleaned):
            raise ValueError("option_too_long")
        return list(dict.fromkeys(option for option in cleaned if option))
