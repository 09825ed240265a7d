"""What an area starts with before it co-designs its own words: the defaults in app.reports.taxonomy.

Keys name what a label is for: "category:<code>" for a category, "question:<name>" for a question
on the report form. The question texts below are the same messages the form templates use, so the
existing translations serve them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from babel.support import LazyProxy

from app.core import i18n
from app.core.i18n import lazy_gettext as _l
from app.reports.taxonomy import CATEGORIES, KIND_HINTS, KIND_LABELS

QUESTIONS: dict[str, LazyProxy] = {
    "where": _l("Where is it?"),
    "when": _l("When is it like this?"),
    "what": _l("What is it like there?"),
    "description": _l("Tell us in your own words"),
    "feel": _l("How safe does it feel?"),
    "what_would_help": _l("What would make it better, or keep it good? (optional)"),
}
# What each question is, for the people editing it (the form shows the question itself).
QUESTION_NAMES: dict[str, LazyProxy] = {
    "kind_label": _l("The name of this kind of report"),
    "kind_hint": _l("The hint under that name"),
    "where": _l("Where"),
    "when": _l("When"),
    "what": _l("What it is like (heading)"),
    "description": _l("What it is like (in their own words)"),
    "feel": _l("How safe it feels"),
    "what_would_help": _l("What would help"),
}
QUESTION_KEYS: tuple[str, ...] = tuple(QUESTION_NAMES)


def category_key(code: str) -> str:
    return f"category:{code}"


def question_key(name: str) -> str:
    return f"question:{name}"


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    """Translate lazy labels into `locale` for a moment, then back to the request's language."""
    previous = i18n.get_locale()
    i18n.set_locale(locale)
    try:
        yield
    finally:
        i18n.set_locale(previous)


def default_categories(kind: str) -> list[str]:
    return list(CATEGORIES.get(kind, {}))


def default_label(kind: str, key: str, locale: str) -> str:
    """The default words for a key in a language; empty when there is no default (an added category)."""
    family, _, name = key.partition(":")
    label: LazyProxy | None = None
    if family == "category":
        label = CATEGORIES.get(kind, {}).get(name)
    elif name == "kind_label":
        label = KIND_LABELS.get(kind)
    elif name == "kind_hint":
        label = KIND_HINTS.get(kind)
    elif family == "question":
        label = QUESTIONS.get(name)
    if label is None:
        return ""
    with speaking(locale):
        return str(label)
