"""Triage detectors every Safety Map entry passes through before a moderator sees it.

* ``find_personal_details`` -- spans of names, phone numbers, addresses, ... to redact.
* ``detect_disclosure`` -- whether the entry discloses a child at risk (urgent).
* ``triage`` -- both at once; ``apply_redactions`` -- publishable text.
* ``triage_jsonl`` -- the batch/CLI contract.
"""

from __future__ import annotations

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

__all__ = [
    "KIND_LABELS",
    "PII_KINDS",
    "DisclosureAssessment",
    "Span",
    "TriageResult",
    "apply_redactions",
    "detect_disclosure",
    "explain_disclosure",
    "find_personal_details",
    "triage",
    "triage_jsonl",
]


@dataclass(frozen=True)
class TriageResult:
    urgent: bool
    reasons: tuple[str, ...]  # e.g. "criminal_exploitation", "self_harm"; empty when not urgent
    pii: tuple[Span, ...]  # sorted by start, non-overlapping


def triage(
    text: str, *, school_names: Sequence[str] = (), place_names: Sequence[str] = ()
) -> TriageResult:
    urgent, reasons = detect_disclosure(text)
    spans = find_personal_details(text, school_names=school_names, place_names=place_names)
    return TriageResult(urgent=urgent, reasons=reasons, pii=tuple(spans))
