"""Context weighting: a transparent sum of published weights, every line shown, strengths that
temper a risk but never hide it, and only open contexts of the area ranked."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from app.register import weighting
from app.register.models import ContextStatus
from tests import support_services
from tests.factories import make_area, make_context, make_published

TODAY = date(2026, 6, 15)
RECENT = datetime(2026, 5, 10, 18, 0, tzinfo=UTC)  # in the last three months (April to June)
BEFORE = datetime(2026, 2, 10, 18, 0, tzinfo=UTC)  # in the three before (January to March)
DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _lines(factors: list[weighting.Factor]) -> dict[str, tuple[int, float]]:
    return {f.code: (f.count, f.points) for f in factors}


def test_each_factor_is_its_count_times_its_published_weight() -> None:
    factors = weighting.score_factors(recent_unsafe=4, previous_unsafe=1, urgent=1, recent_safe=2, flagged=True, votes=3)
    assert _lines(factors) == {
        "recent_unsafe": (4, 4.0), "rising": (3, 1.5), "urgent": (1, 3.0), "safe_assets": (2, -1.0),
        "panel_flag": (1, 5.0), "workshop_votes": (3, 3.0),
    }
    assert all(f.points == f.count * f.weight for f in factors if f.code not in {"safe_assets", "panel_flag"})
    assert all(f.label for f in factors)


def test_safe_entries_take_off_at_most_half_of_what_unsafe_ones_add() -> None:
    lines = _lines(weighting.score_factors(recent_unsafe=2, previous_unsafe=2, urgent=0, recent_safe=10, flagged=False, votes=0))
    assert lines["safe_assets"] == (10, -1.0)
    assert lines["recent_unsafe"][1] + lines["safe_assets"][1] > 0
    only_safe = _lines(weighting.score_factors(recent_unsafe=0, previous_unsafe=0, urgent=0, recent_safe=5, flagged=False, votes=0))
    assert only_safe["safe_assets"][1] == 0  # a safe place is never ranked below nothing


def test_fewer_unsafe_entries_than_before_is_not_a_rise_and_factors_that_do_not_count_are_left_out() -> None:
    lines = _lines(weighting.score_factors(recent_unsafe=1, previous_unsafe=5, urgent=0, recent_safe=0, flagged=False, votes=0))
    assert lines == {"recent_unsafe": (1, 1.0)}


def test_contexts_are_ranked_by_score_from_their_counts_and_votes(writer: Session) -> None:
    area = make_area(writer)
    busy = make_context(writer, area, "Bus station")
    for _ in range(3):
        make_published(writer, area, busy, created_at=RECENT)
    make_published(writer, area, busy, created_at=BEFORE)
    make_published(writer, area, busy, created_at=RECENT, description=DISCLOSURE)
    voted = make_context(writer, area, "Canal Walk")
    quiet = make_context(writer, area, "Library")
    make_published(writer, area, quiet, kind="safe", categories=["trusted_adults"], created_at=RECENT, description="Staff here are kind.")
    closed = make_context(writer, area, "Old underpass", status=ContextStatus.CLOSED)
    make_published(writer, area, closed, created_at=RECENT)
    other = make_area(writer, "other-town")
    make_published(writer, other, make_context(writer, other, "Market Square"), created_at=RECENT)
    assert area.id is not None
    ranked = weighting.weigh_contexts(writer, area.id, today=TODAY, workshop_votes={voted.id: 2})  # type: ignore[dict-item]
    assert [w.context.name for w in ranked] == ["Bus station", "Canal Walk", "Library"]
    top = ranked[0]
    assert _lines(top.factors) == {"recent_unsafe": (4, 4.0), "rising": (3, 1.5), "urgent": (1, 3.0)}
    assert top.score == 8.5
    assert top.change_first == [("followed_harassed", 4)]
    assert ranked[1].score == 2.0 and ranked[2].score == 0.0
