"""How a report's words are graded, and what the grade lets through."""

from __future__ import annotations

import pytest

from app.moderation import triage
from app.moderation.triage import TriageResult
from app.reports import service
from app.reports.models import Report


def _fake_triage(levels: dict[str, str]) -> object:
    def fake(text: str, **_: object) -> TriageResult:
        level = levels[text]
        return TriageResult(urgent=level != "none", reasons=(f"r_{level}",) if level != "none" else (), pii=(), level=level, cues=(f"cue {text}",) if level != "none" else ())

    return fake


def test_the_strongest_level_across_the_answers_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triage, "triage", _fake_triage({"a": "possible", "b": "likely", "c": "none"}))
    grading = service.grade_words({"description": "a", "what_would_help": "b"})
    assert grading.level == "likely" and grading.urgent
    assert grading.cues == ("cue a", "cue b")
    assert service.grade_words({"description": "c", "what_would_help": "a"}).level == "possible"
    assert service.grade_words({"description": "c", "what_would_help": ""}).level == "none"


def test_urgent_words_are_never_graded_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triage, "triage", lambda text, **_: TriageResult(urgent=True, reasons=("x",), pii=(), level="none", cues=()))
    assert service.grade_words({"description": "words"}).level == "possible"


def test_a_triage_fault_counts_as_urgent(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, **_: object) -> TriageResult:
        raise RuntimeError(text)

    monkeypatch.setattr(triage, "triage", broken)
    grading = service.grade_answers({"description": "anything"})
    assert grading.urgent and service.TRIAGE_FAILED in grading.reasons
    assert not service.may_hold_back(grading)


def test_only_ordinary_words_may_be_held_back_by_an_anti_abuse_check() -> None:
    assert service.may_hold_back(service.Grading())
    assert not service.may_hold_back(service.Grading(level="possible"))
    assert not service.may_hold_back(service.Grading(level="likely"))


@pytest.mark.parametrize(("urgent", "urgency", "kept"), [(False, "none", False), (True, "none", True), (False, "possible", True), (True, "likely", True)])
def test_a_possible_disclosure_is_kept_when_withdrawn(urgent: bool, urgency: str, kept: bool) -> None:
    assert service.kept_for_safeguarding(Report(urgent=urgent, urgency=urgency)) is kept
