"""Measure triage: urgency (rules, learned model, both) and personal details.

Usage (from the repository root):
    python bench/triage_eval.py [--shared DIR] [--verbose]   # repeated CV + our own sets + details
    python bench/triage_eval.py --search                      # the settings grid, by CV
    python bench/triage_eval.py --heldback                    # the ONE first look at held-back rows (done)

Urgency figures come from repeated stratified cross-validation (5 repeats x 5 folds,
strata: language x urgent) over the rows of the shared training set that are not held
back. Every other file (the shared dev set, and the sets this team wrote) is always on
the training side and never scored, because the rules were tuned on them. Thresholds
are chosen on the same pooled out-of-fold scores (see training.py), so the pooled
recall of "possible" is at its target by construction; the held-back first look is
the check on that.

Intervals are 95% Wilson intervals. Pooled counts are divided by the number of repeats
first, so an interval reflects the number of distinct texts, not texts x repeats.

Everyday texts: bench/data/triage-everyday.jsonl (non-urgent texts of the kinds real entries
mostly are, written by us) is scored out of fold in the same CV, in folds of its own, and
reported as a false-flag rate; it never sets a threshold. With the CV recall on the shared
urgent rows, its false-positive rate gives an estimate of precision at realistic
prevalences (5% and 15% urgent): PPV = TPR p / (TPR p + FPR (1 - p)).

Demo town: the shipped model's flags on app/demo/town.py's texts (written by us, never
trained on) are a first look.

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
SEARCH_FLOORS = (0, 100, 200)  # FeatureSpec.scale_floor: 1/sqrt(max(n, floor))
SEARCH_SHARES = (0.5, 0.15)  # share of the loss on urgent rows: balanced, or a realistic prevalence
PREVALENCES = (0.05, 0.15)  # realistic shares of urgent entries, for precision estimates
OBJECTIVE_PREVALENCE = 0.05


def ppv(tpr: float, fpr: float, prevalence: float) -> float:
    """Precision at a prevalence, from recall and false-positive rate."""
    flagged = tpr * prevalence + fpr * (1 - prevalence)
    return tpr * prevalence / flagged if flagged else 0.0


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
    cv = tr.cross_validate(data, tr.CHOSEN_SPEC, tr.CHOSEN_C, positive_share=tr.CHOSEN_POSITIVE_SHARE)
    rows = [data.rows[i] for i in cv.eval_rows[cv.sets_thresholds]]
    rules = tr.rules_fire(r.text for r in rows)
    pooled_rows = rows * tr.REPEATS
    items = [
        (r.urgent, fired, float(s))
        for r, fired, s in zip(pooled_rows, rules * tr.REPEATS, cv.pooled(), strict=True)
    ]
    possible, likely = thresholds_from([i[2] for i in items], [i[0] for i in items], [i[1] for i in items])
    print(
        f"== Repeated CV ({tr.REPEATS}x{tr.FOLDS}) on {len(rows)} non-held-back rows of "
        f"{tr.SHARED_TRAIN}; features {tr.CHOSEN_SPEC.as_dict()}, C={tr.CHOSEN_C}, "
        f"urgent share of loss {tr.CHOSEN_POSITIVE_SHARE} ({time.perf_counter() - started:.0f} s)"
    )
    urgency_table("by language", by_group(pooled_rows, items, "lang"), possible, likely, tr.REPEATS)
    urgency_table("by voice", by_group(pooled_rows, items, "voice"), possible, likely, tr.REPEATS)
    if verbose:
        mean = np.mean(np.vstack([x[cv.sets_thresholds] for x in cv.scores]), axis=0)
        print("\n  misses of rules-or-model (mean out-of-fold score):")
        for row, fired, score in zip(rows, rules, mean, strict=True):
            if row.urgent and not fired and score < possible:
                print(f"    {row.id} {row.lang} {score:.3f}: {row.text[:100]}")

    everyday = [data.rows[i] for i in cv.eval_rows[~cv.sets_thresholds]]
    ev_rules = tr.rules_fire(r.text for r in everyday)
    ev_items = [
        (False, fired, float(s))
        for fired, s in zip(ev_rules * tr.REPEATS, cv.pooled(everyday=True), strict=True)
    ]
    if everyday:
        print(
            f"\n== Everyday texts ({tr.EVERYDAY_FILE}, {len(everyday)} non-urgent rows written by us), "
            "scored out of fold in the same CV, thresholds from the shared rows"
        )
        false_flag_table("by language", by_group(everyday * tr.REPEATS, ev_items, "lang"), possible, likely)
        false_flag_table("by voice", by_group(everyday * tr.REPEATS, ev_items, "voice"), possible, likely)
        if verbose:
            mean = np.mean(np.vstack([x[~cv.sets_thresholds] for x in cv.scores]), axis=0)
            print("\n  everyday texts flagged (mean out-of-fold score):")
            for row, fired, score in zip(everyday, ev_rules, mean, strict=True):
                if fired or score >= possible:
                    print(f"    {row.id} {row.lang} {score:.3f}{' rules' if fired else ''}: {row.text[:90]}")
        prevalence_table(items, ev_items, possible, likely)
    return possible, likely


def false_flag_table(
    title: str,
    groups: dict[str, list[tuple[bool, bool, float]]],
    possible: float,
    likely: float,
    repeats: int = tr.REPEATS,
) -> None:
    print(f"\n  false flags, {title}  (possible >= {possible}, likely >= {likely})")
    print(f"  {'group':<19}{'rules':<32}{'any flag (possible or likely)':<32}likely level")
    for name, rows in groups.items():
        n = len(rows)
        by_rules = sum(1 for _, fired, _ in rows if fired)
        flagged = sum(1 for _, fired, score in rows if fired or score >= possible)
        high = sum(1 for _, fired, score in rows if fired or score >= likely)
        print(
            f"  {name:<19}{ratio(by_rules, n, repeats):<32}{ratio(flagged, n, repeats):<32}"
            f"{ratio(high, n, repeats)}"
        )


def prevalence_table(
    shared: Sequence[tuple[bool, bool, float]],
    everyday: Sequence[tuple[bool, bool, float]],
    possible: float,
    likely: float,
) -> None:
    """Precision at realistic prevalences: PPV = TPR p / (TPR p + FPR (1 - p)).

    TPR from the shared urgent rows; FPR from the everyday rows alone, and from every
    scored non-urgent row (shared and everyday). The range uses the ends of the Wilson
    intervals of TPR and FPR (the low end: low TPR with high FPR), per distinct text.
    """
    print("\n== Estimated precision at realistic prevalences (from CV recall and false-positive rate)")
    print(f"  {'level':<24}{'FPR from':<22}{'TPR':<8}{'FPR':<8}" + "".join(f"precision @ {p:<19g}" for p in PREVALENCES))
    levels = {"any flag (possible+)": possible, "likely": likely}
    negatives = {
        "everyday rows": list(everyday),
        "all non-urgent rows": [x for x in shared if not x[0]] + list(everyday),
    }
    positives = [x for x in shared if x[0]]
    for level, cut in levels.items():
        tp = sum(1 for _, fired, score in positives if fired or score >= cut) / tr.REPEATS
        n_pos = len(positives) / tr.REPEATS
        for source, rows in negatives.items():
            fp = sum(1 for _, fired, score in rows if fired or score >= cut) / tr.REPEATS
            n_neg = len(rows) / tr.REPEATS
            tpr, fpr = tp / n_pos, fp / n_neg
            tpr_lo, tpr_hi = wilson(tp, n_pos)
            fpr_lo, fpr_hi = wilson(fp, n_neg)
            cells = "".join(
                f"{ppv(tpr, fpr, p):.3f} [{ppv(tpr_lo, fpr_hi, p):.2f}, {ppv(tpr_hi, fpr_lo, p):.2f}]{'':<5}"
                for p in PREVALENCES
            )
            print(f"  {level:<24}{source:<22}{tpr:<8.3f}{fpr:<8.3f}{cells}")


def run_demo() -> None:
    """First look: the shipped model on the demo town's texts (written by us, never trained on)."""
    from app.demo import town
    from app.moderation.triage import assess_urgency

    groups: dict[str, list[str]] = {f"report text ({kind})": list(texts) for kind, texts in town.TEXTS.items()}
    groups["what would help"] = list(dict.fromkeys(h for hs in town.HELPS.values() for h in hs if h))
    groups["place and context names"] = sorted({p[0] for p in town.PLACES} | {c[0] for c in town.CONTEXT_NAMES})
    print("\n== First look: demo town texts (app/demo/town.py, written by us, not trained on), shipped model")
    print(f"  {'texts':<34}{'flagged (possible or likely) [95% CI]':<40}likely")
    everything: list[str] = []
    flagged_texts: list[tuple[str, float, str]] = []
    for name, texts in groups.items():
        levels = [assess_urgency(t) for t in texts]
        flagged = sum(u.urgent for u in levels)
        likely = sum(u.level == "likely" for u in levels)
        everything.extend(texts)
        flagged_texts.extend((u.level, u.score, t) for u, t in zip(levels, texts, strict=True) if u.urgent)
        print(f"  {name:<34}{ratio(flagged, len(texts)):<40}{likely}")
    urgent = [assess_urgency(t) for t in town.URGENT_TEXTS]
    print(f"  {'demo urgent texts (recall)':<34}{ratio(sum(u.urgent for u in urgent), len(urgent)):<40}"
          f"{sum(u.level == 'likely' for u in urgent)}")
    for level, score, text in flagged_texts:
        print(f"    flagged {level} {score:.3f}: {text}")


def fit_and_score(
    train: tr.TrainingData, test_texts: Sequence[str]
) -> tuple[list[float], float, float]:
    """Thresholds by CV on ``train``, final fit on all of it, scores for ``test_texts``."""
    artefact = tr.train_artefact(train, trained_on="evaluation")
    model = model_from_dict(artefact)
    return [model.score(t) for t in test_texts], model.possible_threshold, model.likely_threshold


def _own_set_job(job: tuple[str, tr.TrainingData, list[tr.Row]]) -> tuple[str, list[float], float, float]:
    name, train, test = job
    scores, possible, likely = fit_and_score(train, [r.text for r in test])
    return name, scores, possible, likely


def run_own_sets(shared: Path, heldback: set[str], jobs: int = 2) -> None:
    import multiprocessing

    print("\n== Our own sets, leave-one-file-out (written by us; the rules were tuned on the first three)")
    full = tr.load_training_data(shared, exclude_ids=heldback)
    work: list[tuple[str, tr.TrainingData, list[tr.Row]]] = []
    for name in tr.OWN_FILES:
        path = tr.BENCH_DATA / name
        if not path.is_file():
            continue
        keep = [i for i, r in enumerate(full.rows) if r.source != name]
        train = tr.TrainingData(
            [full.rows[i] for i in keep], full.files, [full.evaluable[i] for i in keep]
        )
        work.append((name, train, tr.read_rows(path)))
    tests = {name: test for name, _, test in work}
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for name, scores, possible, likely in pool.imap(_own_set_job, work):
            test = tests[name]
            rules = tr.rules_fire(r.text for r in test)
            items = [(r.urgent, f, s) for r, f, s in zip(test, rules, scores, strict=True)]
            if name == tr.EVERYDAY_FILE:
                false_flag_table(f"{name} ({len(test)} rows), model trained without any of them",
                                 {"all": items}, possible, likely, repeats=1)
                continue
            urgency_table(f"{name} ({len(test)} rows)", {"all": items}, possible, likely, 1)


def run_heldback(shared: Path, heldback: set[str]) -> None:
    """The one first look: train without the held-back rows, score them.

    Done once, on 2026-12-01, for the previous model; its figures in bench/README.md are
    the record. Those rows are training data now (the shipped model is trained on them),
    so running this again gives figures that are NOT a first look at unseen texts.
    """
    print("NOTE: the held-back rows were looked at once (2026-12-01, previous model); "
          "these figures are not a first look at unseen texts.", file=sys.stderr)
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


@dataclass(frozen=True)
class Setting:
    spec: FeatureSpec
    c: float
    share: float

    def label(self) -> str:
        s = self.spec
        return f"{s.char_min}-{s.char_max} chars, words<={s.word_max}, floor {s.scale_floor:<4}C {self.c:<5g}share {self.share:g}"


def score_setting(job: tuple[tr.TrainingData, Setting]) -> tuple[Setting, dict[str, float]]:
    """One setting by repeated CV: thresholds on the shared rows, then the objective."""
    data, setting = job
    cv = tr.cross_validate(data, setting.spec, setting.c, positive_share=setting.share)
    shared = cv.eval_rows[cv.sets_thresholds]
    everyday = cv.eval_rows[~cv.sets_thresholds]
    labels = [data.rows[i].urgent for i in shared] * tr.REPEATS
    rules = tr.rules_fire(data.rows[i].text for i in shared) * tr.REPEATS
    scores = [float(x) for x in cv.pooled()]
    possible, likely = thresholds_from(scores, labels, rules)
    s = tr.summarise(scores, labels, rules, possible, likely)
    ev_rules = tr.rules_fire(data.rows[i].text for i in everyday) * tr.REPEATS
    ev_scores = [float(x) for x in cv.pooled(everyday=True)]
    ev = tr.summarise(ev_scores, [False] * len(ev_scores), ev_rules, possible, likely)
    cp, cl = s["combined_possible"], s["combined_likely"]
    evp, evl = ev["combined_possible"], ev["combined_likely"]
    tpr = cp["tp"] / (cp["tp"] + cp["fn"])
    fpr_all = (cp["fp"] + evp["fp"]) / (cp["fp"] + cp["tn"] + evp["fp"] + evp["tn"])
    return setting, {
        "possible": possible,
        "likely": likely,
        "prec_shared": cp["tp"] / (cp["tp"] + cp["fp"]),
        "everyday_possible": evp["fp"] / max(len(ev_scores), 1),
        "everyday_likely": evl["fp"] / max(len(ev_scores), 1),
        "recall_likely": cl["tp"] / (cl["tp"] + cl["fn"]),
        "auc": auc(scores, labels),
        "objective": ppv(tpr, fpr_all, OBJECTIVE_PREVALENCE),
    }


def run_search(data: tr.TrainingData, jobs: int) -> None:
    """The settings grid by repeated CV, in three stages (a full product would take hours here).

    Objective: precision of rules-or-model at 5% prevalence, from its pooled out-of-fold
    recall on the shared urgent rows at the "possible" threshold (recall >= 0.97 by the
    threshold policy) and its false-positive rate over every scored non-urgent row, shared
    and everyday. Stage 1: scaling floor x class weighting at the previous settings
    (4-6 chars with word pairs, C = 300). Stage 2: the feature grid with the best of stage 1.
    Stage 3: C for the best of stage 2.
    """
    import multiprocessing

    print("== Settings search by repeated CV (non-held-back shared rows; everyday rows scored too)")
    print(
        f"  {'setting':<52}possible  prec(shared)  everyday flagged (possible/likely)  "
        f"likely  recall@likely  AUC    objective: precision @ {OBJECTIVE_PREVALENCE:g}"
    )
    results: dict[Setting, dict[str, float]] = {}

    def run(settings: list[Setting]) -> Setting:
        todo = [x for x in dict.fromkeys(settings) if x not in results]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for setting, r in pool.imap(score_setting, [(data, x) for x in todo]):
                results[setting] = r
                print(
                    f"  {setting.label():<52}{r['possible']:<10}{r['prec_shared']:<14.3f}"
                    f"{r['everyday_possible']:.3f} / {r['everyday_likely']:.3f}{'':<20}{r['likely']:<8}"
                    f"{r['recall_likely']:<15.3f}{r['auc']:<7.3f}{r['objective']:.3f}",
                    flush=True,
                )
        return max(settings, key=lambda x: (results[x]["objective"], -settings.index(x)))

    start = Setting(FeatureSpec(4, 6, 2), 300.0, 0.5)
    print("  -- stage 1: scaling floor x class weighting")
    stage1 = [
        Setting(FeatureSpec(4, 6, 2, floor), 300.0, share) for share in SEARCH_SHARES for floor in SEARCH_FLOORS
    ]
    best = run([start, *stage1])
    print(f"  best: {best.label()}\n  -- stage 2: features")
    stage2 = [
        Setting(FeatureSpec(s.char_min, s.char_max, s.word_max, best.spec.scale_floor), best.c, best.share)
        for s in SEARCH_SPECS
    ]
    best = run([best, *stage2])
    print(f"  best: {best.label()}\n  -- stage 3: C")
    best = run([best, *(Setting(best.spec, c, best.share) for c in (*SEARCH_C, 1000.0))])
    print(f"  chosen: {best.label()}  objective {results[best]['objective']:.3f}")


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
    parser.add_argument("--jobs", type=int, default=2, help="processes for --search")
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
        run_search(data, args.jobs)
        return 0
    run_cv(data, args.verbose)
    run_demo()
    run_own_sets(args.shared, heldback)
    shared_rows = [r for i, r in enumerate(data.rows) if data.sets_thresholds(i)]
    details_table("personal details, non-held-back rows of the shared training set", shared_rows, args.shared)
    own = [r for r in data.rows if r.source in tr.OWN_FILES or r.source == tr.SHARED_DEV]
    details_table("personal details, shared dev set and our own sets (tuned on / written by us)", own, args.shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
