"""Measure triage: urgency (rules, learned model, both) and personal details.

Usage (from the repository root):
    python bench/triage_eval.py [--shared DIR] [--verbose]   # repeated CV + our own sets + details
    python bench/triage_eval.py --search                      # the settings grid, by CV
    python bench/triage_eval.py --heldback                    # the ONE first look at held-back rows

Urgency figures come from repeated stratified cross-validation (5 repeats x 5 folds,
strata: language x urgent) over the rows of the shared training set that are not held
back. Every other file (the shared dev set, and the sets this team wrote) is always on
the training side and never scored, because the rules were tuned on them. Thresholds
are chosen on the same pooled out-of-fold scores (see training.py), so the pooled
recall of "possible" is at its target by construction; the held-back first look is
the check on that.

Intervals are 95% Wilson intervals. Pooled counts are divided by the number of repeats
first, so an interval reflects the number of distinct texts, not texts x repeats.

Our own sets are reported leave-one-file-out: the model is trained on everything but
that file (and the held-back rows); the rules were tuned on them, so rules figures there
are optimistic, and all of them were written by us.

Personal details: gold details give the text, not offsets; a gold detail counts as
found when a predicted span of the same kind overlaps it. Detectors run without area
gazetteers, the harder condition.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from app.moderation.triage import Span, find_personal_details  # noqa: E402
from app.moderation.triage import training as tr  # noqa: E402
from app.moderation.triage.model import FeatureSpec, model_from_dict  # noqa: E402

SEARCH_SPECS = (
    FeatureSpec(1, 4, 1),
    FeatureSpec(2, 4, 2),
    FeatureSpec(2, 5, 1),
    FeatureSpec(2, 5, 2),
    FeatureSpec(3, 5, 2),
    FeatureSpec(3, 6, 2),
    FeatureSpec(4, 6, 1),
    FeatureSpec(4, 6, 2),
    FeatureSpec(4, 7, 2),
)
SEARCH_C = (3.0, 10.0, 30.0, 100.0, 300.0)


def wilson(successes: float, trials: float, z: float = 1.96) -> tuple[float, float]:
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))


def ratio(successes: float, trials: float, repeats: int = 1) -> str:
    """'0.913 [0.87, 0.94] (219/240)', counts per repeat."""
    if trials == 0:
        return "n/a"
    s, t = successes / repeats, trials / repeats
    low, high = wilson(s, t)
    shown = f"{s:g}/{t:g}" if repeats == 1 else f"{s:.1f}/{t:g}"
    return f"{s / t:.3f} [{low:.2f}, {high:.2f}] ({shown})"


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0

    def add(self, predicted: bool, truth: bool) -> None:
        if predicted and truth:
            self.tp += 1
        elif truth:
            self.fn += 1
        elif predicted:
            self.fp += 1


def urgency_table(
    title: str,
    groups: dict[str, list[tuple[bool, bool, float]]],
    possible: float,
    likely: float,
    repeats: int,
) -> None:
    """Rows of (truth, rules fired, score) per group -> recall and precision per layer."""
    print(f"\n{title}  (possible >= {possible}, likely >= {likely})")
    print(f"  {'group':<19}{'layer':<18}{'recall [95% CI]':<36}precision [95% CI]")
    for name, rows in groups.items():
        layers = {
            "rules": Tally(),
            "model (possible)": Tally(),
            "rules or model": Tally(),
            "likely level": Tally(),
        }
        for truth, rules, score in rows:
            layers["rules"].add(rules, truth)
            layers["model (possible)"].add(score >= possible, truth)
            layers["rules or model"].add(rules or score >= possible, truth)
            layers["likely level"].add(rules or score >= likely, truth)
        for label, t in layers.items():
            recall = ratio(t.tp, t.tp + t.fn, repeats)
            precision = ratio(t.tp, t.tp + t.fp, repeats)
            print(f"  {name:<19}{label:<18}{recall:<36}{precision}")


def by_group(
    rows: Sequence[tr.Row], truth_rules_scores: Sequence[tuple[bool, bool, float]], key: str
) -> dict[str, list[tuple[bool, bool, float]]]:
    groups: dict[str, list[tuple[bool, bool, float]]] = defaultdict(list)
    for row, item in zip(rows, truth_rules_scores, strict=True):
        groups["all"].append(item)
        groups[getattr(row, key)].append(item)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0])))


def thresholds_from(
    scores: Sequence[float], labels: Sequence[bool], rules: Sequence[bool]
) -> tuple[float, float]:
    possible = tr.choose_possible_threshold(scores, labels, rules)
    return possible, tr.choose_likely_threshold(scores, labels, rules, floor=possible)


def run_cv(data: tr.TrainingData, verbose: bool) -> tuple[float, float]:
    started = time.perf_counter()
    cv = tr.cross_validate(data, tr.CHOSEN_SPEC, tr.CHOSEN_C)
    rows = [data.rows[i] for i in cv.eval_rows]
    rules = tr.rules_fire(r.text for r in rows)
    pooled_rows = rows * tr.REPEATS
    items = [
        (r.urgent, fired, float(s))
        for r, fired, s in zip(pooled_rows, rules * tr.REPEATS, cv.pooled(), strict=True)
    ]
    possible, likely = thresholds_from([i[2] for i in items], [i[0] for i in items], [i[1] for i in items])
    print(
        f"== Repeated CV ({tr.REPEATS}x{tr.FOLDS}) on {len(rows)} non-held-back rows of "
        f"{tr.SHARED_TRAIN}; features {tr.CHOSEN_SPEC.as_dict()}, C={tr.CHOSEN_C} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    urgency_table("by language", by_group(pooled_rows, items, "lang"), possible, likely, tr.REPEATS)
    urgency_table("by voice", by_group(pooled_rows, items, "voice"), possible, likely, tr.REPEATS)
    if verbose:
        mean = np.mean(np.vstack(cv.scores), axis=0)
        print("\n  misses of rules-or-model (mean out-of-fold score):")
        for row, fired, score in zip(rows, rules, mean, strict=True):
            if row.urgent and not fired and score < possible:
                print(f"    {row.id} {row.lang} {score:.3f}: {row.text[:100]}")
    return possible, likely


def fit_and_score(
    train: tr.TrainingData, test_texts: Sequence[str]
) -> tuple[list[float], float, float]:
    """Thresholds by CV on ``train``, final fit on all of it, scores for ``test_texts``."""
    artefact = tr.train_artefact(train, trained_on="evaluation")
    model = model_from_dict(artefact)
    return [model.score(t) for t in test_texts], model.possible_threshold, model.likely_threshold


def run_own_sets(shared: Path, heldback: set[str]) -> None:
    print("\n== Our own sets, leave-one-file-out (written by us; the rules were tuned on the first three)")
    for name in tr.OWN_FILES:
        path = tr.BENCH_DATA / name
        if not path.is_file():
            continue
        full = tr.load_training_data(shared, exclude_ids=heldback)
        keep = [i for i, r in enumerate(full.rows) if r.source != name]
        train = tr.TrainingData(
            [full.rows[i] for i in keep], full.files, [full.evaluable[i] for i in keep]
        )
        test = tr.read_rows(path)
        scores, possible, likely = fit_and_score(train, [r.text for r in test])
        rules = tr.rules_fire(r.text for r in test)
        items = [(r.urgent, f, s) for r, f, s in zip(test, rules, scores, strict=True)]
        urgency_table(f"{name} ({len(test)} rows)", {"all": items}, possible, likely, 1)


def run_heldback(shared: Path, heldback: set[str]) -> None:
    """The one first look: train without the held-back rows, score them."""
    train = tr.load_training_data(shared, exclude_ids=heldback)
    held = [r for r in tr.read_rows(shared / tr.SHARED_TRAIN) if r.id in heldback]
    started = time.perf_counter()
    scores, possible, likely = fit_and_score(train, [r.text for r in held])
    rules = tr.rules_fire(r.text for r in held)
    items = [(r.urgent, f, s) for r, f, s in zip(held, rules, scores, strict=True)]
    print(
        f"== FIRST LOOK at the {len(held)} held-back rows (model trained without them, "
        f"chosen settings; {time.perf_counter() - started:.0f} s)"
    )
    urgency_table("by language", by_group(held, items, "lang"), possible, likely, 1)
    urgency_table("by voice", by_group(held, items, "voice"), possible, likely, 1)
    details_table("personal details, held-back rows", held, shared)


def run_search(data: tr.TrainingData) -> None:
    """The settings grid; the objective is precision of rules-or-model at recall >= 0.97."""
    print("== Settings search by repeated CV (non-held-back shared rows)")
    print("  features                 C      possible  prec@possible  likely  recall@likely  AUC")
    eval_rows = [data.rows[i] for i in np.flatnonzero(np.asarray(data.evaluable))]
    rules = tr.rules_fire(r.text for r in eval_rows) * tr.REPEATS
    labels = [r.urgent for r in eval_rows] * tr.REPEATS
    for spec in SEARCH_SPECS:
        design = tr.build_design([r.text for r in data.rows], spec)
        k = tr.kernel(design)
        for c in SEARCH_C:
            cv = tr.cross_validate(data, spec, c, design=design, k=k)
            scores = [float(s) for s in cv.pooled()]
            possible, likely = thresholds_from(scores, labels, rules)
            s = tr.summarise(scores, labels, rules, possible, likely)
            cp, cl = s["combined_possible"], s["combined_likely"]
            print(
                f"  {spec.char_min}-{spec.char_max} chars, words<={spec.word_max}   {c:<7g}"
                f"{possible:<10}{cp['tp'] / (cp['tp'] + cp['fp']):<15.3f}{likely:<8}"
                f"{cl['tp'] / (cl['tp'] + cl['fn']):<15.3f}{auc(scores, labels):.3f}",
                flush=True,
            )


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve (ties count half)."""
    order = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    rank_sum, position = 0.0, 0
    while position < len(order):
        end = position
        while end < len(order) and order[end][0] == order[position][0]:
            end += 1
        mean_rank = (position + end + 1) / 2
        rank_sum += mean_rank * sum(1 for _, y in order[position:end] if y)
        position = end
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


# ---------------------------------------------------------------- personal details


def locate_gold(text: str, details: list[dict[str, str]]) -> list[tuple[str, int, int]]:
    """Offsets for gold details; longer ones claim text first, repeats take later copies."""
    placed: list[tuple[str, int, int]] = []
    for detail in sorted(details, key=lambda d: -len(d["text"])):
        start = text.find(detail["text"])
        while start != -1 and any(start < e and s < start + len(detail["text"]) for _, s, e in placed):
            start = text.find(detail["text"], start + 1)
        if start == -1:
            raise ValueError(f"gold detail {detail['text']!r} not found in text")
        placed.append((detail["kind"], start, start + len(detail["text"])))
    return placed


def read_gold(path: Path) -> dict[str, list[dict[str, str]]]:
    import json

    with path.open(encoding="utf-8") as handle:
        return {str(r["id"]): r.get("pii") or [] for r in map(json.loads, filter(str.strip, handle))}


def details_table(title: str, rows: Iterable[tr.Row], shared: Path) -> None:
    gold_by_file: dict[str, dict[str, list[dict[str, str]]]] = {}
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # found, gold, flagged, none
    seconds, count = 0.0, 0
    for row in rows:
        if row.source not in gold_by_file:
            folder = shared if row.source in (tr.SHARED_TRAIN, tr.SHARED_DEV) else tr.BENCH_DATA
            gold_by_file[row.source] = read_gold(folder / row.source)
        gold = locate_gold(row.text, gold_by_file[row.source][row.id])
        started = time.perf_counter()
        spans: list[Span] = find_personal_details(row.text)
        seconds += time.perf_counter() - started
        count += 1
        for key in ("all", row.lang):
            s = stats[key]
            s[0] += sum(
                any(sp.kind == kind and sp.start < e and s0 < sp.end for sp in spans)
                for kind, s0, e in gold
            )
            s[1] += len(gold)
            if not gold:
                s[2] += bool(spans)
                s[3] += 1
    print(f"\n{title}  ({1000 * seconds / max(count, 1):.2f} ms/text)")
    print(f"  {'language':<10}{'detail recall (same kind) [95% CI]':<42}no-detail texts flagged [95% CI]")
    for key in sorted(stats, key=lambda k: (k != "all", k)):
        found, gold_n, flagged, none = stats[key]
        print(f"  {key:<10}{ratio(found, gold_n):<42}{ratio(flagged, none)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=tr.DEFAULT_SHARED, help="folder of the shared eval files")
    parser.add_argument("--verbose", "-v", action="store_true", help="list urgent texts that CV missed")
    parser.add_argument("--search", action="store_true", help="run the settings grid instead")
    parser.add_argument("--heldback", action="store_true", help="the one first look at held-back rows")
    args = parser.parse_args(argv)
    if not (args.shared / tr.SHARED_TRAIN).is_file():
        print(f"missing file: {args.shared / tr.SHARED_TRAIN}", file=sys.stderr)
        return 2
    heldback = tr.read_heldback_ids()
    if args.heldback:
        run_heldback(args.shared, heldback)
        return 0
    data = tr.load_training_data(args.shared, exclude_ids=heldback)
    if args.search:
        run_search(data)
        return 0
    run_cv(data, args.verbose)
    run_own_sets(args.shared, heldback)
    shared_rows = [r for r, ok in zip(data.rows, data.evaluable, strict=True) if ok]
    details_table("personal details, non-held-back rows of the shared training set", shared_rows, args.shared)
    own = [r for r in data.rows if r.source in tr.OWN_FILES or r.source == tr.SHARED_DEV]
    details_table("personal details, shared dev set and our own sets (tuned on / written by us)", own, args.shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
