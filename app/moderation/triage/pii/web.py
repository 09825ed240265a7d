"""E-mail addresses and links (with or without a scheme)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.moderation.triage.pii.spans import Span, strip_trailing_punctuation

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

_URL_TAIL = r"[^\s<>\"'()\[\]{}]*"
TLDS = (
    r"(?:co\.uk|org\.uk|gov\.uk|ac\.uk|nhs\.uk|sch\.uk|police\.uk|ltd\.uk|com|org|net|uk|io|me|ly|"
    r"info|app|tv|gg|link|biz|xyz|co|cymru|wales|online|site|page)"
)
_URL_RE = re.compile(
    rf"(?:\bhttps?://{_URL_TAIL}|\bwww\.{_URL_TAIL}"
    rf"|(?<![\w@.-])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.{TLDS}\b(?:/{_URL_TAIL})?)",
    re.IGNORECASE,
)
# Cheap hint: most entries contain no link at all.
_URL_HINT_RE = re.compile(rf"https?:|www\.|\.{TLDS}\b", re.IGNORECASE)


def find_emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for match in _EMAIL_RE.finditer(text):
        yield Span("email", match.start(), match.end())


def find_urls(text: str) -> Iterator[Span]:
    if _URL_HINT_RE.search(text) is None:
        return
    for match in _URL_RE.finditer(text):
        end = strip_trailing_punctuation(text, match.start(), match.end())
        if end > match.start():
            yield Span("url", match.start(), end)
