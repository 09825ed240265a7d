"""The register list, read from the per-context counts: filters, sorts and pages in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.core.types import utcnow
from app.register.listing import RegisterFilters, register_page
from app.register.profile import context_profile, ordered
from tests.factories import make_area, make_context, make_published


def test_sorts_page_through_every_context_once_in_order(session: Session) -> None:
    area = make_area(session)
    assert area.id is not None
    contexts = [make_context(session, area, f"Place {index:02d}") for index in range(7)]
    for index, context in enumerate(contexts):
        for _ in range(index % 3):
            make_published(session, area, context, kind="unsafe")
    for sort in ("activity", "unsafe", "total", "name", "status"):
        seen = []
        for offset in range(0, 7, 3):
            page = register_page(session, area.id, RegisterFilters(sort=sort), limit=3, offset=offset)
            assert page.total == 7
            seen += [row.context.name for row in page.rows]
        assert sorted(seen) == sorted(c.name for c in contexts), sort
    by_unsafe = register_page(session, area.id, RegisterFilters(sort="unsafe")).rows
    assert [row.unsafe for row in by_unsafe] == sorted((row.unsafe for row in by_unsafe), reverse=True)
    assert [row.context.name for row in by_unsafe[:2]] == ["Place 02", "Place 05"]  # ties by name


def test_period_counts_trend_and_themes_come_from_the_counts(session: Session) -> None:
    area = make_area(session)
    assert area.id is not None
    park = make_context(session, area, "Victoria Park")
    make_published(session, area, park, kind="unsafe", categories=["poor_lighting"])
    make_published(session, area, park, kind="safe", categories=["trusted_adults"], description="Kind youth workers.")
    make_published(session, area, park, kind="unsafe", categories=["fights_weapons"], created_at=utcnow() - timedelta(days=200))
    today = utcnow().date()
    recent = register_page(session, area.id, RegisterFilters(period="3m"), today=today).rows[0]
    assert (recent.safe, recent.unsafe, recent.structural) == (1, 1, 0)
    assert dict(recent.themes) == {"poor_lighting": 1, "trusted_adults": 1}
    everything = register_page(session, area.id, RegisterFilters(period="all"), today=today).rows[0]
    assert everything.unsafe == 2 and sum(everything.trend) == 3 and everything.trend[-1] == 2
    assert register_page(session, area.id, RegisterFilters(period="3m", theme="fights_weapons"), today=today).rows == []
    assert register_page(session, area.id, RegisterFilters(period="all", theme="fights_weapons"), today=today).total == 1


def test_a_profile_counts_by_kind_month_time_and_source(session: Session) -> None:
    area = make_area(session)
    assert area.id is not None
    park = make_context(session, area, "Victoria Park")
    for _ in range(3):
        make_published(session, area, park, kind="unsafe", time_bands=["evening", "night"])
    profile = context_profile(session, area.id, park.id, today=utcnow().date())
    assert profile is not None
    assert profile.counts == {"safe": 0, "unsafe": 3, "structural": 0} and profile.entries_total == 3
    assert dict(profile.time_of_day)["evening"] == 3 and dict(profile.time_of_day)["morning"] == 0
    assert profile.monthly[-1].unsafe == 3 and len(profile.entries) == 3
    assert context_profile(session, area.id + 1, park.id) is None  # another area never sees it


def test_ordered_keeps_the_natural_order_then_the_rest_by_count() -> None:
    from collections import Counter

    assert ordered(Counter({"night": 2, "odd": 5, "morning": 1}), ("morning", "night")) == [("morning", 1), ("night", 2), ("odd", 5)]
