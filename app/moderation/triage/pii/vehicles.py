"""UK vehicle registrations: current ("KX39 TRD"), prefix ("R482 KLM") and suffix
("ABC 123D") formats, in capitals anywhere, and in lower case when the shape is the
distinctive current one ("ab12cde", "wn14 ekc") or a plate word comes first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.moderation.triage.pii.spans import Span

_REG_CURRENT = r"[A-Z]{2}[0-9]{2} ?[A-Z]{3}"
_REG_PREFIX = r"[A-HJ-NPR-Y][0-9]{1,3} ?[A-Z]{3}"
_REG_SUFFIX = r"[A-Z]{3} ?[0-9]{1,3}[A-HJ-NPR-Y]"
_VEHICLE_RE = re.compile(rf"\b(?:{_REG_CURRENT}|{_REG_PREFIX}|{_REG_SUFFIX})\b")
# Lower case: only the current format, with its real constraints. The first letter is a
# region (never I, Q or Z), the age identifier is 02-29 or 51-79 (the years to 2029),
# and the three random letters never use I or Q.
_REG_CURRENT_LOWER_RE = re.compile(
    r"\b[a-hj-pr-y][a-z](?:0[2-9]|1[0-9]|2[0-9]|5[1-9]|6[0-9]|7[0-9]) ?[a-hj-pr-z]{3}\b"
)
# After a plate word any letter+digit plate shape counts, in any case. The words are
# English, Welsh ("rhif"), Polish ("rejestracja", "tablica"), Romanian ("număr de
# înmatriculare"), Somali ("taarikada") and Urdu ("number plate", "gaari number").
_PLATE_WORDS = (
    r"(?:reg(?:istration)?|number ?plate|plate|reg (?:number|no\.?)|rhif cofrestru|"
    r"rejestracj[aięy]|numer rejestracyjny|tablic[aey] rejestracyjn[aey]|"
    r"num[aă]r(?:ul)? de [iî]nmatriculare|[iî]nmatriculare|taarikad(?:a|da)|gaari (?:ka )?number)"
)
_VEHICLE_CONTEXT_RE = re.compile(
    rf"\b{_PLATE_WORDS}\b"
    r"(?:\s+(?:is|was|number|no\.?|to|yw|este|waa|hai))?\s*[:\-]?\s*"
    r"(?P<plate>(?=[A-Z0-9 ]{0,8}[0-9])(?=[A-Z0-9 ]{0,8}[A-Z])[A-Z0-9]{2,4} ?[A-Z0-9]{1,4})\b",
    re.IGNORECASE,
)
_LETTER_DIGIT_RE = re.compile(r"[A-Za-z]\d|\d[A-Za-z]")
_VEHICLE_HINT_RE = re.compile(r"reg|plate|rejestr|tablic|matricul|taarik|rhif", re.IGNORECASE)
_LETTER_RE = re.compile(r"[^\W\d_]")
_UPPER_RE = re.compile(r"[A-Z]")


def _is_shouting(text: str) -> bool:
    letters = len(_LETTER_RE.findall(text))
    return letters > 20 and len(_UPPER_RE.findall(text)) > 0.6 * letters


def find_vehicle_regs(text: str) -> Iterator[Span]:
    if _LETTER_DIGIT_RE.search(text) is None and _VEHICLE_HINT_RE.search(text) is None:
        return
    # In all-caps text almost any word+number looks like a plate, so rely on context only.
    if not _is_shouting(text):
        for match in _VEHICLE_RE.finditer(text):
            yield Span("vehicle_reg", match.start(), match.end())
        for match in _REG_CURRENT_LOWER_RE.finditer(text):
            yield Span("vehicle_reg", match.start(), match.end())
    for match in _VEHICLE_CONTEXT_RE.finditer(text):
        yield Span("vehicle_reg", match.start("plate"), match.end("plate"))
