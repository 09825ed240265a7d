"""Triage detectors every Safety Map entry passes through before a moderator sees it.

* ``find_personal_details`` -- spans of names, phone numbers, addresses, ... to redact.
* ``detect_disclosure`` -- the hand-written rules: whether the entry discloses a child at
  risk (urgent), with reasons a moderator can read.
* ``assess_urgency`` -- the rules and the learned model (``model.py``) together, graded
  "likely" / "possible" / "none", with the cues behind the grade.
* ``triage`` -- urgency and personal details at once; ``apply_redactions`` -- publishable text.
* ``triage_jsonl`` -- the batch/CLI contract.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from app.moderation.triage.disclosure import (
    DisclosureAssessment,
    detect_disclosure,
    explain_disclosure,
)
from app.moderation.triage.jsonl import triage_jsonl
from app.moderation.triage.pii import PII_KINDS, Span, find_personal_details
from app.moderation.triage.redact import KIND_LABELS, apply_redactions
from app.moderation.triage.urgency import Urgency, assess_urgency

__all__ = [
    "KIND_LABELS",
    "PII_KINDS",
    "DisclosureAssessment",
    "Span",
    "TriageResult",
    "Urgency",
    "apply_redactions",
    "assess_urgency",
    "detect_disclosure",
    "explain_disclosure",
    "find_personal_details",
    "triage",
    "triage_jsonl",
]


@dataclass(frozen=True)
class TriageResult:
    urgent: bool  # True for both "likely" and "possible"
    reasons: tuple[str, ...]  # e.g. "criminal_exploitation", "self_harm"; empty when not urgent
    pii: tuple[Span, ...]  # sorted by start, non-overlapping
    level: str = "none"  # "likely" | "possible" | "none"
    cues: tuple[str, ...] = ()  # human-readable: rule cues and the words that raised the score


class _RecentResults:
    """The results for the last few texts, so the same words are not triaged again on every screen.

    A report's answers travel with every screen after the one that asked them, and each screen
    grades them (help shows at once), so one report's words reach triage four or five times and a
    send repeats what the check screen just did. A result depends only on the text and the names
    it was checked against (the rules and the model are fixed for the process), and it is frozen,
    so the same object may be handed out again. Keyed by a digest of the text, never the text; a
    text not seen here, or pushed out, is triaged in full. Per process, bounded, thread-safe.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._results: OrderedDict[tuple[bytes, tuple[str, ...], tuple[str, ...]], TriageResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[bytes, tuple[str, ...], tuple[str, ...]]) -> TriageResult | None:
        with self._lock:
            result = self._results.get(key)
            if result is not None:
                self._results.move_to_end(key)
            return result

    def put(self, key: tuple[bytes, tuple[str, ...], tuple[str, ...]], result: TriageResult) -> None:
        with self._lock:
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self._size:
                self._results.popitem(last=False)


RECENT_RESULTS = _RecentResults(512)


def triage(
    text: str, *, school_names: Sequence[str] = (), place_names: Sequence[str] = ()
) -> TriageResult:
    key = None
    if not isinstance(school_names, str) and not isinstance(place_names, str):  # a string is refused below
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        key = (digest, tuple(school_names), tuple(place_names))
        found = RECENT_RESULTS.get(key)
        if found is not None:
            return found
    urgency = assess_urgency(text)
    spans = find_personal_details(text, school_names=school_names, place_names=place_names)
    result = TriageResult(
        urgent=urgency.urgent,
        reasons=urgency.reasons,
        pii=tuple(spans),
        level=urgency.level,
        cues=urgency.cues,
    )
    if key is not None:
        RECENT_RESULTS.put(key, result)
    return result
