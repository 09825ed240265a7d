"""Finding patterns on planted weekly counts: the statistics, the small-number floor, shared patterns."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from app.register.patterns.detection import (
    ContextFacts,
    Thresholds,
    WindowEntry,
    benjamini_hochberg,
    binomial_upper_tail,
    detect,
)
from app.register.patterns.runs import week_ending
from app.register.patterns.settings import PatternSettingsInput as Input
from app.register.patterns.settings import settings_errors

T = (
    Thresholds()
)  # 4 recent weeks against the 12 before, at least 5 entries, twice the rate, 1 in 100
K = 5
RECENT = range(12, 16)
BASELINE = range(0, 12)


def _context(context_id: int, name: str = "", **facts: str) -> ContextFacts:
    return ContextFacts(context_id, name or f"Context {context_id}", **facts)


def _entries(
    context_id: int, weeks: range, per_week: int, **codes: tuple[str, ...]
) -> list[WindowEntry]:
    return [WindowEntry(context_id, week, **codes) for week in weeks for _ in range(per_week)]


def _steady_town(
    first_id: int = 100, count: int = 6
) -> tuple[list[WindowEntry], dict[int, ContextFacts]]:
    """Contexts with two unsafe entries every week, before and lately: nothing has changed there."""
    entries = [
        e
        for i in range(count)
        for e in _entries(first_id + i, range(16), 2, time_bands=("afternoon",))
    ]
    return entries, {first_id + i: _context(first_id + i) for i in range(count)}


def _kinds(findings: list[object]) -> list[tuple[str, str]]:
    return [(f.kind, f.subject) for f in findings]  # type: ignore[attr-defined]


# --- The statistics --------------------------------------------------------------------------


def test_the_binomial_tail_is_exact() -> None:
    def brute(x: int, n: int, p: float) -> float:
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(x, n + 1))

    for x, n, p in [
        (12, 18, 0.25),
        (8, 32, 0.25),
        (5, 5, 0.25),
        (0, 10, 0.3),
        (40, 300, 0.1),
        (1, 1, 0.5),
    ]:
        assert binomial_upper_tail(x, n, p) == pytest.approx(brute(x, n, p), rel=1e-9, abs=1e-15)
    assert binomial_upper_tail(6, 5, 0.25) == 0.0
    # Large counts stay finite and sensible (summed in log space).
    assert 0.0 < binomial_upper_tail(400, 2000, 0.2) < 1.0


def test_benjamini_hochberg_keeps_the_strong_ones_among_many() -> None:
    p_values = {"a": 0.0001, "b": 0.004, "c": 0.019, "d": 0.03, "e": 0.5}
    assert benjamini_hochberg(p_values, 0.05) == {"a", "b", "c", "d"}
    assert benjamini_hochberg(p_values, 0.01) == {"a", "b"}
    # The same p-value among a hundred questions is no longer enough.
    crowd = {f"x{i}": 0.9 for i in range(99)} | {"b": 0.004}
    assert benjamini_hochberg(crowd, 0.01) == set()
    assert benjamini_hochberg({}, 0.01) == set()


def test_weeks_end_on_the_monday_of_the_run() -> None:
    assert week_ending(datetime(2026, 11, 4, 9, 0, tzinfo=UTC)) == date(2026, 11, 2)
    assert week_ending(datetime(2026, 11, 2, 0, 0, tzinfo=UTC)) == date(2026, 11, 2)
    assert week_ending(datetime(2026, 11, 1, 23, 59, tzinfo=UTC)) == date(2026, 10, 26)


# --- Rising contexts -------------------------------------------------------------------------


def test_a_context_rising_well_above_its_own_baseline_is_found() -> None:
    entries, contexts = _steady_town()
    entries += _entries(1, BASELINE, 1) + _entries(1, RECENT, 4)  # 12 before, then 16 in four weeks
    contexts[1] = _context(1, "Bus station")
    detection = detect(entries, contexts, T, K)
    assert _kinds(detection.findings) == [("rising", "context:1")]
    finding = detection.findings[0]
    assert (finding.recent, finding.baseline, finding.expected) == (16, 12, 4.0)
    assert finding.ratio == pytest.approx(4.0)
    assert finding.p_value < 0.001
    assert finding.weekly == (1,) * 12 + (4,) * 4
    assert [c.name for c in finding.contexts] == ["Bus station"]
    assert detection.tests > len(contexts)  # contexts and shared things were all asked about


def test_a_steady_context_is_not_found() -> None:
    entries, contexts = _steady_town()
    entries += _entries(1, range(16), 3)
    contexts[1] = _context(1)
    assert detect(entries, contexts, T, K).findings == []


def test_a_rise_that_is_not_big_enough_is_not_found() -> None:
    """Significant with lots of entries, but only 1.5 times the usual rate: below the ratio."""
    entries = _entries(1, BASELINE, 20) + _entries(1, RECENT, 30)
    assert detect(entries, {1: _context(1)}, T, K).findings == []
    assert _kinds(detect(entries, {1: _context(1)}, Thresholds(min_ratio=1.5), K).findings) == [
        ("rising", "context:1")
    ]


@pytest.mark.parametrize("recent", [1, 2, 3, 4])
def test_a_small_number_rise_never_fires_however_loose_the_thresholds(recent: int) -> None:
    """Nothing before and a few entries lately looks like a huge rise; it is still too few to say."""
    entries = [WindowEntry(1, 15) for _ in range(recent)]
    loose = Thresholds(min_count=3, min_ratio=1.5, significance=0.05, min_contexts=2)
    assert detect(entries, {1: _context(1)}, loose, K).findings == []


def test_the_areas_k_is_the_floor_even_above_the_minimum_count() -> None:
    entries = _entries(1, RECENT, 2)  # 8 lately, none before
    assert _kinds(detect(entries, {1: _context(1)}, Thresholds(min_count=3), 5).findings) == [
        ("rising", "context:1")
    ]
    assert detect(entries, {1: _context(1)}, Thresholds(min_count=3), 10).findings == []
    assert detect(entries, {1: _context(1)}, Thresholds(min_count=9), 5).findings == []


# --- Shared patterns -------------------------------------------------------------------------


def test_contexts_rising_together_after_school_form_a_shared_pattern() -> None:
    """Four contexts, each steady overall (not rising on its own), all with new evening entries lately."""
    entries: list[WindowEntry] = []
    contexts = {}
    for context_id in (1, 2, 3, 4):
        contexts[context_id] = _context(context_id, f"Stop {context_id} on the 42 route")
        entries += _entries(context_id, range(16), 1, time_bands=("afternoon",), days=("weekends",))
        entries += _entries(
            context_id, range(13, 15), 1, time_bands=("evening",), days=("school_days",)
        )
    entries += _steady_town()[0]
    contexts |= _steady_town()[1]
    findings = detect(entries, contexts, T, K).findings
    assert ("rising", "context:1") not in _kinds(findings)
    shared = {f.subject: f for f in findings if f.kind == "shared"}
    assert set(shared) == {"time_band:evening", "day:school_days"}
    evening = shared["time_band:evening"]
    assert (evening.facet, evening.code, evening.recent, evening.baseline) == (
        "time_band",
        "evening",
        8,
        0,
    )
    assert evening.context_ids == [1, 2, 3, 4]
    assert all((c.recent, c.baseline) == (2, 0) for c in evening.contexts)


def test_contexts_rising_together_on_one_theme_in_one_neighbourhood() -> None:
    entries: list[WindowEntry] = []
    contexts = {}
    for context_id in (1, 2, 3):
        contexts[context_id] = _context(
            context_id, neighbourhood="Eastside", place_kind="transport"
        )
        entries += _entries(context_id, range(16), 1, themes=("poor_lighting",))
        entries += _entries(context_id, RECENT, 2, themes=("followed_harassed",))
    contexts[9] = _context(9, neighbourhood="Westside")
    entries += _entries(9, range(16), 2, themes=("followed_harassed",))
    findings = detect(entries, contexts, T, K).findings
    subjects = {f.subject for f in findings if f.kind == "shared"}
    assert "theme:followed_harassed" in subjects
    harassed = next(f for f in findings if f.subject == "theme:followed_harassed")
    # Westside's steady entries on that theme count in the test, but it did not rise, so it is not in the cluster.
    assert harassed.context_ids == [1, 2, 3]
    assert "theme:poor_lighting" not in subjects
    # The same three share a neighbourhood and a kind of place (a route, in the gazetteer's terms).
    assert {"neighbourhood:Eastside", "place_kind:transport"} <= subjects
    assert "neighbourhood:Westside" not in subjects


def test_one_context_never_makes_a_shared_pattern() -> None:
    entries = _entries(1, RECENT, 5, time_bands=("evening",), themes=("fights_weapons",))
    contexts = {1: _context(1, neighbourhood="Eastside")}
    for thresholds in (T, Thresholds(min_contexts=2)):
        findings = detect(entries, contexts, thresholds, K).findings
        assert _kinds(findings) == [("rising", "context:1")]


def test_a_shared_pattern_needs_enough_contexts() -> None:
    entries = [e for c in (1, 2) for e in _entries(c, RECENT, 2, time_bands=("night",))]
    contexts = {1: _context(1), 2: _context(2)}
    assert not [f for f in detect(entries, contexts, T, K).findings if f.kind == "shared"]
    assert [
        f.subject
        for f in detect(entries, contexts, Thresholds(min_contexts=2), K).findings
        if f.kind == "shared"
    ] == ["time_band:night"]


def test_entries_of_contexts_outside_the_area_or_window_are_ignored() -> None:
    entries = [*_entries(1, RECENT, 5), WindowEntry(1, 16), WindowEntry(1, -1)]
    detection = detect(entries, {}, T, K)
    assert detection.findings == [] and detection.tests == 0


# --- Thresholds ------------------------------------------------------------------------------

GOOD = {
    "min_count": "5",
    "min_ratio": "2",
    "significance": "0.01",
    "recent_weeks": "4",
    "baseline_weeks": "12",
    "min_contexts": "3",
}


def test_thresholds_accept_sensible_values_and_a_decimal_comma() -> None:
    parsed = Input.model_validate(GOOD | {"min_ratio": "2,5"})
    assert parsed.min_ratio == 2.5 and parsed.significance == 0.01


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_count", "2"),
        ("min_count", "101"),
        ("min_count", "five"),
        ("min_ratio", "1.2"),
        ("min_ratio", "11"),
        ("significance", "0.2"),
        ("significance", "0.02"),
        ("recent_weeks", "0"),
        ("recent_weeks", "9"),
        ("baseline_weeks", "3"),
        ("baseline_weeks", "53"),
        ("min_contexts", "1"),
        ("min_contexts", "21"),
    ],
)
def test_thresholds_out_of_bounds_are_refused_with_the_fields_message(
    field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Input.model_validate(GOOD | {field: value})
    assert list(settings_errors(caught.value)) == [field]


def test_the_baseline_must_be_at_least_twice_the_recent_weeks() -> None:
    with pytest.raises(ValidationError) as caught:
        Input.model_validate(GOOD | {"recent_weeks": "8", "baseline_weeks": "12"})
    assert list(settings_errors(caught.value)) == ["baseline_weeks"]
