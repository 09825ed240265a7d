"""The disclosure cue lexicon, read from data/disclosure_cues.toml.

The data file holds what the detector looks for (cue groups: a reason, a weight, guards and
patterns); this module turns it into compiled cues with their prefilter triggers. How cues add up
to "urgent" is in disclosure.py.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.moderation.triage.prefilter import required_literals

LEXICON_FILE = Path(__file__).with_name("data") / "disclosure_cues.toml"

STRONG = 3
MODERATE = 2
WEAK = 1
WEIGHTS = {"strong": STRONG, "moderate": MODERATE, "weak": WEAK}

REASON_ORDER = (
    "self_harm",
    "danger_now",
    "threat_or_coercion",
    "abuse",
    "sexual_exploitation",
    "criminal_exploitation",
)

_FRAGMENT_RE = re.compile(r"\{\{([A-Z_]+)\}\}")


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    # The cue can only match when one of these strings occurs in the text (None: always try).
    triggers: frozenset[str] | None


@dataclass(frozen=True)
class CueGroup:
    reason: str
    weight: int
    negatable: bool  # dropped when "not/never/nobody ..." comes just before
    survives_history: bool  # still counts in a past-tense sentence (disclosed sexual abuse)
    cues: tuple[Cue, ...]


class LexiconError(ValueError):
    """The lexicon file says something the detector cannot use (a typo in a reason, a bad regex)."""


def _expand(pattern: str, fragments: dict[str, str], seen: tuple[str, ...] = ()) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fragments:
            raise LexiconError(f"unknown fragment {{{{{name}}}}}")
        if name in seen:
            raise LexiconError(f"fragment {name} refers to itself")
        return _expand(fragments[name], fragments, (*seen, name))

    return _FRAGMENT_RE.sub(replace, pattern)


def _cue(pattern: str) -> Cue:
    if pattern.startswith(r"\b"):
        raise LexiconError(r"a cue may not start with \b (word starts are checked by the engine)")
    try:
        # No leading \b: it would stop `re` from using its first-character prefilter, which
        # makes scanning ~2.5x faster. The word-start check happens in the engine.
        compiled = re.compile(rf"(?:{pattern})(?!\w)")
    except re.error as exc:
        raise LexiconError(f"bad pattern {pattern!r}: {exc}") from None
    return Cue(compiled, required_literals(pattern))


def parse_lexicon(text: str) -> tuple[CueGroup, ...]:
    data = tomllib.loads(text)
    fragments: dict[str, str] = data.get("fragments", {})
    groups = []
    for entry in data.get("group", []):
        if entry["reason"] not in REASON_ORDER:
            raise LexiconError(f"unknown reason {entry['reason']!r}")
        if entry["weight"] not in WEIGHTS:
            raise LexiconError(f"unknown weight {entry['weight']!r}")
        cues = tuple(_cue(_expand(p, fragments)) for p in entry["patterns"])
        groups.append(
            CueGroup(
                reason=entry["reason"],
                weight=WEIGHTS[entry["weight"]],
                negatable=bool(entry.get("negatable", True)),
                survives_history=bool(entry.get("survives_history", False)),
                cues=cues,
            )
        )
    return tuple(groups)


@cache
def cue_groups() -> tuple[CueGroup, ...]:
    return parse_lexicon(LEXICON_FILE.read_text(encoding="utf-8"))


@cache
def all_triggers() -> frozenset[str]:
    return frozenset(t for g in cue_groups() for c in g.cues if c.triggers for t in c.triggers)
