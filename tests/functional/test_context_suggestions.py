"""A moderator is offered the contexts most likely to be the same place first."""

from __future__ import annotations

import h3
from sqlmodel import Session

from app.moderation.linking import context_suggestions
from app.register.models import Context
from tests.factories import make_area, make_place, make_report


def _context(session: Session, area_id: int, name: str, cell: str | None = None) -> Context:
    context = Context(area_id=area_id, name=name, h3_cell=cell)
    session.add(context)
    session.commit()
    return context


def test_same_place_by_name_comes_first_then_neighbouring_cells(session: Session) -> None:
    area = make_area(session)
    park = make_place(session, area, "Victoria Park", lat=52.576, lng=-1.986)
    cell = h3.latlng_to_cell(park.lat, park.lng, area.h3_resolution)
    neighbour = next(c for c in h3.grid_disk(cell, 1) if c != cell)
    assert area.id is not None
    far = _context(session, area.id, "Canal Walk", h3.latlng_to_cell(52.60, -2.02, area.h3_resolution))
    near = _context(session, area.id, "Bus shelter", neighbour)
    named = _context(session, area.id, "Victoria Park play area")
    report = make_report(session, area, place_id=park.id, location_text="")
    suggested = context_suggestions(session, report)
    assert [c.id for c in suggested[:2]] == [named.id, near.id]
    assert far.id in [c.id for c in suggested]


def test_suggestions_never_cross_areas(session: Session) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    assert other.id is not None
    _context(session, other.id, "Victoria Park")
    report = make_report(session, home, location_text="Victoria Park gates")
    assert context_suggestions(session, report) == []


def test_the_context_the_reporter_said_me_too_to_comes_first(session: Session) -> None:
    area = make_area(session)
    park = make_place(session, area, "Victoria Park", lat=52.576, lng=-1.986)
    assert area.id is not None
    _context(session, area.id, "Victoria Park play area")
    towpath = _context(session, area.id, "Canal towpath", h3.latlng_to_cell(52.60, -2.02, area.h3_resolution))
    report = make_report(session, area, place_id=park.id, location_text="", me_too_context_id=towpath.id)
    assert report.reported_context_id == towpath.id
    assert context_suggestions(session, report)[0].id == towpath.id
