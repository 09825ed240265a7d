"""The area's own help contacts: local services people can turn to, and the languages each helps in.

They are a JSON list on the area row (`Area.help_contacts`), in the order people see them:

    {"key": "3f9a0c1d", "name": ..., "phone": ..., "url": ..., "description": ...,
     "languages": "pl,ro,interpreter"}

`languages` holds shipped locale codes, comma-separated like the area's other language settings,
and `interpreter` for "any language, with an interpreter". Entries written before there was a
screen for them (the demo loader, older data) have no key and no languages, and keep working: they
are shown in every language without a tag, and get a key from their words when this screen reads
them, so they can be changed or removed like the rest.

The help pages read the area row fresh on every request (app/areas/lookup.py caches only the
gazetteer and the words beside it), so a saved change shows on the next page at once, in every
process, with nothing to invalidate.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from app.areas.models import Area
from app.audit import service as audit
from app.core.i18n import SHIPPED_LOCALES

if TYPE_CHECKING:
    from app.areas.forms import HelpContactIn

INTERPRETER = "interpreter"
LANGUAGE_CODES: tuple[str, ...] = (*SHIPPED_LOCALES, INTERPRETER)
# Enough for a council and its partners; the list is on every public page, so it stays short.
MAX_CONTACTS = 30


class HelpContactError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class HelpContact:
    key: str
    name: str
    phone: str = ""
    url: str = ""
    description: str = ""
    languages: tuple[str, ...] = ()

    @classmethod
    def from_stored(cls, entry: dict[str, Any]) -> HelpContact:
        languages = entry.get("languages") or ""
        codes = languages.split(",") if isinstance(languages, str) else [str(code) for code in languages]
        return cls(
            key=str(entry.get("key") or _legacy_key(entry)),
            name=str(entry.get("name") or ""),
            phone=str(entry.get("phone") or ""),
            url=str(entry.get("url") or ""),
            description=str(entry.get("description") or ""),
            languages=tuple(code for code in LANGUAGE_CODES if code in codes),
        )

    def stored(self) -> dict[str, str]:
        return {
            "key": self.key, "name": self.name, "phone": self.phone, "url": self.url,
            "description": self.description, "languages": ",".join(self.languages),
        }


def _legacy_key(entry: dict[str, Any]) -> str:
    """A key for an entry saved without one: from its words, so it is the same on every read."""
    words = json.dumps(entry, sort_keys=True, ensure_ascii=False)
    return "w" + hashlib.sha256(words.encode()).hexdigest()[:11]


def contacts_of(area: Area) -> list[HelpContact]:
    return [HelpContact.from_stored(entry) for entry in area.help_contacts or [] if isinstance(entry, dict)]


@dataclass(frozen=True)
class ContactsForPage:
    """An area's contacts as a page in one language lists them, each group in the area's order."""

    in_language: list[HelpContact]  # they help in the page's language
    with_interpreter: list[HelpContact]  # they help in any language, with an interpreter
    others: list[HelpContact]


def contacts_for_page(area: Area | None, locale: str) -> ContactsForPage:
    groups = ContactsForPage([], [], [])
    for contact in contacts_of(area) if area is not None else []:
        if locale in contact.languages:
            groups.in_language.append(contact)
        elif INTERPRETER in contact.languages:
            groups.with_interpreter.append(contact)
        else:
            groups.others.append(contact)
    return groups


def find_contact(area: Area, key: str) -> HelpContact | None:
    return next((contact for contact in contacts_of(area) if contact.key == key), None)


def _area_for_update(session: Session, area_id: int) -> Area:
    # FOR UPDATE on PostgreSQL, so two admins saving at once each change the list the other left;
    # SQLite's BEGIN IMMEDIATE (the write session) already lets only one writer in.
    return session.exec(select(Area).where(Area.id == area_id).with_for_update()).one()


def _store(session: Session, area: Area, contacts: list[HelpContact]) -> None:
    # A new list, never the old one changed in place: SQLAlchemy notices a JSON column only when it is set.
    area.help_contacts = [contact.stored() for contact in contacts]
    session.add(area)


def _audit(
    session: Session, area: Area, action: str, contact: HelpContact, contacts: list[HelpContact], actor_id: int | None,
    changed: list[str] | None = None,
) -> None:
    # Keys, field names, counts and language codes only: the words and numbers are on the public
    # page already, and the audit log keeps no more than it needs.
    detail: dict[str, Any] = {"contact_key": contact.key, "languages": list(contact.languages), "contacts": len(contacts)}
    if changed is not None:
        detail["changed"] = changed
    audit.record(session, f"area.help_contact_{action}", area_id=area.id, actor_id=actor_id, subject_type="area", subject_id=area.id, **detail)


def save_help_contact(session: Session, area_id: int, contact_in: HelpContactIn, *, key: str = "", actor_id: int | None) -> HelpContact:
    """Adds a contact (no key) or changes one (its key), at `contact_in.position` in the list (1 first;
    past the end is the end; none: the end for a new one, where it was for a change), and commits."""
    area = _area_for_update(session, area_id)
    contacts = contacts_of(area)
    keys = [contact.key for contact in contacts]
    if key and key not in keys:
        raise HelpContactError("gone")
    if not key and len(contacts) >= MAX_CONTACTS:
        raise HelpContactError("too_many")
    contact = HelpContact(
        key=key or secrets.token_hex(4), name=contact_in.name, phone=contact_in.phone, url=contact_in.url,
        description=contact_in.description, languages=contact_in.languages,
    )
    index = keys.index(key) if key else len(contacts)
    changed: list[str] | None = None
    if key:
        before = contacts.pop(index).stored()
        changed = sorted(name for name, value in contact.stored().items() if before[name] != value)
    if contact_in.position is not None:
        moved_to = min(contact_in.position - 1, len(contacts))
        if changed is not None and moved_to != index:
            changed.append("position")
        index = moved_to
    contacts.insert(index, contact)
    _store(session, area, contacts)
    _audit(session, area, "changed" if key else "added", contact, contacts, actor_id, changed)
    session.commit()
    return contact


def remove_help_contact(session: Session, area_id: int, key: str, *, actor_id: int | None) -> HelpContact | None:
    """Takes a contact off the list and commits; None when it was not there (removed already)."""
    area = _area_for_update(session, area_id)
    contacts = contacts_of(area)
    removed = next((contact for contact in contacts if contact.key == key), None)
    if removed is None:
        session.rollback()
        return None
    contacts.remove(removed)
    _store(session, area, contacts)
    _audit(session, area, "removed", removed, contacts, actor_id)
    session.commit()
    return removed
