"""The per-process area cache: one query a request, and every edit seen on the next request.

Two AreaLookup objects stand for two app processes sharing one database: the stamp read with the
area row is what keeps both right, with no message between them.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.areas.lookup import AreaData, AreaLookup
from app.areas.models import Area
from app.core.db import Database, ReadOnlySessionError
from app.taxonomy import service as taxonomy
from tests.factories import make_area, make_place


def _for_host(lookup: AreaLookup, db: Database, host: str = "127.0.0.1") -> AreaData:
    with db.read() as session:
        data = lookup.for_host(session, host)
    assert data is not None
    return data


def test_a_second_request_reuses_the_copy(db: Database, session: Session) -> None:
    area = make_area(session)
    make_place(session, area)
    lookup = AreaLookup()
    first = _for_host(lookup, db)
    second = _for_host(lookup, db)
    assert lookup.loads == 1
    assert first.gazetteer is second.gazetteer


def test_a_new_place_is_seen_by_every_process_on_its_next_request(db: Database, session: Session) -> None:
    area = make_area(session)
    make_place(session, area)
    one, other = AreaLookup(), AreaLookup()
    _for_host(one, db), _for_host(other, db)
    make_place(session, area, name="Canal Walk", kind="street")
    for lookup in (one, other):
        names = [p.name for p in _for_host(lookup, db).places]
        assert names == ["Canal Walk", "Victoria Park"]
        assert lookup.loads == 2


def test_a_new_taxonomy_version_is_seen_on_the_next_request(db: Database, session: Session) -> None:
    area = make_area(session)
    lookup = AreaLookup()
    before = _for_host(lookup, db)
    assert before.words.version_id is None
    taxonomy.save_version(session, area, actor_id=None, kind="unsafe", locale="en", labels={"question:where": "Where was it?"})
    session.commit()
    after = _for_host(lookup, db)
    assert after.words.version_id is not None
    assert after.words.wording("unsafe", "en", "where") == "Where was it?"
    assert after.words.wordings("unsafe", "en", ["where"]) == {"where": taxonomy.question_wording(session, area, "unsafe", "en", "where")}


def test_the_area_row_is_always_fresh(db: Database, session: Session) -> None:
    area = make_area(session)
    lookup = AreaLookup()
    _for_host(lookup, db)
    area.tile_url = "https://tiles.example/{z}/{x}/{y}.png"
    session.add(area)
    session.commit()
    assert _for_host(lookup, db).area.tile_url == area.tile_url
    assert lookup.loads == 1  # settings changes need no rebuild: the row is read every time


def test_the_host_picks_its_area_then_the_default_then_the_first(db: Database, session: Session) -> None:
    make_area(session, "first")
    make_area(session, "second", hostname="second.example")
    lookup = AreaLookup()
    assert _for_host(lookup, db, "second.example:8000").area.slug == "second"
    with db.read() as read:
        by_default = lookup.for_host(read, "elsewhere.example", "second")
        first = lookup.for_host(read, "elsewhere.example")
    assert by_default is not None and by_default.area.slug == "second"
    assert first is not None and first.area.slug == "first"


def test_a_read_session_refuses_to_write(db: Database, session: Session) -> None:
    make_area(session)
    with db.read() as read:
        read.add(Area(slug="sneaky", name="Sneaky"))
        with pytest.raises(ReadOnlySessionError):
            read.flush()
