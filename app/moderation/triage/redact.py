"""Replace accepted personal-detail spans with neutral markers.

Guarantee: the returned text never contains (case-insensitively) the text of any
accepted span. Besides the span itself, every other occurrence of the same text is
removed too -- a name flagged once but repeated later must not be published. An
occurrence inside a longer word removes that whole word ("Jess" in "Jessica"), because
publishing part of a detail is still publishing it. Over-redaction is the safe failure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.moderation.triage.pii import Span

KIND_LABELS: dict[str, str] = {
    "phone": "[phone number removed]",
    "email": "[email removed]",
    "postcode": "[postcode removed]",
    "street_address": "[address removed]",
    "vehicle_reg": "[vehicle registration removed]",
    "social_handle": "[social media name removed]",
    "url": "[link removed]",
    "person_name": "[name removed]",
    "school_name": "[school name removed]",
}
# Used when a detail's own text appears inside its usual marker (a handle "removed").
_FALLBACK_LABELS = ("[removed]", "[…]")


def _clip(span: Span, length: int) -> tuple[int, int] | None:
    start, end = max(0, span.start), min(length, span.end)
    return (start, end) if start < end else None


def _expand_to_word(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def _intervals_to_remove(text: str, spans: Sequence[Span]) -> list[tuple[int, int, str]]:
    intervals: list[tuple[int, int, str]] = []
    for span in spans:
        clipped = _clip(span, len(text))
        if clipped is None:
            continue
        start, end = clipped
        intervals.append((start, end, span.kind))
        detail = text[start:end].strip()
        if not any(ch.isalnum() for ch in detail):
            continue
        for match in re.finditer(re.escape(detail), text, re.IGNORECASE):
            word_start, word_end = _expand_to_word(text, match.start(), match.end())
            intervals.append((word_start, word_end, span.kind))
    return intervals


def _merge(intervals: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Merge overlapping or touching intervals; the longest contributor names the kind."""
    merged: list[tuple[int, int, str, int]] = []
    for start, end, kind in sorted(intervals):
        if merged and start <= merged[-1][1]:
            m_start, m_end, m_kind, m_len = merged[-1]
            if end - start > m_len:
                m_kind, m_len = kind, end - start
            merged[-1] = (m_start, max(m_end, end), m_kind, m_len)
        else:
            merged.append((start, end, kind, end - start))
    return [(start, end, kind) for start, end, kind, _ in merged]


def _label_for(kind: str, forbidden: Sequence[str]) -> str:
    for label in (KIND_LABELS.get(kind, "[personal detail removed]"), *_FALLBACK_LABELS):
        if not any(f in label.casefold() for f in forbidden):
            return label
    return ""


def apply_redactions(text: str, spans: Sequence[Span]) -> str:
    """``text`` with each span (and any repeat of its text) replaced by a marker."""
    forbidden = [
        text[c[0] : c[1]].strip().casefold()
        for c in (_clip(s, len(text)) for s in spans)
        if c is not None and text[c[0] : c[1]].strip()
    ]
    pieces: list[str] = []
    cursor = 0
    for start, end, kind in _merge(_intervals_to_remove(text, spans)):
        pieces.append(text[cursor:start])
        pieces.append(_label_for(kind, forbidden))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
