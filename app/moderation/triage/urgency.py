"""Urgency from both layers: the hand-written rules and the learned model, graded.

* "likely": the rules fire (they are precise), or the model's score is above the high
  threshold;
* "possible": the model's score is above the low threshold, set for recall;
* "none": neither.

Both "likely" and "possible" are urgent: help shows and safeguarding staff are alerted.
The cues say why, in words a moderator can check against the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.moderation.triage.disclosure import explain_disclosure
from app.moderation.triage.model import LIKELY, NONE, POSSIBLE, grade, load_model

# Reasons when only the model fired (the rules give named reasons such as "self_harm").
MODEL_REASONS = {LIKELY: "likely_disclosure", POSSIBLE: "possible_disclosure"}


@dataclass(frozen=True)
class Urgency:
    level: str  # "likely" | "possible" | "none"
    reasons: tuple[str, ...]  # empty when the level is "none"
    cues: tuple[str, ...]
    score: float  # the model's score in [0, 1]
    rules_urgent: bool

    @property
    def urgent(self) -> bool:
        return self.level != NONE


def assess_urgency(text: str) -> Urgency:
    rules = explain_disclosure(text)
    model = load_model()
    score = model.score(text)
    level = grade(
        rules.urgent, score, possible=model.possible_threshold, likely=model.likely_threshold
    )
    if level == NONE:
        return Urgency(NONE, (), (), score, rules.urgent)

    cues: list[str] = []
    if rules.urgent:
        # The rule cue groups that matched, each with the words it matched on.
        for reason in rules.reasons:
            matched = [h.matched for h in rules.hits if h.reason == reason][:2]
            quoted = ", ".join(f'"{m.strip()}"' for m in matched)
            cues.append(f"rule {reason.replace('_', ' ')}: {quoted}")
    strongest = model.strongest_words(text)
    if strongest and score >= model.possible_threshold:
        quoted = ", ".join(f'"{w}"' for w in strongest)
        cues.append(f"model score {score:.2f}, words like {quoted}")
    reasons = rules.reasons if rules.urgent else (MODEL_REASONS[level],)
    return Urgency(level, reasons, tuple(cues), score, rules.urgent)
