"""Context weighting for an area: which contexts, and which factors in them, to change first.

A transparent score, not a model: each factor is a count times a published weight, and the page shows
every line of the sum. It ranks where to look first; it never decides anything on its own, and the
panel can always disagree with it.

Workshop dot-votes come in through the `workshop_votes` parameter (context id -> votes), so the
workshops domain can feed the ranking without this module importing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from babel.support import LazyProxy
from sqlmodel import Session, col, select

from app.core.i18n import lazy_gettext as _l
from app.core.types import utcnow
from app.register.counts import EMPTY_AGGREGATES, aggregates_for, window_counts
from app.register.models import AggregateDimension, Context, ContextStatus
from app.register.periods import recent_windows
from app.reports.models import ReportKind

# Points per unit. Safe places lower the score, but by at most half of what the unsafe entries add:
# strengths temper a risk, they never hide it.
WEIGHTS: dict[str, float] = {
    "recent_unsafe": 1.0,
    "rising": 0.5,
    "urgent": 3.0,
    "safe_assets": -0.5,
    "panel_flag": 5.0,
    "workshop_votes": 1.0,
}

FACTOR_LABELS: dict[str, LazyProxy] = {
    "recent_unsafe": _l("Unsafe entries in the last 3 months"),
    "rising": _l("More unsafe entries than in the 3 months before"),
    "urgent": _l("Urgent entries in the last 3 months"),
    "safe_assets": _l("Safe entries in the last 3 months (strengths)"),
    "panel_flag": _l("Flagged for the panel"),
    "workshop_votes": _l("Workshop votes"),
}

# What the workshops domain provides: for one area, how many dot-votes each context received.


@dataclass(frozen=True)
class Factor:
    code: str
    count: int
    points: float

    @property
    def label(self) -> str:
        return str(FACTOR_LABELS[self.code])

    @property
    def weight(self) -> float:
        return WEIGHTS[self.code]


@dataclass(frozen=True)
class WeightedContext:
    context: Context
    score: float
    factors: list[Factor]
    # Which themes in the recent unsafe and "needs to change" entries come up most: what to change first.
    change_first: list[tuple[str, int]]


def weigh_contexts(
    session: Session, area_id: int, *, today: date | None = None, workshop_votes: Mapping[int, int] | None = None
) -> list[WeightedContext]:
    recent, previous = recent_windows(today or utcnow().date())
    contexts = session.exec(
        select(Context).where(Context.area_id == area_id, col(Context.merged_into_id).is_(None), Context.status != ContextStatus.CLOSED)
    ).all()
    aggregates = aggregates_for(
        session, area_id, contexts, since=previous[0],
        dimensions=[AggregateDimension.ENTRIES, AggregateDimension.URGENT, AggregateDimension.THEME],
    )
    votes = workshop_votes or {}
    ranked = []
    for context in contexts:
        assert context.id is not None
        agg = aggregates.get(context.id, EMPTY_AGGREGATES)
        now_counts, before_counts = window_counts(agg, recent), window_counts(agg, previous)
        factors = score_factors(
            recent_unsafe=now_counts[ReportKind.UNSAFE], previous_unsafe=before_counts[ReportKind.UNSAFE],
            urgent=sum(agg.urgent_by_month.get(m, 0) for m in recent), recent_safe=now_counts[ReportKind.SAFE],
            flagged=context.flagged_for_panel, votes=votes.get(context.id, 0),
        )
        ranked.append(
            WeightedContext(
                context=context, score=round(sum(f.points for f in factors), 1), factors=factors,
                change_first=agg.theme_counts(recent[0], kinds=(ReportKind.UNSAFE, ReportKind.STRUCTURAL)).most_common(3),
            )
        )
    ranked.sort(key=lambda w: (-w.score, w.context.name.lower()))
    return ranked


def score_factors(*, recent_unsafe: int, previous_unsafe: int, urgent: int, recent_safe: int, flagged: bool, votes: int) -> list[Factor]:
    """The lines of one context's score; only factors that count are listed."""
    unsafe_points = recent_unsafe * WEIGHTS["recent_unsafe"]
    rise = max(recent_unsafe - previous_unsafe, 0)
    safe_points = max(recent_safe * WEIGHTS["safe_assets"], -unsafe_points / 2)
    lines = [
        Factor("recent_unsafe", recent_unsafe, unsafe_points),
        Factor("rising", rise, rise * WEIGHTS["rising"]),
        Factor("urgent", urgent, urgent * WEIGHTS["urgent"]),
        Factor("safe_assets", recent_safe, safe_points),
        Factor("panel_flag", int(flagged), WEIGHTS["panel_flag"] if flagged else 0.0),
        Factor("workshop_votes", votes, votes * WEIGHTS["workshop_votes"]),
    ]
    return [line for line in lines if line.count]
