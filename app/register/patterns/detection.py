"""Finding patterns: the statistics, pure (planted data in, findings out; no database here).

The statistics, and why they are honest:

- Each question is one test of "the recent weeks run at the same rate as the baseline". Entries
  arrive roughly as a Poisson process, and the fair test for two Poisson counts is the conditional
  one: given n = recent + baseline entries, under "no change" the recent count is Binomial(n, p)
  with p = recent_weeks / (recent_weeks + baseline_weeks). The p-value is the exact upper tail
  P(X >= recent), computed here without approximation. It needs no normal assumption, so it stays
  right for the small counts a single context has (a z-score would not).
- An area tests many contexts and many shared things each week, so some would look "significant"
  by chance alone. The p-values of one area's run are corrected together with Benjamini-Hochberg at
  the area's significance level: among the patterns reported, at most that share are expected to be
  chance, however many contexts the area has.
- On top of the test, a pattern must be big enough to matter: the recent rate at least `min_ratio`
  times the baseline rate (or a baseline of none), and at least the area's minimum count of recent
  entries, **never fewer than the area's k** (its small-number rule, `Area.min_cell_count`). A
  shared pattern needs at least `min_contexts` contexts (2 or more, so one context never makes a
  cluster), each of which rose in that shared thing; the test itself is on the area's whole count
  for that thing, decided before looking at which contexts carry it.
- Entries are counted by the week they were made (UTC, weeks from Monday), only once moderators have
  published them (`app.register.patterns.runs` reads them from the database).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.register.patterns.models import Facet, PatternKind

# --- Thresholds --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    min_count: int = 5
    min_ratio: float = 2.0
    significance: float = 0.01
    recent_weeks: int = 4
    baseline_weeks: int = 12
    min_contexts: int = 3

    def floor(self, k: int) -> int:
        """The fewest recent entries that can ever make a pattern: the minimum count, and never below k."""
        return max(self.min_count, k)


DEFAULTS = Thresholds()


# --- The statistics ----------------------------------------------------------------------------


def binomial_upper_tail(successes: int, trials: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, p), exactly (summed in log space, so large n is fine)."""
    if successes <= 0:
        return 1.0
    if successes > trials or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(trials + 1)
    terms = [
        log_n - math.lgamma(i + 1) - math.lgamma(trials - i + 1) + i * log_p + (trials - i) * log_q
        for i in range(successes, trials + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def benjamini_hochberg(p_values: dict[str, float], level: float) -> set[str]:
    """The keys whose p-values pass Benjamini-Hochberg at `level` (false discovery rate)."""
    ranked = sorted(p_values.items(), key=lambda item: (item[1], item[0]))
    count = len(ranked)
    cutoff = 0
    for rank, (_key, p) in enumerate(ranked, start=1):
        if p <= level * rank / count:
            cutoff = rank
    return {key for key, _p in ranked[:cutoff]}


# --- Detection (pure: planted data in, findings out) -----------------------------------------


@dataclass(frozen=True)
class WindowEntry:
    """One published unsafe entry in the window; `week` 0 is the oldest baseline week."""

    context_id: int
    week: int
    themes: tuple[str, ...] = ()
    time_bands: tuple[str, ...] = ()
    days: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContextFacts:
    id: int
    name: str
    neighbourhood: str = ""
    place_kind: str = ""


@dataclass(frozen=True)
class ContextCount:
    id: int
    name: str
    recent: int
    baseline: int


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    facet: str
    code: str
    recent: int
    baseline: int
    expected: float  # recent entries the baseline rate would give
    ratio: float | None  # recent rate over baseline rate; None when the baseline had none
    p_value: float
    weekly: tuple[int, ...]  # oldest first; the last `recent_weeks` are the recent window
    contexts: tuple[ContextCount, ...]

    @property
    def context_ids(self) -> list[int]:
        return sorted(c.id for c in self.contexts)

    def evidence(self, thresholds: Thresholds, k: int, tests: int) -> dict[str, Any]:
        return {
            "recent_weeks": thresholds.recent_weeks,
            "baseline_weeks": thresholds.baseline_weeks,
            "recent": self.recent,
            "baseline": self.baseline,
            "expected": round(self.expected, 2),
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "p_value": self.p_value,
            "weekly": list(self.weekly),
            "floor": thresholds.floor(k),
            "tests": tests,
            "significance": thresholds.significance,
            "min_ratio": thresholds.min_ratio,
            "contexts": [
                {"id": c.id, "name": c.name, "recent": c.recent, "baseline": c.baseline}
                for c in self.contexts
            ],
        }


@dataclass(frozen=True)
class Detection:
    findings: list[Finding]
    tests: int  # how many questions were asked (the correction's family)


def _facets(entry: WindowEntry, context: ContextFacts) -> set[tuple[str, str]]:
    found = {(Facet.THEME.value, code) for code in entry.themes}
    found |= {(Facet.TIME_BAND.value, code) for code in entry.time_bands}
    found |= {(Facet.DAY.value, code) for code in entry.days}
    if context.neighbourhood:
        found.add((Facet.NEIGHBOURHOOD.value, context.neighbourhood))
    if context.place_kind:
        found.add((Facet.PLACE_KIND.value, context.place_kind))
    return found


@dataclass
class _Tally:
    weekly: list[int]
    by_context: dict[int, list[int]] = field(default_factory=dict)  # context -> [recent, baseline]


def _split(weekly: Sequence[int], baseline_weeks: int) -> tuple[int, int]:
    return sum(weekly[baseline_weeks:]), sum(weekly[:baseline_weeks])


def detect(
    entries: Iterable[WindowEntry],
    contexts: dict[int, ContextFacts],
    thresholds: Thresholds,
    k: int,
) -> Detection:
    """Rising contexts and shared patterns in one area's window (see the module docstring)."""
    recent_weeks, baseline_weeks = thresholds.recent_weeks, thresholds.baseline_weeks
    weeks = recent_weeks + baseline_weeks
    share = recent_weeks / weeks
    by_context: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    by_facet: dict[tuple[str, str], _Tally] = {}
    for entry in entries:
        context = contexts.get(entry.context_id)
        if context is None or not 0 <= entry.week < weeks:
            continue
        by_context[entry.context_id][entry.week] += 1
        is_recent = entry.week >= baseline_weeks
        for shared in _facets(entry, context):
            tally = by_facet.setdefault(shared, _Tally([0] * weeks))
            tally.weekly[entry.week] += 1
            counts = tally.by_context.setdefault(entry.context_id, [0, 0])
            counts[0 if is_recent else 1] += 1

    candidates: dict[str, Finding] = {}

    def candidate(
        kind: str,
        subject: str,
        facet: str,
        code: str,
        weekly: Sequence[int],
        members: tuple[ContextCount, ...],
    ) -> None:
        recent, baseline = _split(weekly, baseline_weeks)
        if recent + baseline == 0:
            return
        expected = baseline * recent_weeks / baseline_weeks
        ratio = (recent / expected) if baseline else None
        p_value = binomial_upper_tail(recent, recent + baseline, share)
        candidates[subject] = Finding(
            kind,
            subject,
            facet,
            code,
            recent,
            baseline,
            expected,
            ratio,
            p_value,
            tuple(weekly),
            members,
        )

    for context_id, weekly in sorted(by_context.items()):
        recent, baseline = _split(weekly, baseline_weeks)
        member = ContextCount(context_id, contexts[context_id].name, recent, baseline)
        candidate(PatternKind.RISING, f"context:{context_id}", "", "", weekly, (member,))
    for (facet_code, value), tally in sorted(by_facet.items()):
        # The contexts that carry the rise: each rose in this shared thing against its own baseline.
        members = tuple(
            ContextCount(context_id, contexts[context_id].name, recent, baseline)
            for context_id, (recent, baseline) in sorted(tally.by_context.items())
            if recent >= 1 and recent * baseline_weeks > baseline * recent_weeks
        )
        candidate(
            PatternKind.SHARED, f"{facet_code}:{value}", facet_code, value, tally.weekly, members
        )

    significant = benjamini_hochberg(
        {s: f.p_value for s, f in candidates.items()}, thresholds.significance
    )
    floor = thresholds.floor(k)
    findings = []
    for subject in sorted(significant):
        finding = candidates[subject]
        if finding.recent < floor:
            continue  # small numbers never make a pattern
        if finding.ratio is not None and finding.ratio < thresholds.min_ratio:
            continue
        if finding.kind == PatternKind.SHARED:
            ordered = tuple(sorted(finding.contexts, key=lambda c: (-c.recent, c.name)))
            if len(ordered) < thresholds.min_contexts or sum(c.recent for c in ordered) < floor:
                continue
            finding = replace(finding, contexts=ordered)
        findings.append(finding)
    findings.sort(key=lambda f: (f.kind != PatternKind.RISING, f.p_value, f.subject))
    return Detection(findings, len(candidates))

