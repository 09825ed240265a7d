"""What an area administrator may type about the area's own help contacts, checked before saving.

Each contact is a local service people can call or visit: its name, a phone number and a web address
(at least one of the two, so people can reach it), a few words about it, and the languages it helps
in. Nobody here can check which services help in which language, so the council and its partners say.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup
from pydantic import BaseModel, Field, ValidationError, field_validator

from app.areas.help_contacts import INTERPRETER, LANGUAGE_CODES, MAX_CONTACTS
from app.core.forms import field_messages
from app.core.i18n import LOCALE_NAMES
from app.core.i18n import lazy_gettext as _l

NAME_MAX = 120
DESCRIPTION_MAX = 300
URL_MAX = 500
_PHONE = re.compile(r"^\+?[0-9][0-9 ]*$")
# Separators people type in phone numbers: shown as spaces, so the tel: link is digits only.
_PHONE_SEPARATORS = re.compile(r"[\s.()\-]+")
_HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")


class HelpContactForm(BaseModel):
    """The form as posted: text, so a mistake comes back with its message and everything typed."""

    # Which contact is being changed; blank for a new one.
    key: str = Field("", max_length=40)
    name: str = Field("", max_length=2000)
    phone: str = Field("", max_length=200)
    url: str = Field("", max_length=2000)
    description: str = Field("", max_length=2000)
    languages: list[str] = Field(default_factory=list, max_length=20)
    position: str = Field("", max_length=10)


class HelpContactRemoveForm(BaseModel):
    key: str = Field("", max_length=40)


def parse_phone(text: str) -> str:
    """A phone number as people read it ("01632 960123", "+44 1632 960123"); blank if none given."""
    number = _PHONE_SEPARATORS.sub(" ", text or "").strip()
    if not number:
        return ""
    digits = sum(character.isdigit() for character in number)
    if not _PHONE.match(number) or not 3 <= digits <= 15:
        raise ValueError("phone")
    return number


def parse_web_address(text: str) -> str:
    """An https:// address of a real-looking host; "www.example.org" is read as https://www.example.org.

    Plain http:// is refused (the page could be changed on its way to a phone), and so is anything
    with a name and password in it, which can hide where a link really goes.
    """
    address = (text or "").strip()
    if not address:
        return ""
    if "://" not in address and not address.lower().startswith(("http:", "https:")):
        address = f"https://{address}"
    if len(address) > URL_MAX or any(character.isspace() for character in address):
        raise ValueError("url")
    try:
        parts = urlsplit(address)
        hostname = parts.hostname or ""
        _ = parts.port  # a malformed port raises here
    except ValueError as exc:
        raise ValueError("url") from exc
    if parts.scheme.lower() != "https" or "@" in parts.netloc or not _HOSTNAME.match(hostname):
        raise ValueError("url")
    return address


class HelpContactIn(BaseModel):
    """A help contact as it will be saved."""

    name: str = Field(min_length=1, max_length=NAME_MAX)
    phone: str = ""
    url: str = ""
    description: str = Field("", max_length=DESCRIPTION_MAX)
    languages: tuple[str, ...] = ()
    # Where it goes in the list, 1 first; None: at the end for a new contact, where it was for a change.
    position: int | None = Field(None, ge=1, le=MAX_CONTACTS)

    @field_validator("name", "description", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> str:
        return " ".join(str(value or "").split())

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> str:
        return parse_phone(str(value or ""))

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: object) -> str:
        return parse_web_address(str(value or ""))

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: object) -> tuple[str, ...]:
        items = value if isinstance(value, list | tuple | set) else [value] if value else []
        chosen = {str(code).strip() for code in items} - {""}
        if chosen - set(LANGUAGE_CODES):
            raise ValueError("languages")
        return tuple(code for code in LANGUAGE_CODES if code in chosen)

    @field_validator("position", mode="before")
    @classmethod
    def _position(cls, value: object) -> object:
        text = str(value or "").strip()
        return int(text) if text.isdigit() else (text or None)


FIELD_ERRORS = {
    "name": _l("Enter the name of the service, in 120 characters or fewer."),
    "phone": _l("Enter the phone number in numbers, like 01632 960123 or +44 1632 960123."),
    "url": _l("Enter the web address starting with https://, like https://www.example.org.uk/help. Addresses starting with http:// are not accepted."),
    "description": _l("Keep the few words about the service to 300 characters or fewer."),
    "languages": _l("Choose the languages from the list."),
    "position": _l("Enter its place in the list as a whole number, 1 for the top."),
    "reach": _l("Give a phone number or a web address, so people can reach the service."),
}


def check_help_contact(data: HelpContactForm) -> tuple[HelpContactIn | None, dict[str, str]]:
    """The contact to save, or the messages to show beside what was typed (one per field)."""
    errors: dict[str, str] = {}
    values = data.model_dump(exclude={"key"})
    try:
        parsed = HelpContactIn.model_validate(values)
    except ValidationError as exc:
        return None, field_messages(exc, FIELD_ERRORS, into=errors)
    if not parsed.phone and not parsed.url:
        errors["phone"] = str(FIELD_ERRORS["reach"])
        return None, errors
    return parsed, errors


def language_choices(codes: tuple[str, ...] | list[str]) -> dict[str, Markup]:
    """Checkbox labels: each language by its own name, marked up in that language for screen readers."""
    return {code: Markup('<span lang="{}">{}</span>').format(code, LOCALE_NAMES.get(code, code)) for code in codes}


def help_language_choices() -> dict[str, object]:
    """The languages a help contact may help in: every shipped language, and any with an interpreter."""
    choices: dict[str, object] = dict(language_choices([code for code in LANGUAGE_CODES if code != INTERPRETER]))
    choices[INTERPRETER] = _l("Any language, with an interpreter")
    return choices
