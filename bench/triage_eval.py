"""Measure the triage detectors on labelled JSON-lines files.

Usage (from the repository root):
    python bench/triage_eval.py [--verbose] [FILE ...]

Default files: the shared dev set, bench/data/triage-extra.jsonl and
bench/data/triage-holdout.jsonl, each reported separately. Rows look like
{"id", "text", "urgent": bool, "pii": [{"kind", "text"}], "note"}.

Gold personal details give the text, not offsets. A gold detail counts as found when a
predicted span of the same kind overlaps it (also reported: any kind). Detectors run
without area gazetteers, the harder condition. Exits 2 if a file is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from app.moderation.triage import Span, triage  # noqa: E402

DEFAULT_FILES = (
    REPO_ROOT.parent / "shared" / "eval" / "triage-dev.jsonl",
    REPO_ROOT / "bench" / "data" / "triage-extra.jsonl",
    REPO_ROOT / "bench" / "data" / "triage-holdout.jsonl",
    REPO_ROOT / "bench" / "data" / "triage-lead-fresh.jsonl",
)


@dataclass(frozen=True)
class GoldDetail:
    kind: str
    text: str
    start: int
    end: int


@dataclass
class FileReport:
    rows: int = 0
    urgent_tp: int = 0
    urgent_fn: int = 0
    urgent_fp: int = 0
    gold_details: int = 0
    found_same_kind: int = 0
    found_any_kind: int = 0
    predicted_spans: int = 0
    spurious_spans: int = 0
    texts_without_details: int = 0
    flagged_without_details: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f}" if denominator else "n/a"


def locate_gold(text: str, details: list[dict[str, str]]) -> list[GoldDetail]:
    """Offsets for gold details; longer ones claim text first, repeats take later copies."""
    placed: list[GoldDetail] = []
    for detail in sorted(details, key=lambda d: -len(d["text"])):
        start = text.find(detail["text"])
        while start != -1 and any(
            start < g.end and g.start < start + len(detail["text"]) for g in placed
        ):
            start = text.find(detail["text"], start + 1)
        if start == -1:
            raise ValueError(f"gold detail {detail['text']!r} not found in text")
        placed.append(
            GoldDetail(detail["kind"], detail["text"], start, start + len(detail["text"]))
        )
    return sorted(placed, key=lambda g: g.start)


def _overlaps(gold: GoldDetail, span: Span) -> bool:
    return span.start < gold.end and gold.start < span.end


def _evaluate_row(row: dict[str, object], report: FileReport) -> None:
    text = str(row["text"])
    row_id = str(row["id"])
    started = time.perf_counter()
    result = triage(text)
    report.seconds += time.perf_counter() - started
    report.rows += 1

    gold_urgent = bool(row["urgent"])
    if gold_urgent and result.urgent:
        report.urgent_tp += 1
    elif gold_urgent:
        report.urgent_fn += 1
        report.misses.append(f"{row_id}  urgent missed: {text[:90]}")
    elif result.urgent:
        report.urgent_fp += 1
        report.misses.append(f"{row_id}  false urgent {list(result.reasons)}: {text[:80]}")

    gold_list = row.get("pii") or []
    if not isinstance(gold_list, list):
        raise TypeError(f"{row_id}: 'pii' must be a list")
    gold = locate_gold(text, gold_list)
    report.gold_details += len(gold)
    report.predicted_spans += len(result.pii)
    for detail in gold:
        same = any(_overlaps(detail, s) and s.kind == detail.kind for s in result.pii)
        anyk = any(_overlaps(detail, s) for s in result.pii)
        report.found_same_kind += same
        report.found_any_kind += anyk
        if not same:
            how = "found as another kind" if anyk else "not found"
            report.misses.append(f"{row_id}  {detail.kind} {detail.text!r} {how}")
    for span in result.pii:
        if not any(_overlaps(g, span) for g in gold):
            report.spurious_spans += 1
            report.misses.append(f"{row_id}  spurious {span.kind} {text[span.start : span.end]!r}")
    if not gold:
        report.texts_without_details += 1
        report.flagged_without_details += bool(result.pii)


def evaluate_file(path: Path) -> FileReport:
    report = FileReport()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                _evaluate_row(json.loads(line), report)
    return report


def _line(label: str, value: str, detail: str = "") -> None:
    print(f"  {label:<25}{value}{'  (' + detail + ')' if detail else ''}")


def print_report(path: Path, report: FileReport, *, verbose: bool) -> None:
    r = report
    urgent_gold, urgent_predicted = r.urgent_tp + r.urgent_fn, r.urgent_tp + r.urgent_fp
    print(f"== {path.name} ({r.rows} rows)")
    _line("urgent recall", _ratio(r.urgent_tp, urgent_gold), f"{r.urgent_tp}/{urgent_gold}")
    _line(
        "urgent precision",
        _ratio(r.urgent_tp, urgent_predicted),
        f"{r.urgent_tp}/{urgent_predicted}",
    )
    _line(
        "detail recall (kind)",
        _ratio(r.found_same_kind, r.gold_details),
        f"{r.found_same_kind}/{r.gold_details}",
    )
    _line(
        "detail recall (any kind)",
        _ratio(r.found_any_kind, r.gold_details),
        f"{r.found_any_kind}/{r.gold_details}",
    )
    _line("spurious spans", f"{r.spurious_spans}/{r.predicted_spans} predicted")
    no_pii = _ratio(r.flagged_without_details, r.texts_without_details)
    _line(
        "no-detail texts flagged", no_pii, f"{r.flagged_without_details}/{r.texts_without_details}"
    )
    _line("mean time per text", f"{1000 * r.seconds / max(r.rows, 1):.2f} ms")
    if verbose and r.misses:
        print("  misses:")
        for miss in r.misses:
            print(f"    {miss}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path, help="labelled JSON-lines files")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    files: list[Path] = args.files or list(DEFAULT_FILES)
    missing = [f for f in files if not f.is_file()]
    if missing:
        for path in missing:
            print(f"missing file: {path}", file=sys.stderr)
        return 2
    for path in files:
        print_report(path, evaluate_file(path), verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
