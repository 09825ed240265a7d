"""Training the learned layer: threshold choice, folds, reproducibility, the shipped artefact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.moderation.triage import training
from app.moderation.triage.model import MODEL_PATH, FeatureSpec, model_from_dict

ROOT = Path(__file__).resolve().parents[4]


def test_possible_threshold_is_the_highest_that_reaches_the_recall_target() -> None:
    # 10 urgent texts; the rules catch 2; the model must catch 8 of the other 8 at 0.97
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.0, 0.0, 0.5, 0.1]
    labels = [True] * 10 + [False] * 2
    rules = [False] * 8 + [True, True] + [False] * 2
    assert training.choose_possible_threshold(scores, labels, rules, 0.97) == 0.2
    assert training.choose_possible_threshold(scores, labels, rules, 0.5) == 0.7  # 2 + 3 of 10
    assert training.choose_possible_threshold(scores, labels, [True] * 12, 0.97) == 1.0


def test_possible_threshold_rounds_down_so_recall_never_drops() -> None:
    assert training.choose_possible_threshold([0.123456], [True], [False], 1.0) == 0.1234


def test_likely_threshold_is_the_lowest_with_enough_precision_counting_the_rules() -> None:
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.0]
    labels = [True, True, False, True, False, True]
    rules = [False] * 5 + [True]
    # cut at 0.8: 3/3; at 0.7: 3/4; at 0.6: 4/5; at 0.5: 4/6
    assert training.choose_likely_threshold(scores, labels, rules, 0.8) == 0.6
    assert training.choose_likely_threshold(scores, labels, rules, 1.0) == 0.8
    assert training.choose_likely_threshold(scores, labels, rules, 1.0, floor=0.85) == 0.85


def test_folds_are_stratified_and_seeded() -> None:
    strata = ["en/True"] * 10 + ["cy/False"] * 5
    folds = training.stratified_folds(strata, 5, seed=1)
    assert folds == training.stratified_folds(strata, 5, seed=1)
    assert sorted(folds[:10]) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert sorted(folds[10:]) == [0, 1, 2, 3, 4]


def _small_shared(tmp_path: Path) -> Path:
    urgent = [
        "he says i owe him and have to do one more run tonight",
        "my step dad hits me and i am scared to go home",
        "a man keeps messaging me and will come to my house tonight im 13",
        "i want to end it all tonight i have pills",
        "they said im their runner now or im getting hurt",
        "older men give my sister lifts and vapes and she is 14",
    ]
    calm = [
        "the park needs more lights at night",
        "the youth club is a safe place with kind staff",
        "buses are late after school",
        "the library has a great homework club",
        "kids play football on the green in summer",
        "the shop on the corner is friendly",
    ]
    shared = tmp_path / "shared"
    shared.mkdir()
    with (shared / training.SHARED_TRAIN).open("w") as handle:
        for i, text in enumerate(urgent + calm):
            row = {"id": f"t{i}", "text": text, "urgent": i < len(urgent), "lang": "en", "voice": "young_person"}
            handle.write(json.dumps(row) + "\n")
    (shared / training.SHARED_DEV).write_text(
        json.dumps({"id": "d1", "text": "he will stab me if i tell", "urgent": True}) + "\n"
    )
    return shared


def test_training_twice_on_the_same_data_gives_the_same_bytes(tmp_path: Path) -> None:
    shared = _small_shared(tmp_path)
    no_bench = tmp_path / "bench"
    no_bench.mkdir()

    def build() -> bytes:
        data = training.load_training_data(shared, bench_data=no_bench)
        artefact = training.train_artefact(
            data, spec=FeatureSpec(3, 4, 2), c=10.0, repeats=2, folds=3, trained_on="2026-12-01"
        )
        return training.dump_artefact(artefact)

    first, second = build(), build()
    assert first == second
    artefact = json.loads(first)
    assert [f["file"] for f in artefact["training_data"]] == [training.SHARED_TRAIN, training.SHARED_DEV]
    assert artefact["rows_used"] == 13
    # the thresholds honour the policy on the pooled out-of-fold counts they came from
    cv = artefact["cross_validation"]["combined_possible"]
    assert cv["tp"] / (cv["tp"] + cv["fn"]) >= training.TARGET_RECALL


def test_class_weights_give_urgent_rows_their_share_of_the_loss() -> None:
    labels = np.asarray([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    for share in (0.5, 0.15):
        weights = training.class_weights(labels, share)
        assert weights[labels == 1].sum() / weights.sum() == pytest.approx(share)
        assert weights.mean() == pytest.approx(1.0)


def test_everyday_rows_are_scored_out_of_fold_but_never_set_thresholds(tmp_path: Path) -> None:
    shared = _small_shared(tmp_path)
    bench = tmp_path / "bench"
    bench.mkdir()
    calm = ["a youth club", "more buses after school", "buy cheap trainers now", "the library is warm"]
    with (bench / training.EVERYDAY_FILE).open("w") as handle:
        for i, text in enumerate(calm):
            row = {"id": f"ev-{i}", "text": text, "urgent": False, "lang": "en", "voice": "young_person"}
            handle.write(json.dumps(row) + "\n")
    data = training.load_training_data(shared, bench_data=bench)
    spec = FeatureSpec(3, 4, 2)
    cv = training.cross_validate(data, spec, 10.0, repeats=2, folds=3)
    scored = {data.rows[i].source for i in cv.eval_rows}
    assert scored == {training.SHARED_TRAIN, training.EVERYDAY_FILE}
    assert len(cv.pooled()) == 2 * 12 and len(cv.pooled(everyday=True)) == 2 * len(calm)
    # everyday strata sort after the shared ones, so the shared rows' folds do not move
    strata = ["en/True"] * 6 + ["en/False"] * 6
    extra = [f"~{training.EVERYDAY_FILE}/en"] * 4
    assert training.stratified_folds(strata + extra, 3, 7)[:12] == training.stratified_folds(strata, 3, 7)
    artefact = training.train_artefact(data, spec=spec, c=10.0, repeats=2, folds=3, trained_on="2026-12-01")
    assert artefact["cross_validation"]["rows"] == 12
    assert artefact["cross_validation"]["everyday"]["rows"] == len(calm)
    everyday = artefact["cross_validation"]["everyday"]["combined_possible"]
    assert everyday["tp"] == everyday["fn"] == 0 and everyday["fp"] + everyday["tn"] == 2 * len(calm)


def test_pure_python_scorer_agrees_with_the_training_time_scores(tmp_path: Path) -> None:
    shared = _small_shared(tmp_path)
    data = training.load_training_data(shared, bench_data=tmp_path)
    texts = [r.text for r in data.rows]
    labels = np.asarray([r.urgent for r in data.rows], dtype=float)
    spec = FeatureSpec(3, 4, 2)
    design = training.build_design(texts, spec)
    weights = training.fit(design, training.kernel(design), np.arange(len(texts)), labels, 10.0)
    expected = training.scores_of(design, np.arange(len(texts)), weights)
    model = model_from_dict(
        {
            "features": spec.as_dict(),
            "thresholds": {"possible": 0.5, "likely": 0.5},
            "bias": weights.bias,
            "weights": weights.weights,
        }
    )
    assert [model.score(t) for t in texts] == pytest.approx(list(expected), abs=1e-9)
    assert all((s >= 0.5) == bool(y) for s, y in zip(expected, labels, strict=True))  # it learned


def test_shipped_artefact_matches_the_recorded_training_data() -> None:
    artefact = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    recorded = {f["file"]: f for f in artefact["training_data"]}
    assert set(recorded) == {training.SHARED_TRAIN, training.SHARED_DEV, *training.OWN_FILES}
    checked = 0
    for name, entry in recorded.items():
        folder = training.DEFAULT_SHARED if name in (training.SHARED_TRAIN, training.SHARED_DEV) else training.BENCH_DATA
        path = folder / name
        if not path.is_file():
            continue  # the shared folder is beside the repository, not in it
        assert training.sha256_of(path) == entry["sha256"], f"{name} changed: run safetymap triage train"
        assert len(training.read_rows(path)) == entry["rows"]
        checked += 1
    assert checked >= len(training.OWN_FILES)  # our own files are always in the repository
    assert artefact["rows_used"] == sum(f["rows"] for f in artefact["training_data"])
    assert artefact["features"] == training.CHOSEN_SPEC.as_dict()
    assert artefact["regularisation"]["C"] == training.CHOSEN_C
