"""The register's counts on planted data: what publishing, unpublishing, merging and splitting do to
them, and that `rebuild` always lands on exactly the counts the incremental path kept."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlmodel import Session, select

from app.areas.models import Area
from app.register import counts, regrouping
from app.register.models import AggregateDimension as Dim
from app.register.models import Context
from app.reports import service as reports
from app.reports.models import Report
from tests import support_services
from tests.factories import make_area, make_context, make_published
from tests.support_services import identity

MARCH = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 10, 8, 0, tzinfo=UTC)
MAY = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _aggregates(session: Session, area: Area, context: Context) -> counts.ContextAggregates:
    session.expire_all()
    fresh = session.get(Context, context.id)
    assert fresh is not None and area.id is not None
    return counts.aggregates_for(session, area.id, [fresh])[fresh.id]  # type: ignore[index]


def _rebuild_agrees(session: Session) -> None:
    """The incremental rows and last entries equal the ones recomputed from the entries."""
    session.expire_all()
    kept = counts.snapshot(session)
    last = {c.id: c.last_entry_at for c in session.exec(select(Context)).all()}
    counts.rebuild(session)
    session.commit()
    session.expire_all()
    assert counts.snapshot(session) == kept
    assert {c.id: c.last_entry_at for c in session.exec(select(Context)).all()} == last


def _plant(session: Session) -> tuple[Area, Context, list[Report]]:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    entries = [
        make_published(session, area, park, kind="unsafe", categories=["poor_lighting"], time_bands=["evening", "night"], days=["weekends"], created_at=MARCH),
        make_published(session, area, park, kind="unsafe", categories=["followed_harassed"], time_bands=["evening"], created_at=APRIL),
        make_published(
            session, area, park, kind="safe", categories=["trusted_adults"], time_bands=["morning"], reporter_role="parent_carer",
            location_text="by the cafe", description="The cafe staff always say hello and keep an eye out.", created_at=MAY,
        ),
    ]
    return area, park, entries


def test_published_entries_are_counted_by_month_kind_theme_time_day_and_source(writer: Session) -> None:
    area, park, _ = _plant(writer)
    agg = _aggregates(writer, area, park)
    assert agg.monthly("unsafe") == Counter({"2026-03": 1, "2026-04": 1})
    assert agg.monthly("safe") == Counter({"2026-05": 1})
    assert agg.theme_counts() == Counter({"poor_lighting": 1, "followed_harassed": 1, "trusted_adults": 1})
    assert agg.theme_counts(since="2026-04", kinds=["unsafe"]) == Counter({"followed_harassed": 1})
    assert agg.time_bands == Counter({"evening": 2, "night": 1, "morning": 1})
    assert agg.days == Counter({"weekends": 1})
    assert sum(agg.sources.values()) == 3
    assert agg.last_entry == MAY
    assert agg.total("unsafe") == 2 and agg.total("unsafe", since="2026-04") == 1
    _rebuild_agrees(writer)


def test_an_entry_without_a_context_is_not_counted(writer: Session) -> None:
    area = make_area(writer)
    park = make_context(writer, area, "Victoria Park")
    from tests.factories import make_report

    report = make_report(writer, area)
    report.status = "published"
    counts.entry_published(writer, report)  # no context: nothing to count in
    writer.commit()
    assert counts.snapshot(writer) == {}
    assert _aggregates(writer, area, park).last_entry is None


def test_unpublishing_takes_every_row_of_the_entry_away_and_moves_the_last_entry_back(writer: Session) -> None:
    area, park, entries = _plant(writer)
    newest = entries[2]
    reports.withdraw(writer, newest)  # an ordinary report: deleted, and out of the counts
    agg = _aggregates(writer, area, park)
    assert agg.monthly("safe") == Counter()
    assert "trusted_adults" not in agg.theme_counts()
    assert agg.time_bands == Counter({"evening": 2, "night": 1})  # the morning row reached zero and is gone
    assert not any(key[3] == "morning" for (_, key) in counts.snapshot(writer))
    assert agg.last_entry == APRIL
    _rebuild_agrees(writer)


def test_unpublishing_a_pending_entry_changes_nothing(writer: Session) -> None:
    _area, _park, entries = _plant(writer)
    before = counts.snapshot(writer)
    entry = entries[0]
    entry.status = "pending"  # as it was before publishing: it was never counted
    counts.entry_unpublished(writer, entry)
    writer.rollback()
    assert counts.snapshot(writer) == before


def test_merging_adds_the_source_rows_to_the_target_and_leaves_the_source_empty(writer: Session) -> None:
    area, park, _ = _plant(writer)
    canal = make_context(writer, area, "Canal Walk")
    make_published(writer, area, canal, kind="unsafe", categories=["poor_lighting"], time_bands=["night"], created_at=MARCH)
    staff = identity(writer, area, "statutory")
    regrouping.merge_contexts(writer, staff, park, canal)
    merged = _aggregates(writer, area, canal)
    assert merged.monthly("unsafe") == Counter({"2026-03": 2, "2026-04": 1})
    assert merged.theme_counts()["poor_lighting"] == 2
    assert merged.time_bands["night"] == 2
    assert merged.last_entry == MAY
    source = _aggregates(writer, area, park)
    assert source.monthly() == Counter() and source.last_entry is None
    assert not [key for key in counts.snapshot(writer) if key[0] == park.id]
    _rebuild_agrees(writer)


def test_splitting_moves_only_the_chosen_entries_counts_into_the_new_context(writer: Session) -> None:
    area, park, entries = _plant(writer)
    staff = identity(writer, area, "statutory")
    new = regrouping.split_context(writer, staff, park, [entries[0].id], name="Underpass", kind="place")  # type: ignore[list-item]
    moved = _aggregates(writer, area, new)
    assert moved.monthly() == Counter({"2026-03": 1})
    assert moved.days == Counter({"weekends": 1})
    assert moved.last_entry == MARCH
    left = _aggregates(writer, area, park)
    assert left.monthly("unsafe") == Counter({"2026-04": 1})
    assert left.days == Counter()
    assert left.last_entry == MAY
    _rebuild_agrees(writer)


def test_a_rebuild_of_one_area_leaves_the_other_areas_counts_alone(writer: Session) -> None:
    area, park, _ = _plant(writer)
    other = make_area(writer, "other-town")
    elsewhere = make_context(writer, other, "Market Square")
    make_published(writer, other, elsewhere, created_at=APRIL)
    before = counts.snapshot(writer)
    assert other.id is not None
    counts.rebuild(writer, area_id=other.id)
    writer.commit()
    assert counts.snapshot(writer) == before
    assert area.id is not None
    assert counts.kind_totals(writer, area.id) == {park.id: {"unsafe": 2, "safe": 1}}


def test_summed_adds_up_one_dimension_per_context_in_the_database(writer: Session) -> None:
    area, park, _ = _plant(writer)
    assert area.id is not None and park.id is not None
    rows = counts.summed(writer, area.id, [park.id], Dim.TIME_BAND)
    assert sorted(rows) == sorted([(park.id, "evening", 2), (park.id, "night", 1), (park.id, "morning", 1)])
    since_april = counts.summed(writer, area.id, [park.id], Dim.ENTRIES, by=("kind",), since="2026-04")
    assert sorted(since_april) == sorted([(park.id, "unsafe", 1), (park.id, "safe", 1)])
