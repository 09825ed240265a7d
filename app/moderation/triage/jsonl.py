"""JSON-lines worker: one triage result per input line.

Input lines are ``{"id": ..., "text": ...}``. Output lines are
``{"id": ..., "urgent": bool, "pii": [{"kind", "start", "end"}, ...], "level": ...,
"reasons": [...]}`` with exactly those keys in that order: the first three are the
original contract, ``level`` ("likely" / "possible" / "none") and ``reasons`` were added
after them so that readers of the first three keep working. Blank lines are skipped; a malformed line produces
``{"id": null, "error": "..."}`` and processing continues.

Run as ``python -m app.moderation.triage.jsonl [--schools FILE] [--places FILE]``
(one name per line in each file), reading stdin and writing stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from app.moderation.triage.pii import find_personal_details
from app.moderation.triage.urgency import assess_urgency


class _MalformedLineError(ValueError):
    pass


def _parse_entry(line: str) -> tuple[str | int, str]:
    try:
        entry: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _MalformedLineError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(entry, dict):
        raise _MalformedLineError("expected a JSON object")
    if "id" not in entry:
        raise _MalformedLineError("missing 'id'")
    entry_id = entry["id"]
    # bool is an int subclass but never a sensible id
    if isinstance(entry_id, bool) or not isinstance(entry_id, (str, int)):
        raise _MalformedLineError("'id' must be a string or an integer")
    text = entry.get("text")
    if not isinstance(text, str):
        raise _MalformedLineError("'text' must be a string")
    return entry_id, text


def _result_line(
    entry_id: str | int, text: str, school_names: Sequence[str], place_names: Sequence[str]
) -> str:
    # Same composition as triage(); kept here so the worker has no import cycle.
    urgency = assess_urgency(text)
    spans = find_personal_details(text, school_names=school_names, place_names=place_names)
    result = {
        "id": entry_id,
        "urgent": urgency.urgent,
        "pii": [{"kind": s.kind, "start": s.start, "end": s.end} for s in spans],
        "level": urgency.level,
        "reasons": list(urgency.reasons),
    }
    return json.dumps(result, ensure_ascii=False)


def triage_jsonl(
    lines: Iterable[str],
    out: TextIO,
    *,
    school_names: Sequence[str] = (),
    place_names: Sequence[str] = (),
) -> int:
    """Triage every JSON line; returns the number of malformed lines."""
    errors = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            entry_id, text = _parse_entry(line)
        except _MalformedLineError as exc:
            errors += 1
            out.write(json.dumps({"id": None, "error": str(exc)}) + "\n")
            continue
        out.write(_result_line(entry_id, text, school_names, place_names) + "\n")
    return errors


def _read_names(path: str | None) -> list[str]:
    if path is None:
        return []
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Triage JSON-lines entries from stdin to stdout.")
    parser.add_argument("--schools", help="file with the area's school names, one per line")
    parser.add_argument("--places", help="file with the area's street/place names, one per line")
    args = parser.parse_args(argv)
    errors = triage_jsonl(
        sys.stdin,
        sys.stdout,
        school_names=_read_names(args.schools),
        place_names=_read_names(args.places),
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
