"""Measure the personal-detail detectors per language and per kind.

Usage (from the repository root):
    python bench/pii_eval.py [--verbose] [--lang LL] [FILE ...]
    python bench/pii_eval.py --heldback      # the one look at the held-back rows

Default files: ../shared/eval/triage-train.jsonl (without the rows listed in
bench/data/triage-heldback-ids.txt) and ../shared/eval/triage-dev.jsonl (English).
``--heldback`` scores only the held-back rows and never lists their texts or misses.

Matching is the rule bench/triage_eval.py uses: each gold detail is located in the row
text (longer details first, repeats take later copies) and counts as found when a
predicted span overlaps it; "kind" recall also needs the same kind. A text without
gold details is "flagged" when any span is predicted. Detectors run without area
gazetteers. Intervals are 95% Wilson score intervals.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from app.moderation.triage.pii import Span, find_personal_details  # noqa: E402

SHARED_EVAL = REPO_ROOT.parent / "shared" / "eval"
TRAIN_FILE = SHARED_EVAL / "triage-train.jsonl"
DEV_FILE = SHARED_EVAL / "triage-dev.jsonl"
HELDBACK_IDS = REPO_ROOT / "bench" / "data" / "triage-heldback-ids.txt"


@dataclass
class Tally:
    """Successes out of trials, printed as a rate with a Wilson interval."""

    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.total += 1

    def __str__(self) -> str:
        if not self.total:
            return "   n/a"
        low, high = wilson_interval(self.hits, self.total)
        rate = self.hits / self.total
        return f"{rate:6.3f} [{low:.3f}, {high:.3f}] {self.hits:>4}/{self.total:<4}"


@dataclass
class Group:
    recall_kind: Tally = field(default_factory=Tally)
    recall_any: Tally = field(default_factory=Tally)
    flagged_without: Tally = field(default_factory=Tally)


def wilson_interval(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion."""
    if total == 0:
        return (0.0, 1.0)
    p = hits / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def locate_gold(text: str, details: list[dict[str, str]]) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) per gold detail; longer ones claim text first."""
    placed: list[tuple[str, str, int, int]] = []
    for detail in sorted(details, key=lambda d: -len(d["text"])):
        length = len(detail["text"])
        start = text.find(detail["text"])
        while start != -1 and any(start < e and s < start + length for _, _, s, e in placed):
            start = text.find(detail["text"], start + 1)
        if start == -1:
            raise ValueError(f"gold detail {detail['text']!r} not found in text")
        placed.append((detail["kind"], detail["text"], start, start + length))
    return sorted(placed, key=lambda g: g[2])


def read_heldback_ids() -> set[str]:
    lines = HELDBACK_IDS.read_text("utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def load_rows(paths: list[Path], *, heldback: bool) -> list[dict[str, object]]:
    held = read_heldback_ids()
    rows: list[dict[str, object]] = []
    for path in paths:
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            is_held = path.name == TRAIN_FILE.name and str(row["id"]) in held
            if is_held == heldback:
                row.setdefault("lang", "en")
                rows.append(row)
    return rows


def evaluate(rows: list[dict[str, object]], *, verbose: bool) -> None:
    by_lang: dict[str, Group] = defaultdict(Group)
    by_kind: dict[str, Group] = defaultdict(Group)
    overall = Group()
    misses: list[str] = []
    seconds = 0.0
    for row in rows:
        text = str(row["text"])
        lang = str(row.get("lang") or "en")
        started = time.perf_counter()
        spans: list[Span] = find_personal_details(text)
        seconds += time.perf_counter() - started
        gold_list = row.get("pii") or []
        assert isinstance(gold_list, list)
        gold = locate_gold(text, gold_list)
        for kind, detail, start, end in gold:
            overlapping = [s for s in spans if s.start < end and start < s.end]
            same = any(s.kind == kind for s in overlapping)
            for group in (overall, by_lang[lang], by_kind[kind]):
                group.recall_kind.add(same)
                group.recall_any.add(bool(overlapping))
            if not same and verbose:
                how = "found as another kind" if overlapping else "not found"
                misses.append(f"{row['id']} [{lang}] miss {kind} {detail!r} {how}")
        for span in spans:
            if verbose and not any(span.start < e and s < span.end for _, _, s, e in gold):
                misses.append(
                    f"{row['id']} [{lang}] spurious {span.kind} {text[span.start : span.end]!r}"
                )
        if not gold:
            for group in (overall, by_lang[lang]):
                group.flagged_without.add(bool(spans))

    header = f"{'':<16}{'recall (kind)':<30}{'recall (any kind)':<30}no-detail texts flagged"
    print(header)
    for label, group in [("all", overall), *sorted(by_lang.items())]:
        print(
            f"{label:<16}{group.recall_kind!s:<30}{group.recall_any!s:<30}{group.flagged_without}"
        )
    print()
    for label, group in sorted(by_kind.items()):
        print(f"{label:<16}{group.recall_kind!s:<30}{group.recall_any!s:<30}")
    print(f"\n{len(rows)} rows, mean {1000 * seconds / max(len(rows), 1):.3f} ms per text")
    for miss in misses:
        print(f"  {miss}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path, help="labelled JSON-lines files")
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and extras")
    parser.add_argument("--lang", help="only rows in this language")
    parser.add_argument(
        "--heldback", action="store_true", help="score only the held-back rows (figures only)"
    )
    args = parser.parse_args(argv)
    if args.heldback and args.verbose:
        parser.error("--heldback reports figures only; it never lists texts or misses")
    files: list[Path] = args.files or ([TRAIN_FILE] if args.heldback else [TRAIN_FILE, DEV_FILE])
    rows = load_rows(files, heldback=args.heldback)
    if args.lang:
        rows = [r for r in rows if r.get("lang") == args.lang]
    evaluate(rows, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
