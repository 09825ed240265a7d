"""The learned urgency layer at run time: features, scorer, threshold policy, graded output."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from app.moderation.triage import TriageResult, detect_disclosure, triage
from app.moderation.triage.model import (
    MODEL_PATH,
    FeatureSpec,
    UrgencyModel,
    grade,
    load_model,
    normalise,
    text_features,
)
from app.moderation.triage.urgency import assess_urgency


def tiny_model(**weights: float) -> UrgencyModel:
    return UrgencyModel(
        spec=FeatureSpec(char_min=3, char_max=4, word_max=2),
        bias=-1.0,
        weights=weights,
        possible_threshold=0.3,
        likely_threshold=0.6,
    )


def test_normalise_folds_case_accents_apostrophes_and_arabic_marks() -> None:
    assert normalise("I’m SCARED") == "im scared"
    assert normalise("Mój ojczym, łóżko") == "moj ojczym, lozko"
    assert normalise("ţară școală") == "tara scoala"
    assert normalise("أنا") == "انا"  # hamza on alef folded away


def test_features_are_padded_char_grams_words_and_word_pairs() -> None:
    grams = text_features("Come home", FeatureSpec(char_min=3, char_max=3, word_max=2))
    assert {"c: co", "c:com", "c:ome", "c:me ", "w:come", "w:home", "w:come home"} <= grams
    assert "c:e h" not in grams  # character grams never cross words
    singles = text_features("Come home", FeatureSpec(char_min=3, char_max=3, word_max=1))
    assert "w:come home" not in singles


def test_score_is_logistic_of_bias_plus_length_scaled_weights() -> None:
    model = tiny_model(**{"w:runner": 2.0, "c:run": 1.0})
    n = len(text_features("runner", model.spec))
    assert model.score("runner") == pytest.approx(1 / (1 + math.exp(-(-1.0 + 3.0 / math.sqrt(n)))))
    assert model.score("") == pytest.approx(1 / (1 + math.exp(1.0)))
    assert model.score("Runner") == model.score("runner")


def test_scale_floor_keeps_very_short_texts_near_the_bias() -> None:
    weights = {"w:runner": 2.0, "c:run": 1.0}
    plain = tiny_model(**weights)
    n = len(text_features("runner", plain.spec))
    floored = UrgencyModel(
        spec=FeatureSpec(char_min=3, char_max=4, word_max=2, scale_floor=4 * n),
        bias=-1.0,
        weights=weights,
        possible_threshold=0.3,
        likely_threshold=0.6,
    )
    # a text with fewer n-grams than the floor is scaled by 1/sqrt(floor), not 1/sqrt(n)
    assert floored.score("runner") == pytest.approx(1 / (1 + math.exp(-(-1.0 + 3.0 / math.sqrt(4 * n)))))
    assert floored.score("runner") < plain.score("runner")
    assert floored.score("") == plain.score("")
    assert FeatureSpec(1, 2, 1, 10).scale(40) == FeatureSpec(1, 2, 1, 0).scale(40)  # long texts: no change


def test_artefacts_without_a_scale_floor_still_load() -> None:
    from app.moderation.triage.model import model_from_dict

    model = model_from_dict(
        {
            "features": {"char_min": 3, "char_max": 4, "word_max": 2},
            "thresholds": {"possible": 0.3, "likely": 0.6},
            "bias": -1.0,
            "weights": {"w:runner": 2.0},
        }
    )
    assert model.spec.scale_floor == 0


def test_strongest_words_name_the_words_that_pushed_the_score() -> None:
    model = tiny_model(**{"w:runner": 2.0, "w:come to": 1.5, "c:ome ": 0.5, "w:park": -3.0})
    assert model.strongest_words("they made me their runner, come to the park") == ("runner", "come to")


@pytest.mark.parametrize(
    ("rules", "score", "level"),
    [
        (True, 0.0, "likely"),  # the rules alone are enough
        (False, 0.6, "likely"),  # at the high threshold
        (False, 0.59, "possible"),
        (False, 0.3, "possible"),  # at the low threshold
        (False, 0.29, "none"),
    ],
)
def test_grade_is_the_threshold_policy(rules: bool, score: float, level: str) -> None:
    assert grade(rules, score, possible=0.3, likely=0.6) == level


def test_shipped_model_loads_once_per_process() -> None:
    assert load_model() is load_model()
    model = load_model()
    assert 0 < model.possible_threshold <= model.likely_threshold < 1
    assert len(model.weights) > 1000


def test_scoring_needs_no_numpy() -> None:
    # How fast scoring is, is measured by bench/disclosure_speed.py, not asserted here.
    source = (Path(__file__).resolve().parents[4] / "app/moderation/triage/model.py").read_text()
    assert "numpy" not in source.split('"""', 2)[2]  # only the docstring may mention it


def test_graded_result_keeps_the_old_fields_and_adds_level_and_cues() -> None:
    result = triage("I'm 14 and my mum's boyfriend hits me when she's at work.")
    assert result.urgent and result.level == "likely"
    assert "abuse" in result.reasons
    assert any(c.startswith("rule abuse") for c in result.cues)
    calm = triage("The library is a good safe place.")
    assert (calm.urgent, calm.level, calm.reasons, calm.cues) == (False, "none", (), ())
    # old callers constructing or unpacking the three original fields still work
    old = TriageResult(True, ("self_harm",), ())
    assert old.level == "none" and old.cues == ()


def test_model_alone_flags_what_the_rules_miss_and_says_why() -> None:
    text = "Mój ojczym bije mnie co wieczór, boję się wracać do domu"
    assert detect_disclosure(text) == (False, ())  # the rules are English and Welsh
    urgency = assess_urgency(text)
    assert urgency.urgent and not urgency.rules_urgent
    assert urgency.reasons in (("likely_disclosure",), ("possible_disclosure",))
    assert any("words like" in c and "ojczym" in c for c in urgency.cues)


def test_urgent_flag_is_true_for_both_levels() -> None:
    model = load_model()
    assert grade(False, model.possible_threshold, possible=model.possible_threshold, likely=1.0) != "none"


def test_shipped_artefact_is_small_and_describes_itself() -> None:
    assert MODEL_PATH.stat().st_size < 1_500_000
    artefact = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    for key in ("trained_on", "training_data", "features", "thresholds", "cross_validation"):
        assert key in artefact
    assert artefact["thresholds"]["possible"] <= artefact["thresholds"]["likely"]


def test_cues_name_meaningful_words_not_function_words() -> None:
    from app.moderation.triage.model import load_model

    cues = load_model().strongest_words("they said im their runner now and if i dont do it im getting wet up", limit=5)
    assert cues
    for word in ("and", "said", "they", "dont", "their"):
        assert word not in cues
