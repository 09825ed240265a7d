"""The learned urgency layer: a logistic regression over character and word n-grams.

The hand-written rules in ``disclosure.py`` stay the explainable layer; this model sits
beside them and catches what they cannot: implicit, third-party, slang and non-English
disclosures. It is trained by ``training.py`` (``safetymap triage train``) and shipped as
``data/urgency_model.json``. Scoring needs nothing but the standard library: the text
is turned into a set of n-gram strings and each one is a dict lookup.

Features, for every word of the normalised text:

* character n-grams of the word padded with spaces (" run", "unne", "ner "), so that
  "runner", "runners" and "runnin" share most of their features across spellings;
* the word itself and each pair of neighbouring words ("come to", "my house").

Each text's feature vector is binary and scaled by ``1 / sqrt(max(n, floor))``, where
``n`` is the number of distinct n-grams the text produced (known to the model or not) and
``floor`` is ``FeatureSpec.scale_floor`` (0: plain ``1 / sqrt(n)``). Plain ``1 / sqrt(n)``
gives a four-word text as much reach as a paragraph, so a few n-grams shared with
disclosures ("after school", "now", "talk to") could carry a very short text far; a
floor keeps very short texts closer to the bias. Because the scale depends on the text
alone, dropping small weights from the artefact (pruning) does not change the score of
anything the pruned weights did not touch.

``grade`` is the threshold policy that combines the rules and the score into a level.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "urgency_model.json"

LIKELY = "likely"
POSSIBLE = "possible"
NONE = "none"
LEVELS = (LIKELY, POSSIBLE, NONE)

# Apostrophes of every kind (straight, curly, backtick, acute, modifier letter) are
# dropped inside words, so "I'm", "I\u2019m" and "im" agree.
_APOSTROPHES_RE = re.compile("['\u2019\u2018`\u00b4\u02bc]")
# Letters and digits of any script; "_" is a word character to \w but not to us.
_WORD_RE = re.compile(r"[^\W_]+")
# Letters NFKD does not take apart but phone keyboards often type without their mark.
_PLAIN_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "ı": "i"})


@dataclass(frozen=True)
class FeatureSpec:
    """Which n-grams a text yields; chosen by cross-validation (see training.py)."""

    char_min: int = 2
    char_max: int = 5
    word_max: int = 2  # 1: single words only; 2: also pairs of neighbouring words
    scale_floor: int = 0  # scale by 1/sqrt(max(n, scale_floor)); 0 is plain 1/sqrt(n)

    def as_dict(self) -> dict[str, int]:
        return {
            "char_min": self.char_min,
            "char_max": self.char_max,
            "word_max": self.word_max,
            "scale_floor": self.scale_floor,
        }

    def scale(self, count: int) -> float:
        """The value of each of a text's ``count`` features (0 for a text with none)."""
        return 1.0 / math.sqrt(max(count, self.scale_floor)) if count else 0.0


def normalise(text: str) -> str:
    """Lower case, compatibility forms folded, accents and Arabic vowel marks removed.

    Young people type Welsh, Polish and Romanian on phones with and without diacritics
    ("ş"/"ș"/"s"), and Arabic and Urdu with or without harakat and hamza forms; folding
    them all to the bare letter makes those spellings share features.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.translate(_PLAIN_LETTERS)
    return _APOSTROPHES_RE.sub("", bare)


def words(text: str) -> list[str]:
    return _WORD_RE.findall(normalise(text))


def _word_units(tokens: list[str], spec: FeatureSpec) -> Iterator[tuple[str, list[str]]]:
    """(shown text, its features) for every word and every pair of neighbouring words.

    Character n-grams belong to the word they come from, which is what lets a cue name
    the words behind the score. Word features carry a "w:" prefix, character ones "c:".
    """
    for token in tokens:
        padded = f" {token} "
        grams = [f"w:{token}"]
        for n in range(spec.char_min, spec.char_max + 1):
            grams.extend(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
        yield token, grams
    if spec.word_max >= 2:
        for first, second in itertools.pairwise(tokens):
            yield f"{first} {second}", [f"w:{first} {second}"]


def text_features(text: str, spec: FeatureSpec) -> set[str]:
    """The distinct n-gram strings of a text (the binary feature vector)."""
    return {gram for _, grams in _word_units(words(text), spec) for gram in grams}


@lru_cache(maxsize=1)
def _cue_stopwords() -> frozenset[str]:
    text = (MODEL_PATH.parent / "cue_stopwords.txt").read_text(encoding="utf-8")
    return frozenset(
        normalise(word) for line in text.splitlines() if not line.startswith("#") for word in line.split()
    )


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class UrgencyModel:
    spec: FeatureSpec
    bias: float
    weights: Mapping[str, float]  # "c:<char n-gram>" / "w:<word or pair>" -> weight
    possible_threshold: float
    likely_threshold: float

    def score(self, text: str) -> float:
        """Probability-like score in [0, 1] that the text discloses a child at risk now."""
        features = text_features(text, self.spec)
        if not features:
            return _sigmoid(self.bias)
        total = sum(self.weights.get(f, 0.0) for f in features)
        return _sigmoid(self.bias + total * self.spec.scale(len(features)))

    def strongest_words(self, text: str, limit: int = 3) -> tuple[str, ...]:
        """The words or word pairs whose n-grams pushed the score up the most.

        Approximate by design: a character n-gram shared by two words counts for both
        here, while the score counts it once. Good enough to say *why* to a moderator.
        """
        pushes: dict[str, float] = {}
        for shown, grams in _word_units(words(text), self.spec):
            parts = shown.split(" ")
            if len(shown) < 3 or all(part in _cue_stopwords() for part in parts):
                # "im", "and", "said": real signal, but they explain nothing to a person
                continue
            push = sum(self.weights.get(g, 0.0) for g in set(grams))
            if push > 0 and push > pushes.get(shown, 0.0):
                pushes[shown] = push
        ranked = sorted(pushes.items(), key=lambda item: (-item[1], item[0]))
        chosen: list[str] = []
        for shown, _push in ranked:
            # A pair and its own words say the same thing; keep whichever ranked first.
            if any(shown in c.split(" ") or c in shown.split(" ") for c in chosen):
                continue
            chosen.append(shown)
            if len(chosen) == limit:
                break
        return tuple(chosen)


def grade(rules_urgent: bool, score: float, *, possible: float, likely: float) -> str:
    """The threshold policy: rules or a high score are "likely", a lower score "possible".

    Recall comes first: ``possible`` is set by cross-validation so that rules-or-model
    finds at least 97% of urgent texts; ``likely`` so that the model alone is right at
    least 90% of the time above it. Both levels count as urgent.
    """
    if rules_urgent or score >= likely:
        return LIKELY
    if score >= possible:
        return POSSIBLE
    return NONE


def model_from_dict(data: Mapping[str, object]) -> UrgencyModel:
    spec_data = data["features"]
    thresholds = data["thresholds"]
    weights = data["weights"]
    assert isinstance(spec_data, dict) and isinstance(thresholds, dict)
    assert isinstance(weights, dict)
    return UrgencyModel(
        spec=FeatureSpec(
            char_min=int(spec_data["char_min"]),
            char_max=int(spec_data["char_max"]),
            word_max=int(spec_data["word_max"]),
            scale_floor=int(spec_data.get("scale_floor", 0)),  # older artefacts: plain 1/sqrt(n)
        ),
        bias=float(data["bias"]),  # type: ignore[arg-type]
        weights={str(k): float(v) for k, v in weights.items()},
        possible_threshold=float(thresholds["possible"]),
        likely_threshold=float(thresholds["likely"]),
    )


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> UrgencyModel:
    """The shipped model, read once per process (and per path, for tests)."""
    with path.open(encoding="utf-8") as handle:
        return model_from_dict(json.load(handle))
