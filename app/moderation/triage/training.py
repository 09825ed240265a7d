"""Training the learned urgency layer (``safetymap triage train``); needs numpy.

The model is an L2-regularised, class-weighted logistic regression over the binary,
length-scaled n-gram features of ``model.py``. There are far fewer texts (about a thousand) than
distinct n-grams (a few hundred thousand), so it is fitted in its dual form: the
weights are a combination of the training texts' feature vectors, ``w = X^T a``, and
Newton's method runs on the n-by-n kernel ``K = X X^T`` (one small linear solve per
step) instead of on a huge sparse design matrix. Nothing in the fit is random, so the
same data and settings give the same weights; cross-validation folds come from
``random.Random`` with fixed seeds.

Evaluation follows one rule: the recall and precision figures, and the thresholds, come
only from rows of the shared training set scored out of fold. The shared dev set and the
sets this team wrote (the rules were tuned on some of them) are always on the training
side, with one exception: our set of everyday negative texts (``EVERYDAY_FILE``) is also
scored out of fold, in folds of its own, so that its false-flag rate can be measured.
It is reported on its own, it never sets a threshold, and it is our writing, not texts
from real users.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.moderation.triage.disclosure import detect_disclosure
from app.moderation.triage.model import FeatureSpec, text_features

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "eval"
BENCH_DATA = REPO_ROOT / "bench" / "data"
HELDBACK_IDS = BENCH_DATA / "triage-heldback-ids.txt"

SHARED_TRAIN = "triage-train.jsonl"  # the only rows scored out of fold
SHARED_DEV = "triage-dev.jsonl"
# Written by this team; the rules were tuned on the first three, the rest are ours too.
EVERYDAY_FILE = "triage-everyday.jsonl"  # everyday negatives, scored out of fold (never thresholds)
OWN_FILES = (
    "triage-extra.jsonl",
    "triage-holdout.jsonl",
    "triage-lead-fresh.jsonl",
    "triage-own.jsonl",
    "triage-short-urgent.jsonl",
    EVERYDAY_FILE,
)

OWN_DATA_NOTE = (
    "bench/data/triage-extra.jsonl, triage-holdout.jsonl and triage-lead-fresh.jsonl were "
    "written by the Safety Map team (the rules were tuned on them); triage-own.jsonl (64 rows: "
    "multilingual urgent texts and hard negatives in en, cy, pl, ur (Roman and Arabic script), "
    "ar, ro, so) was written and labelled by the engineer who built this model, not by native "
    "speakers. triage-short-urgent.jsonl (40 short, implicit urgent texts, the same seven languages) "
    "and triage-everyday.jsonl (358 everyday non-urgent texts: safe places, structural concerns, "
    "short 'what would help' answers, place names, spam, jokes, resolved past incidents and hard "
    "negatives, in all seven languages and every voice) were written and labelled by the engineer "
    "who retrained the model, also not by native speakers; none of these are real users' entries. "
    "All are always on the training side of cross-validation except triage-everyday.jsonl, which "
    "is scored out of fold in folds of its own to measure a false-flag rate; it never sets a threshold."
)

# Settings chosen by cross-validation on the non-held-back shared rows and the everyday
# set (``bench/triage_eval.py --search``; objective: precision of rules-or-model at 5%
# prevalence, estimated from its pooled out-of-fold recall on shared urgent rows at the
# threshold that keeps that recall >= 0.97, and its false-positive rate over every
# scored non-urgent row, shared and everyday).
CHOSEN_SPEC = FeatureSpec(char_min=4, char_max=6, word_max=2, scale_floor=200)
CHOSEN_C = 30.0
# Share of the loss carried by urgent rows: 0.5 is "balanced" (each class half).
CHOSEN_POSITIVE_SHARE = 0.15
KEEP_WEIGHTS = 40_000  # largest |weight| kept in the artefact (size), also applied in CV
DECIMALS = 3  # weights are rounded to this many places in the artefact, also applied in CV

TARGET_RECALL = 0.97  # "possible": rules-or-model finds at least this share of urgent texts
TARGET_PRECISION = 0.90  # "likely": the model alone is right at least this often above it
REPEATS = 5
FOLDS = 5
SEED = 20261201
BIAS_FEATURE = 1.0  # value of the constant feature that carries the intercept


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    urgent: bool
    lang: str
    voice: str
    source: str  # the file it came from


@dataclass(frozen=True)
class DataFile:
    name: str
    sha256: str
    rows: int


@dataclass
class TrainingData:
    rows: list[Row]
    files: list[DataFile]
    # True for rows that may be scored out of fold: shared training rows, everyday rows
    evaluable: list[bool] = field(default_factory=list)

    def sets_thresholds(self, index: int) -> bool:
        """Shared training rows scored out of fold: the ones thresholds and figures use."""
        return self.evaluable[index] and self.rows[index].source == SHARED_TRAIN


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_heldback_ids(path: Path = HELDBACK_IDS) -> set[str]:
    with path.open(encoding="utf-8") as handle:
        return {line.strip() for line in handle if line.strip() and not line.startswith("#")}


def read_rows(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            raw: dict[str, Any] = json.loads(line)
            rows.append(
                Row(
                    id=str(raw["id"]),
                    text=str(raw["text"]),
                    urgent=bool(raw["urgent"]),
                    lang=str(raw.get("lang") or "en"),  # the dev set has no lang: English
                    voice=str(raw.get("voice") or "unknown"),
                    source=path.name,
                )
            )
    return rows


def load_training_data(
    shared: Path = DEFAULT_SHARED,
    *,
    bench_data: Path = BENCH_DATA,
    exclude_ids: Iterable[str] = (),
) -> TrainingData:
    """Every training file that exists; ``exclude_ids`` drops shared training rows."""
    excluded = set(exclude_ids)
    data = TrainingData(rows=[], files=[])
    paths = [shared / SHARED_TRAIN, shared / SHARED_DEV, *(bench_data / n for n in OWN_FILES)]
    for path in paths:
        if path.name in (SHARED_TRAIN, SHARED_DEV) and not path.is_file():
            raise FileNotFoundError(f"shared training file missing: {path}")
        if not path.is_file():
            continue
        rows = read_rows(path)
        data.files.append(DataFile(path.name, sha256_of(path), len(rows)))
        for row in rows:
            if path.name == SHARED_TRAIN and row.id in excluded:
                continue
            data.rows.append(row)
            data.evaluable.append(path.name in (SHARED_TRAIN, EVERYDAY_FILE))
    return data


# ---------------------------------------------------------------- features and fitting


@dataclass
class Design:
    """Sparse (CSR) binary feature matrix of some texts, scaled per row (``FeatureSpec.scale``)."""

    vocabulary: list[str]
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def rows_times(self, weights: np.ndarray) -> np.ndarray:
        """X @ weights for every row (empty rows give 0)."""
        products = self.values * weights[self.indices]
        sums = np.zeros(self.n_rows)
        lengths = np.diff(self.indptr)
        nonempty = lengths > 0
        sums[nonempty] = np.add.reduceat(products, self.indptr[:-1][nonempty])
        return sums

    def select(self, rows: np.ndarray) -> Design:
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        take = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
        indptr = np.concatenate([[0], np.cumsum(ends - starts)])
        return Design(self.vocabulary, indptr, self.indices[take], self.values[take])

    def transpose_times(self, coefficients: np.ndarray) -> np.ndarray:
        """X^T @ coefficients: the primal weights of a dual solution."""
        per_value = np.repeat(coefficients, np.diff(self.indptr)) * self.values
        return np.bincount(self.indices, weights=per_value, minlength=len(self.vocabulary))


def build_design(texts: Sequence[str], spec: FeatureSpec) -> Design:
    index: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    per_text = [sorted(text_features(t, spec)) for t in texts]
    # Columns in sorted feature order, so the design does not depend on row order.
    for gram in sorted({g for grams in per_text for g in grams}):
        index[gram] = len(index)
    for grams in per_text:
        scale = spec.scale(len(grams))
        indices.extend(index[g] for g in grams)
        values.extend([scale] * len(grams))
        indptr.append(len(indices))
    return Design(
        list(index),
        np.asarray(indptr, dtype=np.int64),
        np.asarray(indices, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
    )


def kernel(design: Design) -> np.ndarray:
    """K = X X^T + BIAS_FEATURE^2 (the constant feature), one sparse product per row."""
    n = design.n_rows
    result = np.empty((n, n))
    dense = np.zeros(len(design.vocabulary))
    for i in range(n):
        start, end = design.indptr[i], design.indptr[i + 1]
        dense[design.indices[start:end]] = design.values[start:end]
        result[:, i] = design.rows_times(dense)
        dense[design.indices[start:end]] = 0.0
    return (result + result.T) / 2 + BIAS_FEATURE**2


def class_weights(labels: np.ndarray, positive_share: float = 0.5) -> np.ndarray:
    """Urgent rows carry ``positive_share`` of the loss, the others the rest, whatever their
    sizes; 0.5 is "balanced". The weights average 1 over the rows."""
    positives = max(int(labels.sum()), 1)
    negatives = max(len(labels) - positives, 1)
    return np.where(
        labels == 1,
        len(labels) * positive_share / positives,
        len(labels) * (1.0 - positive_share) / negatives,
    )


def fit_dual(
    k: np.ndarray, labels: np.ndarray, c: float, iterations: int = 50, positive_share: float = 0.5
) -> np.ndarray:
    """Dual coefficients a of L2 logistic regression (loss weight c) by damped Newton.

    Primal: minimise sum_i s_i * logloss(y_i, m_i) + ||w||^2 / (2c), m = X w. With
    w = X^T a, m = K a and Newton's step solves (D K + I/c) d = -(g + a/c), where
    g_i = s_i (p_i - y_i) and D = diag(s_i p_i (1 - p_i)).
    """
    sample = class_weights(labels, positive_share)
    lam = 1.0 / c
    alpha = np.zeros(len(labels))

    def objective(a: np.ndarray) -> float:
        margins = k @ a
        # log(1 + exp(-z)) for positives and log(1 + exp(z)) for negatives, stably
        signed = np.where(labels == 1, -margins, margins)
        return float(np.sum(sample * np.logaddexp(0.0, signed)) + lam * a @ margins / 2)

    current = objective(alpha)
    for _ in range(iterations):
        margins = k @ alpha
        p = 1.0 / (1.0 + np.exp(-margins))
        gradient = sample * (p - labels) + lam * alpha
        curvature = sample * p * (1.0 - p)
        step = np.linalg.solve(curvature[:, None] * k + lam * np.eye(len(labels)), -gradient)
        size = 1.0
        while size > 1e-4:  # halve the step until the objective goes down
            candidate = alpha + size * step
            value = objective(candidate)
            if value <= current:
                break
            size /= 2
        else:
            break
        improvement = current - value
        alpha, current = candidate, value
        if improvement < 1e-10 * max(1.0, abs(current)):
            break
    return alpha


@dataclass(frozen=True)
class Weights:
    """A fitted, pruned and rounded model as the artefact stores it."""

    bias: float
    weights: dict[str, float]

    def vector(self, vocabulary: list[str]) -> np.ndarray:
        return np.asarray([self.weights.get(g, 0.0) for g in vocabulary])


def prune(
    vocabulary: list[str], primal: np.ndarray, keep: int = KEEP_WEIGHTS, decimals: int = DECIMALS
) -> dict[str, float]:
    """The ``keep`` largest weights, rounded; ties broken by the n-gram for determinism."""
    rounded = np.round(primal, decimals)
    order = sorted(
        (i for i in range(len(vocabulary)) if rounded[i] != 0.0),
        key=lambda i: (-abs(rounded[i]), vocabulary[i]),
    )[:keep]
    return {vocabulary[i]: float(rounded[i]) for i in sorted(order, key=lambda i: vocabulary[i])}


def fit(
    design: Design,
    k: np.ndarray,
    rows: np.ndarray,
    labels: np.ndarray,
    c: float,
    keep: int = KEEP_WEIGHTS,
    positive_share: float = 0.5,
) -> Weights:
    """Fit on ``rows`` of the design (k is the full kernel), prune and round."""
    alpha = fit_dual(k[np.ix_(rows, rows)], labels[rows], c, positive_share=positive_share)
    primal = design.select(rows).transpose_times(alpha)
    bias = round(float(alpha.sum()) * BIAS_FEATURE**2, DECIMALS)
    return Weights(bias, prune(design.vocabulary, primal, keep))


def scores_of(design: Design, rows: np.ndarray, weights: Weights) -> np.ndarray:
    margins = design.select(rows).rows_times(weights.vector(design.vocabulary)) + weights.bias
    return 1.0 / (1.0 + np.exp(-margins))


# ---------------------------------------------------------------- thresholds


def choose_possible_threshold(
    scores: Sequence[float],
    labels: Sequence[bool],
    rules: Sequence[bool],
    target_recall: float = TARGET_RECALL,
) -> float:
    """The highest threshold at which rules-or-(score >= threshold) reaches the recall target.

    Rounded down to 4 places so that rounding can only add recall. 1.0 when the rules
    alone reach the target (the model then never adds a "possible").
    """
    positives = sum(labels)
    needed = math.ceil(target_recall * positives - 1e-9)
    caught_by_rules = sum(1 for y, r in zip(labels, rules, strict=True) if y and r)
    missing = needed - caught_by_rules
    if missing <= 0:
        return 1.0
    left = sorted((s for s, y, r in zip(scores, labels, rules, strict=True) if y and not r), reverse=True)
    return math.floor(left[missing - 1] * 10_000) / 10_000


def choose_likely_threshold(
    scores: Sequence[float],
    labels: Sequence[bool],
    rules: Sequence[bool],
    target_precision: float = TARGET_PRECISION,
    floor: float = 0.0,
) -> float:
    """The lowest threshold at which rules-or-(score >= threshold) is precise enough.

    "Likely" means the rules fired or the score is at least this high, so precision is
    measured on that union; the lowest such threshold is the one with the most recall.
    Rounded up to 4 places; never below ``floor`` (the "possible" threshold).
    """
    rule_hits = sum(1 for y, r in zip(labels, rules, strict=True) if r and y)
    rule_count = sum(rules)
    ranked = sorted(
        ((s, y) for s, y, r in zip(scores, labels, rules, strict=True) if not r),
        key=lambda pair: -pair[0],
    )
    best = 1.0
    hits = rule_hits
    for position, (score, label) in enumerate(ranked, start=1):
        hits += label
        # only cut between distinct scores, so equal scores share one side
        if position < len(ranked) and ranked[position][0] == score:
            continue
        if hits / (rule_count + position) >= target_precision:
            best = score
    return max(math.ceil(best * 10_000) / 10_000, floor)


# ---------------------------------------------------------------- cross-validation


def stratified_folds(strata: Sequence[str], folds: int, seed: int) -> list[int]:
    """A fold number for each item, spread evenly within each stratum."""
    rng = random.Random(seed)  # noqa: S311 (fold assignment, not security)
    assignment = [0] * len(strata)
    for stratum in sorted(set(strata)):
        members = [i for i, s in enumerate(strata) if s == stratum]
        rng.shuffle(members)
        offset = rng.randrange(folds)  # so small strata do not all start in fold 0
        for position, i in enumerate(members):
            assignment[i] = (position + offset) % folds
    return assignment


@dataclass
class CrossValidation:
    """Out-of-fold scores of the evaluable rows, one array per repeat."""

    eval_rows: np.ndarray  # indices into the training data
    scores: list[np.ndarray]
    # per eval row: True for shared training rows (figures, thresholds), False for everyday rows
    sets_thresholds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def pooled(self, *, everyday: bool = False) -> np.ndarray:
        """Pooled scores of the shared rows (or, with ``everyday``, of the everyday rows)."""
        keep = ~self.sets_thresholds if everyday else self.sets_thresholds
        return np.concatenate([s[keep] for s in self.scores])


def cross_validate(
    data: TrainingData,
    spec: FeatureSpec,
    c: float,
    *,
    repeats: int = REPEATS,
    folds: int = FOLDS,
    seed: int = SEED,
    design: Design | None = None,
    k: np.ndarray | None = None,
    positive_share: float = 0.5,
) -> CrossValidation:
    design = design or build_design([r.text for r in data.rows], spec)
    k = kernel(design) if k is None else k
    labels = np.asarray([r.urgent for r in data.rows], dtype=np.float64)
    eval_rows = np.flatnonzero(np.asarray(data.evaluable))
    always_train = np.flatnonzero(~np.asarray(data.evaluable))
    shared = np.asarray([data.sets_thresholds(int(i)) for i in eval_rows], dtype=np.bool_)
    # Everyday rows get strata of their own, named to sort after the shared ones, so the
    # shared rows' folds are the same with or without them.
    strata = [
        f"{data.rows[i].lang}/{data.rows[i].urgent}" if own else f"~{data.rows[i].source}/{data.rows[i].lang}"
        for i, own in zip(eval_rows, shared, strict=True)
    ]
    result = CrossValidation(eval_rows, [], shared)
    for repeat in range(repeats):
        assignment = np.asarray(stratified_folds(strata, folds, seed + repeat))
        scores = np.zeros(len(eval_rows))
        for fold in range(folds):
            test = eval_rows[assignment == fold]
            train = np.concatenate([always_train, eval_rows[assignment != fold]])
            weights = fit(design, k, train, labels, c, positive_share=positive_share)
            scores[assignment == fold] = scores_of(design, test, weights)
        result.scores.append(scores)
    return result


def rules_fire(texts: Iterable[str]) -> list[bool]:
    return [detect_disclosure(t)[0] for t in texts]


# ---------------------------------------------------------------- the artefact


def train_artefact(
    data: TrainingData,
    *,
    spec: FeatureSpec = CHOSEN_SPEC,
    c: float = CHOSEN_C,
    positive_share: float = CHOSEN_POSITIVE_SHARE,
    repeats: int = REPEATS,
    folds: int = FOLDS,
    trained_on: str,
    own_data_note: str = "",
) -> dict[str, Any]:
    """Thresholds by cross-validation, then the final fit on every row; a JSON-ready dict."""
    texts = [r.text for r in data.rows]
    labels = np.asarray([r.urgent for r in data.rows], dtype=np.float64)
    design = build_design(texts, spec)
    k = kernel(design)
    cv = cross_validate(
        data, spec, c, repeats=repeats, folds=folds, design=design, k=k, positive_share=positive_share
    )
    shared_rows = cv.eval_rows[cv.sets_thresholds]
    eval_labels = [data.rows[i].urgent for i in shared_rows] * repeats
    eval_rules = rules_fire(data.rows[i].text for i in shared_rows) * repeats
    pooled = [float(s) for s in cv.pooled()]
    possible = choose_possible_threshold(pooled, eval_labels, eval_rules)
    likely = choose_likely_threshold(pooled, eval_labels, eval_rules, floor=possible)
    summary = summarise(pooled, eval_labels, eval_rules, possible, likely)
    everyday_rows = cv.eval_rows[~cv.sets_thresholds]
    everyday = summarise(
        [float(s) for s in cv.pooled(everyday=True)],
        [data.rows[i].urgent for i in everyday_rows] * repeats,
        rules_fire(data.rows[i].text for i in everyday_rows) * repeats,
        possible,
        likely,
    )
    final = fit(design, k, np.arange(len(texts)), labels, c, positive_share=positive_share)
    weighting = "balanced" if positive_share == 0.5 else f"urgent rows carry {positive_share:g} of the loss"
    return {
        "format": 1,
        "kind": (
            "logistic regression over character and word n-grams "
            f"(binary, 1/sqrt(max(n, {spec.scale_floor})) scaled)"
        ),
        "trained_on": trained_on,
        "training_data": [
            {"file": f.name, "sha256": f.sha256, "rows": f.rows} for f in data.files
        ],
        "rows_used": len(texts),
        "urgent_rows": int(labels.sum()),
        "own_data": own_data_note,
        "features": spec.as_dict(),
        "regularisation": {
            "C": c,
            "penalty": "l2",
            "class_weight": weighting,
            "positive_share": positive_share,
        },
        "pruning": {"keep_largest": KEEP_WEIGHTS, "decimals": DECIMALS},
        "thresholds": {
            "possible": possible,
            "likely": likely,
            "policy": (
                f"possible: highest threshold with pooled {repeats}x{folds} CV recall of "
                f"rules-or-model >= {TARGET_RECALL}; likely: rules fire, or lowest threshold "
                f"where rules-or-model has pooled CV precision >= {TARGET_PRECISION}"
            ),
        },
        "cross_validation": {
            "repeats": repeats,
            "folds": folds,
            "seed": SEED,
            "scored_rows": (
                f"{SHARED_TRAIN} rows set the thresholds and these counts; {EVERYDAY_FILE} rows are "
                "scored in folds of their own (counts under everyday); other files always train"
            ),
            "rows": len(shared_rows),
            **summary,
            "everyday": {"rows": len(everyday_rows), **everyday},
        },
        "bias": final.bias,
        "weights": final.weights,
    }


def summarise(
    scores: Sequence[float],
    labels: Sequence[bool],
    rules: Sequence[bool],
    possible: float,
    likely: float,
) -> dict[str, dict[str, int]]:
    """Counts (tp, fn, fp, tn) of rules, model and both, pooled over the CV repeats."""

    def counts(predicted: Iterable[bool]) -> dict[str, int]:
        tally = {"tp": 0, "fn": 0, "fp": 0, "tn": 0}
        for guess, truth in zip(predicted, labels, strict=True):
            tally[("t" if guess == truth else "f") + ("p" if guess else "n")] += 1
        return tally

    return {
        "rules": counts(rules),
        "model_possible": counts(s >= possible for s in scores),
        "combined_possible": counts(r or s >= possible for s, r in zip(scores, rules, strict=True)),
        "combined_likely": counts(r or s >= likely for s, r in zip(scores, rules, strict=True)),
    }


def dump_artefact(artefact: dict[str, Any]) -> bytes:
    """Stable bytes for the artefact: sorted keys, compact separators, UTF-8."""
    text = json.dumps(artefact, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text + "\n").encode("utf-8")
