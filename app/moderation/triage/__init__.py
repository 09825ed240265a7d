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


def triage(
    text: str, *, school_names: Sequence[str] = (), place_names: Sequence[str] = ()
) -> TriageResult:
    urgency = assess_urgency(text)
    spans = find_personal_details(text, school_names=school_names, place_names=place_names)
    return TriageResult(
        urgent=urgency.urgent,
        reasons=urgency.reasons,
        pii=tuple(spans),
        level=urgency.level,
        cues=urgency.cues,
    )
