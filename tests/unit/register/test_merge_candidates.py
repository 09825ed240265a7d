"""The merge form's choices: the nearest contexts first, a name search for the rest, never the whole area."""

from __future__ import annotations

from datetime import timedelta

import h3
from sqlmodel import Session

from app.core.types import utcnow
from app.register import profile
from tests.factories import make_area, make_context

PARK_CELL = "88195c00b7fffff"


def far_cell() -> str:
    # Five rings out: well past the two rings the form looks in first.
    return sorted(h3.grid_ring(PARK_CELL, 5))[0]


def test_nearby_contexts_come_first_then_the_most_recently_active(session: Session) -> None:
    area = make_area(session)
    now = utcnow()
    here = make_context(session, area, "Victoria Park")
    far_busy = make_context(session, area, "Station Road", h3_cell=far_cell(), last_entry_at=now)
    near_quiet = make_context(session, area, "Park gates", h3_cell=sorted(h3.grid_ring(PARK_CELL, 1))[0], last_entry_at=now - timedelta(days=90))
    same_cell = make_context(session, area, "Bandstand", last_entry_at=now - timedelta(days=30))
    merged = make_context(session, area, "Old name for the park")
    merged.merged_into_id = same_cell.id
    session.add(merged)
    session.commit()

    names = [c.name for c in profile.merge_candidates(session, here)]

    assert names == [same_cell.name, near_quiet.name, far_busy.name]  # never itself, never a merged one


def test_at_most_a_page_of_choices_however_many_contexts_the_area_has(session: Session) -> None:
    area = make_area(session)
    here = make_context(session, area, "Victoria Park")
    for index in range(profile.MERGE_CHOICES + 10):
        make_context(session, area, f"Street {index:02d}", h3_cell=far_cell())

    choices = profile.merge_candidates(session, here)

    assert len(choices) == profile.MERGE_CHOICES
    assert len({c.id for c in choices}) == profile.MERGE_CHOICES


def test_a_name_search_finds_any_context_and_treats_wildcards_as_letters(session: Session) -> None:
    area = make_area(session)
    other_area = make_area(session, slug="elsewhere")
    here = make_context(session, area, "Victoria Park")
    make_context(session, area, "Canal towpath", h3_cell=far_cell())
    make_context(session, area, "100% dark alley", h3_cell=far_cell())
    make_context(session, other_area, "Canal basin")

    assert [c.name for c in profile.merge_candidates(session, here, query="CANAL")] == ["Canal towpath"]
    assert [c.name for c in profile.merge_candidates(session, here, query="100%")] == ["100% dark alley"]
    assert [c.name for c in profile.merge_candidates(session, here, query="%")] == ["100% dark alley"]
    assert profile.merge_candidates(session, here, query="_anal") == []
