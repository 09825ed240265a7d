"""What an area administrator may type into the area's safeguarding settings, checked before saving."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

from app.core.i18n import lazy_gettext as _l

_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def parse_addresses(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or new lines; each once, in order."""
    addresses = list(dict.fromkeys(part.strip() for part in re.split(r"[,;\s]+", text or "") if part.strip()))
    if any(not _ADDRESS.match(address) for address in addresses):
        raise ValueError("email")
    return addresses


class SafeguardingSettingsForm(BaseModel):
    """The form as posted: text, so a mistake comes back with its message instead of a bare 400."""

    safeguarding_emails: str = Field("", max_length=2000)
    escalation_emails: str = Field("", max_length=2000)
    urgent_response_minutes: str = Field("", max_length=10)
    review_hours: str = Field("", max_length=10)


class SafeguardingSettings(BaseModel):
    safeguarding_emails: list[str]
    escalation_emails: list[str]
    urgent_response_minutes: int = Field(ge=1, le=1440)
    review_hours: int = Field(ge=1, le=720)

    @field_validator("safeguarding_emails", "escalation_emails", mode="before")
    @classmethod
    def _addresses(cls, value: object) -> list[str]:
        addresses = parse_addresses(str(value))
        if len(", ".join(addresses)) > 1000:
            raise ValueError("too_long")
        return addresses

    @field_validator("safeguarding_emails")
    @classmethod
    def _someone(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("empty")
        return value


FIELD_ERRORS = {
    "safeguarding_emails": _l("Enter at least one safeguarding contact's email address, like duty@council.example. Separate several with commas."),
    "escalation_emails": _l("Check the escalation addresses: each one looks like manager@council.example, separated by commas."),
    "urgent_response_minutes": _l("Enter the urgent response time as a whole number of minutes, from 1 to 1440 (one day)."),
    "review_hours": _l("Enter the review time as a whole number of hours, from 1 to 720 (30 days)."),
}
