"""The JSON-lines worker contract used by the CLI."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from app.moderation.triage import jsonl as jsonl_module
from app.moderation.triage import triage, triage_jsonl


def run(lines: list[str], **gazetteers: list[str]) -> tuple[list[dict[str, Any]], int]:
    out = io.StringIO()
    errors = triage_jsonl(lines, out, **gazetteers)
    return [json.loads(line) for line in out.getvalue().splitlines()], errors


def test_jsonl_writes_one_result_per_input_with_exact_keys_in_order() -> None:
    # The original three keys come first, unchanged; "level" and "reasons" were added after.
    lines = [
        json.dumps({"id": "a1", "text": "I live at 14 Carden Road and they said they'll hurt me"}),
        json.dumps({"id": "a2", "text": "The library is a good safe place."}),
    ]
    out = io.StringIO()
    assert triage_jsonl(lines, out) == 0
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert list(first) == ["id", "urgent", "pii", "level", "reasons"]
    assert first == {
        "id": "a1",
        "urgent": True,
        "pii": [{"kind": "street_address", "start": 10, "end": 24}],
        "level": "likely",
        "reasons": ["threat_or_coercion", "abuse"],
    }
    assert list(first["pii"][0]) == ["kind", "start", "end"]
    assert second == {"id": "a2", "urgent": False, "pii": [], "level": "none", "reasons": []}


def test_jsonl_skips_blank_lines() -> None:
    results, errors = run(["\n", json.dumps({"id": 7, "text": "fine"}) + "\n", "   \n"])
    assert errors == 0
    assert results == [{"id": 7, "urgent": False, "pii": [], "level": "none", "reasons": []}]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"text": "no id"}), "missing 'id'"),
        (json.dumps({"id": True, "text": "bool id"}), "'id'"),
        (json.dumps({"id": "x"}), "'text'"),
        (json.dumps({"id": "x", "text": 42}), "'text'"),
    ],
)
def test_jsonl_reports_malformed_line_and_continues(bad_line: str, message: str) -> None:
    good = json.dumps({"id": "ok", "text": "Mrs Okafor is lovely"})
    results, errors = run([bad_line, good])
    assert errors == 1
    assert results[0]["id"] is None
    assert message in str(results[0]["error"])
    assert list(results[0]) == ["id", "error"]
    assert results[1]["id"] == "ok"
    assert results[1]["pii"] == [{"kind": "person_name", "start": 0, "end": 10}]


def test_jsonl_result_matches_triage_for_the_same_text() -> None:
    text = "A lad called Kyle Ashby gives my friend vapes. She's 14. The car is KX39 TRD."
    results, _ = run([json.dumps({"id": 1, "text": text})])
    expected = triage(text)
    assert results[0]["urgent"] is expected.urgent
    assert results[0]["level"] == expected.level
    assert results[0]["reasons"] == list(expected.reasons)
    assert results[0]["pii"] == [
        {"kind": s.kind, "start": s.start, "end": s.end} for s in expected.pii
    ]


def test_jsonl_uses_the_area_gazetteers() -> None:
    line = json.dumps({"id": "g", "text": "Kids drink outside Molly Malone near Kingsmead"})
    without, _ = run([line])
    with_gazetteers, _ = run([line], school_names=["Kingsmead"], place_names=["Molly Malone"])
    assert [p["kind"] for p in without[0]["pii"]] == ["person_name"]
    assert [p["kind"] for p in with_gazetteers[0]["pii"]] == ["school_name"]


def test_jsonl_keeps_non_ascii_text_offsets_in_python_characters() -> None:
    text = "Siân said the reg is KX39 TRD"
    results, _ = run([json.dumps({"id": "w", "text": text}, ensure_ascii=False)])
    spans = results[0]["pii"]
    assert isinstance(spans, list)
    assert [text[s["start"] : s["end"]] for s in spans] == ["Siân", "KX39 TRD"]


def test_command_line_reads_stdin_and_signals_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.StringIO(json.dumps({"id": 1, "text": "call 07700 900412"}) + "\nnot json\n")
    monkeypatch.setattr("sys.stdin", stdin)
    assert jsonl_module.main([]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0])["pii"] == [{"kind": "phone", "start": 5, "end": 17}]
    assert json.loads(lines[1])["id"] is None
