"""An area's thresholds for finding patterns, as its admins set them on the patterns page.

No row means the defaults (`detection.DEFAULTS`). The form is read as text, so a mistake comes back
with its message; the bounds keep a pattern meaningful. Every change is audited with its values.
"""

from __future__ import annotations

from typing import Any

from babel.support import LazyProxy
from pydantic import BaseModel, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlmodel import Session

from app.audit import service as audit
from app.core.forms import field_messages
from app.core.i18n import lazy_gettext as _l
from app.core.types import utcnow
from app.register.patterns.detection import DEFAULTS, Thresholds
from app.register.patterns.models import PatternSettings

# --- Thresholds --------------------------------------------------------------------------------

SIGNIFICANCE_CHOICES: dict[str, LazyProxy] = {
    "0.001": _l("Very strict: 1 in 1000"),
    "0.005": _l("Strict: 1 in 200"),
    "0.01": _l("Usual: 1 in 100"),
    "0.05": _l("Relaxed: 1 in 20"),
}


class PatternSettingsForm(BaseModel):
    """The form as posted: text, so a mistake comes back with its message instead of a bare 400."""

    min_count: str = PydanticField("", max_length=10)
    min_ratio: str = PydanticField("", max_length=10)
    significance: str = PydanticField("", max_length=10)
    recent_weeks: str = PydanticField("", max_length=10)
    baseline_weeks: str = PydanticField("", max_length=10)
    min_contexts: str = PydanticField("", max_length=10)


class PatternSettingsInput(BaseModel):
    """What an area admin may set. Bounds keep a pattern meaningful: never a single entry, never a
    window too short to have a baseline, never a test so loose that most findings are chance."""

    min_count: int = PydanticField(ge=3, le=100)
    min_ratio: float = PydanticField(ge=1.5, le=10)
    significance: float
    recent_weeks: int = PydanticField(ge=1, le=8)
    baseline_weeks: int = PydanticField(ge=4, le=52)
    min_contexts: int = PydanticField(ge=2, le=20)

    @field_validator("min_ratio", mode="before")
    @classmethod
    def _decimal_comma(cls, value: object) -> object:
        return value.replace(",", ".") if isinstance(value, str) else value

    @field_validator("significance", mode="before")
    @classmethod
    def _one_of_the_choices(cls, value: object) -> float:
        if str(value) not in SIGNIFICANCE_CHOICES:
            raise ValueError("choice")
        return float(str(value))

    @model_validator(mode="after")
    def _baseline_longer(self) -> PatternSettingsInput:
        if self.baseline_weeks < 2 * self.recent_weeks:
            raise ValueError("baseline_short")
        return self


FIELD_ERRORS: dict[str, LazyProxy] = {
    "min_count": _l("Enter the minimum number of entries as a whole number from 3 to 100."),
    "min_ratio": _l(
        "Enter how many times the usual rate as a number from 1.5 to 10, like 2 or 2.5."
    ),
    "significance": _l("Choose how sure the numbers need to be."),
    "recent_weeks": _l("Enter the recent weeks as a whole number from 1 to 8."),
    "baseline_weeks": _l(
        "Enter the weeks to compare with as a whole number from 4 to 52, at least twice the recent weeks."
    ),
    "min_contexts": _l(
        "Enter the fewest contexts for a shared pattern as a whole number from 2 to 20."
    ),
}


def thresholds_for(session: Session, area_id: int) -> Thresholds:
    row = session.get(PatternSettings, area_id)
    if row is None:
        return DEFAULTS
    return Thresholds(
        row.min_count,
        row.min_ratio,
        row.significance,
        row.recent_weeks,
        row.baseline_weeks,
        row.min_contexts,
    )


def form_values(thresholds: Thresholds) -> dict[str, str]:
    return {
        "min_count": str(thresholds.min_count),
        "min_ratio": f"{thresholds.min_ratio:g}",
        "significance": f"{thresholds.significance:g}",
        "recent_weeks": str(thresholds.recent_weeks),
        "baseline_weeks": str(thresholds.baseline_weeks),
        "min_contexts": str(thresholds.min_contexts),
    }


def settings_errors(exc: Any) -> dict[str, str]:
    """Each refused field's message, once ("baseline_short" belongs to the baseline field)."""
    errors = field_messages(exc, FIELD_ERRORS)
    return errors or {"baseline_weeks": str(FIELD_ERRORS["baseline_weeks"])}


def save_settings(
    session: Session, area_id: int, values: PatternSettingsInput, *, actor_id: int | None
) -> None:
    row = session.get(PatternSettings, area_id) or PatternSettings(area_id=area_id)
    changed = sorted(
        name for name, value in values.model_dump().items() if getattr(row, name) != value
    )
    for name, value in values.model_dump().items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    row.updated_by_id = actor_id
    session.add(row)
    audit.record(
        session,
        "patterns.settings_changed",
        area_id=area_id,
        actor_id=actor_id,
        subject_type="area",
        subject_id=area_id,
        changed=changed,
        **values.model_dump(),
    )
    session.commit()
