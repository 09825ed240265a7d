"""Telephone numbers, found with the ``phonenumbers`` library (UK as the default region)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from app.moderation.triage.pii.spans import Span

# Cheap C-level hint: ten digits with at most short separators; most entries have none.
_PHONE_HINT_RE = re.compile(r"\d(?:[\s().+-]{0,3}\d){9}")
# Arabic-Indic (U+0660..) and Eastern Arabic-Indic (U+06F0..) digits are read as 0-9, so a
# number typed on an Arabic or Urdu keyboard is found too.
_TO_ASCII_DIGITS = {
    **{0x0660 + d: str(d) for d in range(10)},
    **{0x06F0 + d: str(d) for d in range(10)},
}


def find_phones(text: str) -> Iterator[Span]:
    # The translation keeps every offset: each digit is one character either way.
    ascii_text = text.translate(_TO_ASCII_DIGITS)
    if _PHONE_HINT_RE.search(ascii_text) is None:
        return
    matcher = phonenumbers.PhoneNumberMatcher(
        ascii_text, "GB", leniency=phonenumbers.Leniency.POSSIBLE
    )
    for match in matcher:
        # POSSIBLE leniency also accepts fictional Ofcom drama numbers (07700 900xxx);
        # the digit count rules out years, prices and bus numbers it would also accept.
        if sum(ch.isdigit() for ch in match.raw_string) >= 10:
            yield Span("phone", match.start, match.end)
