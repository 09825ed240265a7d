"""Words for the register's codes, translated when shown (codes are what the database keeps)."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.support import LazyProxy

from app.core.i18n import format_locale
from app.core.i18n import lazy_gettext as _l

STATUS: dict[str, LazyProxy] = {
    "new": _l("New"),
    "watching": _l("Watching"),
    "assessing": _l("Assessing"),
    "on_panel_agenda": _l("On panel agenda"),
    "plan_in_place": _l("Plan in place"),
    "reviewing": _l("Reviewing"),
    "closed": _l("Closed"),
}
KIND: dict[str, LazyProxy] = {"place": _l("Place"), "online": _l("Online space"), "setting": _l("Setting")}
ENTRY_KIND: dict[str, LazyProxy] = {"safe": _l("Safe"), "unsafe": _l("Unsafe"), "structural": _l("Needs to change")}
RESPONSE: dict[str, LazyProxy] = {
    "relational": _l("Relational (youth work, trusted adults)"),
    "provision": _l("Provision (somewhere to go, services)"),
    "guardianship": _l("Guardianship (people who look out)"),
    "environment": _l("Environment (lighting, design, transport)"),
    "policy": _l("Policy or practice"),
    "enforcement": _l("Enforcement"),
}
ACTION_STATUS: dict[str, LazyProxy] = {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done"), "stopped": _l("Stopped")}
SOURCE: dict[str, LazyProxy] = {
    "young_person": _l("a young person"),
    "family": _l("a family member"),
    "community": _l("a community member"),
    "practitioner": _l("a practitioner"),
    "workshop": _l("a workshop"),
    "unknown": _l("someone who did not say"),
}
ASSESSMENT: dict[str, LazyProxy] = {
    "strengths": _l("Strengths and needs of young people here"),
    "guardianship": _l("Guardianship: adults who look out for young people here"),
    "environment": _l("Environment, resources and policy"),
}
PERIOD: dict[str, LazyProxy] = {"3m": _l("Last 3 months"), "6m": _l("Last 6 months"), "12m": _l("Last 12 months"), "all": _l("All time")}
SORT: dict[str, LazyProxy] = {
    "activity": _l("Latest entry first"),
    "unsafe": _l("Most unsafe entries"),
    "total": _l("Most entries"),
    "name": _l("Name"),
    "status": _l("Status (cycle order)"),
}


def label(table: dict[str, LazyProxy], code: str | None) -> str:
    if not code:
        return ""
    found = table.get(code)
    return str(found) if found is not None else code.replace("_", " ")


ALL = {
    "status": STATUS, "kind": KIND, "entry_kind": ENTRY_KIND, "response": RESPONSE, "action_status": ACTION_STATUS,
    "source": SOURCE, "assessment": ASSESSMENT, "period": PERIOD, "sort": SORT,
}


# The notes the product writes into a context's status history, as codes with their values
# (`ContextStatusChange.note_code`, `note_params`), in the reader's words when shown.
STATUS_NOTES: dict[str, LazyProxy] = {
    "flagged_for_panel": _l("Flagged for the next panel"),
    "merged_into": _l("Merged into %(name)s"),
    "panel_decision": _l("Panel decision of %(date)s"),
}


def status_note(change: Any) -> str:
    """A status change's note in the reader's language: the product's own note (a code and its
    values), then what a person typed, as they typed it."""
    typed = str(change.note or "")
    message = STATUS_NOTES.get(change.note_code or "")
    if message is None:
        return typed
    values = {"name": "", "date": ""} | {str(k): str(v) for k, v in (change.note_params or {}).items()}
    with contextlib.suppress(ValueError):
        values["date"] = format_date(date.fromisoformat(values["date"]), "medium", locale=format_locale())
    words = str(message) % values
    return f"{words}: {typed}" if typed else words
