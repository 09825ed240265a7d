"""What a report looks like coming in (web form or API) and going out (receipt, tracking)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from babel.numbers import format_decimal
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from app.core import i18n
from app.core.i18n import gettext as _
from app.reports.models import ReporterRole, ReportKind
from app.reports.taxonomy import AGE_BANDS, DAYS, TIME_BANDS

DESCRIPTION_MAX = 2000
HELP_MAX = 1000
LOCATION_MAX = 300
GROUP_NAME_MAX = 160
_CATEGORY_CODE = re.compile(r"[a-z0-9_]{1,60}")
# Control characters, and the bidirectional embeddings, overrides and isolates (U+202A-202E,
# U+2066-2069): stored, they can make an entry read differently in the queue or an export than what
# was typed ("Trojan Source"). dir="auto" and <bdi> do the job they were pasted for.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object) -> object:
    """Normalise what people type or paste: NFC, no control or direction-override characters, trimmed."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()


def _as_list(value: object) -> object:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    return value


def _blank_to_none(value: object) -> object:
    return None if value == "" else value


CleanText = Annotated[str, BeforeValidator(clean_text)]
CodeList = Annotated[list[str], BeforeValidator(_as_list)]


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit in any script (not only emoji or symbols)."""
    return any(unicodedata.category(ch)[0] in {"L", "N"} for ch in text)


class ReportCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    kind: ReportKind
    place_id: Annotated[int | None, BeforeValidator(_blank_to_none)] = None
    location_text: CleanText = Field("", max_length=LOCATION_MAX)
    lat: Annotated[float | None, BeforeValidator(_blank_to_none)] = Field(None, ge=-90, le=90)
    lng: Annotated[float | None, BeforeValidator(_blank_to_none)] = Field(None, ge=-180, le=180)
    time_bands: CodeList = Field(default_factory=list)
    days: CodeList = Field(default_factory=list)
    categories: CodeList = Field(default_factory=list)
    feeling: Annotated[int | None, BeforeValidator(_blank_to_none)] = Field(None, ge=1, le=5)
    description: CleanText = Field(..., max_length=DESCRIPTION_MAX)
    what_would_help: CleanText = Field("", max_length=HELP_MAX)
    age_band: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    reporter_role: Annotated[ReporterRole | None, BeforeValidator(_blank_to_none)] = None
    group_name: CleanText = Field("", max_length=GROUP_NAME_MAX)
    me_too_context_id: Annotated[int | None, BeforeValidator(_blank_to_none)] = None
    submission_token: str = Field(..., min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("description")
    @classmethod
    def _description_has_words(cls, value: str) -> str:
        if not value:
            raise ValueError("description_empty")
        if not has_words(value):
            raise ValueError("description_no_words")
        return value

    @field_validator("time_bands")
    @classmethod
    def _known_time_bands(cls, value: list[str]) -> list[str]:
        return _known(value, TIME_BANDS)

    @field_validator("days")
    @classmethod
    def _known_days(cls, value: list[str]) -> list[str]:
        return _known(value, DAYS)

    @field_validator("age_band")
    @classmethod
    def _known_age_band(cls, value: str | None) -> str | None:
        if value is not None and value not in AGE_BANDS:
            raise ValueError("unknown_choice")
        return value

    @model_validator(mode="after")
    def _categories_fit_kind(self) -> ReportCreate:
        # Which codes an area offers is co-designed per area, so the service keeps only those it
        # offers; here only the shape of a code is checked.
        self.categories = [c for c in dict.fromkeys(self.categories) if _CATEGORY_CODE.fullmatch(c)]
        if (self.lat is None) != (self.lng is None):
            raise ValueError("location_half")
        if self.place_id is None and self.lat is None and not self.location_text:
            raise ValueError("location_missing")
        return self


def _known(values: list[str], allowed: dict[str, Any]) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError("unknown_choice")
    return list(dict.fromkeys(values))


def error_messages(exc: ValidationError) -> dict[str, str]:
    """Plain, kind messages in the reader's language, one per field."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        code = str(error.get("ctx", {}).get("error", "")) if error["type"] == "value_error" else error["type"]
        if code in {"location_missing", "location_half"}:
            field = "where"
        messages.setdefault(field, _message(field, code, error))
    return messages


def _message(field: str, code: str, error: Any) -> str:
    if code == "description_empty" or (field == "description" and code == "missing"):
        return _("Please tell us what it is like there, in a few words.")
    if code == "description_no_words":
        return _("Please add a few words as well as emoji, so the people reading it understand.")
    if code == "location_missing":
        return _("Please tell us where: choose a place, put a pin on the map or describe it in words.")
    if code == "location_half":
        return _("The map point was not complete. Please put the pin on the map again.")
    if code == "string_too_long":
        # Said plainly, with both numbers: the form keeps every word, so they can shorten it there.
        limit = int(error.get("ctx", {}).get("max_length", 0))
        typed = len(error.get("input") or "")
        return _(
            "This is %(count)s characters long. Please make it shorter: up to %(limit)s characters. Everything you wrote is still here.",
            count=_number(typed), limit=_number(limit),
        )
    if field == "kind":
        return _("Please choose what you want to tell us about.")
    if field == "submission_token":
        return _("Something went wrong with the form. Please press send again: your answers are still here.")
    return unknown_choice_message()


def unknown_choice_message() -> str:
    return _("Please check this answer.")


def _number(value: int) -> str:
    return format_decimal(value, locale=i18n.format_locale())


class ReportReceipt(BaseModel):
    receipt_code: str
    urgent: bool
    # Set when the words may mean someone is not safe: the client shows this page's help at once.
    help_url: str | None = None


class ReportStep(BaseModel):
    """One screen of the report form as posted: the answers so far (earlier screens' answers travel as
    hidden inputs), which screen it was and where to go next.

    Every answer is a plain string or list here, on purpose: judging them is ReportCreate's job, so a
    wrong or missing answer comes back as a kind message on its own screen with everything else still
    filled in, never as a bare 422 that loses what a young person typed. Size is bounded by the app's
    request body limit (app.main.MAX_BODY_BYTES).
    """

    model_config = ConfigDict(extra="ignore")

    step: str | None = None  # absent: a whole report in one post (older pages, scripts), sent at once
    go: str | None = None  # "next", "back", "send", "search", "clear_place", "change:<step>", "language:<code>"
    kind: str = ""
    place_id: str = ""
    location_text: str = ""
    lat: str = ""
    lng: str = ""
    place_query: str = ""
    me_too_context_id: str = ""
    time_bands: list[str] = Field(default_factory=list)
    days: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    description: str = ""
    feeling: str = ""
    what_would_help: str = ""
    reporter_role: str = ""
    age_band: str = ""
    group_name: str = ""
    # The optional equality questions (app.equality.questions): answer codes, stored apart once sent.
    eq_ethnicity: str = ""
    eq_disability: str = ""
    eq_sexual_orientation: str = ""
    eq_gender: str = ""
    returning: str = ""  # "check" while a screen was opened with "Change" from the check screen
    submission_token: str = ""
    csrf_token: str = ""
    # The honeypot: people never see it, form-filling robots fill it in (see app.reports.flow).
    extra_details_hp: str = ""
