"""How fast triage is: the disclosure rules with and without their literal prefilter, the
personal-details detectors and the learned model, in one run.

    .venv/bin/python bench/disclosure_speed.py [--repeats 5]

Times explain_disclosure over every text in ../shared/eval and bench/data (about 1,400), and over
one 2,000-character entry (the longest a report may be), first with the prefilter (cues tried only
in sentences holding one of their trigger strings), then with every cue tried in every sentence.
Prints medians of the repeats and the ratio, so a noisy machine slows both alike. Then the
personal-details detectors and the learned model's score over the same texts (the budgets the
unit tests used to assert: under 2 ms and 20 ms a text; both are far under).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from pathlib import Path
from unittest import mock

from app.moderation.triage import disclosure, find_personal_details
from app.moderation.triage.model import load_model
from app.moderation.triage.prefilter import TextIndex

ROOT = Path(__file__).resolve().parents[1]
LONG_ENTRY = (
    "I keep cutting myself at night. I want to die. The park on Mill Lane is dodgy at night. " * 30
)[:2000]


def texts() -> list[str]:
    found = []
    for path in sorted([*ROOT.parent.glob("shared/eval/*.jsonl"), *ROOT.glob("bench/data/*.jsonl")]):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(json.loads(line)["text"])
    return found


def seconds(corpus: list[str]) -> float:
    started = time.perf_counter()
    for text in corpus:
        disclosure.explain_disclosure(text)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    corpus = texts()
    long_entry = [LONG_ENTRY] * 50

    def everywhere(self: TextIndex, triggers: frozenset[str] | None) -> list[tuple[int, int]]:
        return list(self.sentences)

    results: dict[str, dict[str, float]] = {}
    for label, patch in (("prefilter", None), ("no prefilter", everywhere)):
        with mock.patch.object(TextIndex, "regions_for", patch) if patch else contextlib.nullcontext():
            seconds(corpus[:50])  # warm up
            corpus_runs = [seconds(corpus) for _ in range(args.repeats)]
            long_runs = [seconds(long_entry) for _ in range(args.repeats)]
        results[label] = {
            "ms_per_text": statistics.median(corpus_runs) * 1000 / len(corpus),
            "ms_per_long_entry": statistics.median(long_runs) * 1000 / len(long_entry),
        }
    for label, row in results.items():
        print(f"{label:>13}: {row['ms_per_text']:.3f} ms per text (median of {args.repeats}), {row['ms_per_long_entry']:.2f} ms per 2,000-character entry")
    ratio = results["no prefilter"]["ms_per_text"] / results["prefilter"]["ms_per_text"]
    long_ratio = results["no prefilter"]["ms_per_long_entry"] / results["prefilter"]["ms_per_long_entry"]
    print(f"prefilter speed-up: {ratio:.2f}x on the evaluation texts, {long_ratio:.2f}x on a long entry ({len(corpus)} texts)")
    model = load_model()
    find_personal_details(corpus[0])  # warm the gazetteer cache
    for label, run in (("personal details", find_personal_details), ("learned model", model.score)):
        runs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            for text in corpus:
                run(text)
            runs.append(time.perf_counter() - started)
        print(f"{label:>16}: {statistics.median(runs) * 1000 / len(corpus):.3f} ms per text (median of {args.repeats})")


if __name__ == "__main__":
    main()
