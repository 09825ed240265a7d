"""What an area administrator may type into the area's settings (safeguarding, time zone), checked before saving."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

from app.core.i18n import DEFAULT_TIME_ZONE, known_time_zones
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
    time_zone: str = Field("", max_length=100)
    alert_locales: list[str] = Field(default_factory=list, max_length=20)


def parse_time_zone(text: str) -> str:
    """An IANA time zone name as the zone database spells it ("europe/london" is Europe/London);
    blank is the default, Europe/London."""
    name = "".join((text or "").split())
    if not name:
        return DEFAULT_TIME_ZONE
    if name in known_time_zones():
        return name
    by_folded = {known.casefold(): known for known in known_time_zones()}
    if name.casefold() in by_folded:
        return by_folded[name.casefold()]
    raise ValueError("unknown_time_zone")


class SafeguardingSettings(BaseModel):
    safeguarding_emails: list[str]
    escalation_emails: list[str]
    urgent_response_minutes: int = Field(ge=1, le=1440)
    review_hours: int = Field(ge=1, le=720)
    time_zone: str = DEFAULT_TIME_ZONE
    # Checked against the area's own languages by the route (a schema does not know the area).
    alert_locales: list[str] = Field(default_factory=list)

    @field_validator("time_zone", mode="before")
    @classmethod
    def _zone(cls, value: object) -> str:
        return parse_time_zone(str(value or ""))

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
    "time_zone": _l("Enter a time zone from the list, as a region and a city, like Europe/London or Europe/Dublin."),
    "alert_locales": _l("Choose the languages from the list: they are the ones this area is offered in."),
}
