"""An area, its gazetteer and its taxonomy for one request, from one small query.

Every public screen needs the area this host serves, its places (to show, search and check a chosen
one, and the names triage looks for) and its co-designed words. Read fresh, that was a dozen queries
a request; the places and words change only when someone edits them. So each process keeps one
immutable copy per area, built in `create_app`, and every request reads just the area row with a
stamp of its gazetteer and taxonomy beside it:

    stamp = (newest taxonomy version id, number of places, highest place id)

Invalidation is that stamp, checked on every request, so it holds across processes and against any
writer (admin pages, the CLI, the demo generator, tests) with no TTL and no message bus:

- the area's own settings are in the row itself, read every time;
- a taxonomy edit always saves a new version (`taxonomy.save_version`; versions are never edited),
  which raises the newest version id;
- places are only ever added or removed (there is no in-place edit of a place today), which moves
  the count or the highest id. A future editor that renames a place in place must also replace the
  row (delete and insert) or add a version column here; `invalidate` covers this process only.

Entries are replaced, never mutated, so a request thread always reads one consistent copy. There is
one entry per area, so the cache stays as small as the list of areas.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, case, func
from sqlmodel import Session, col, select

from app.areas.models import Area, Place, PlaceKind
from app.taxonomy import service as taxonomy
from app.taxonomy.models import TaxonomyVersion

Stamp = tuple[int | None, int, int | None]


@dataclass(frozen=True)
class GazetteerPlace:
    """A place people can pick, as plain data (shared between threads, never attached to a session)."""

    id: int
    name: str
    kind: str
    lat: float
    lng: float


@dataclass(frozen=True)
class Gazetteer:
    places: tuple[GazetteerPlace, ...]  # by name
    by_id: dict[int, GazetteerPlace] = field(repr=False)
    school_names: tuple[str, ...]
    place_names: tuple[str, ...]  # every place that is not a school

    @classmethod
    def of(cls, places: list[GazetteerPlace]) -> Gazetteer:
        ordered = tuple(sorted(places, key=lambda p: p.name))
        return cls(
            places=ordered,
            by_id={p.id: p for p in ordered},
            school_names=tuple(p.name for p in ordered if p.kind == PlaceKind.SCHOOL),
            place_names=tuple(p.name for p in ordered if p.kind != PlaceKind.SCHOOL),
        )


@dataclass(frozen=True)
class AreaData:
    """What a public request knows about its area: the row (fresh) and its gazetteer and words (cached)."""

    area: Area
    gazetteer: Gazetteer
    words: taxonomy.TaxonomyWords

    @property
    def area_id(self) -> int:
        assert self.area.id is not None
        return self.area.id

    @property
    def places(self) -> tuple[GazetteerPlace, ...]:
        return self.gazetteer.places

    def place(self, place_id: int | None) -> GazetteerPlace | None:
        return self.gazetteer.by_id.get(place_id) if place_id is not None else None

    def search_places(self, term: str, *, limit: int = 8) -> list[GazetteerPlace]:
        """Places whose name contains the words typed, in any case, alphabetically."""
        wanted = term.replace("%", "").replace("_", "").strip().casefold()
        if not wanted:
            return []
        return [p for p in self.gazetteer.places if wanted in p.name.casefold()][:limit]


@dataclass(frozen=True)
class _Entry:
    stamp: Stamp
    gazetteer: Gazetteer
    words: taxonomy.TaxonomyWords


def _stamped(query: Any) -> Any:
    newest_version = select(func.max(TaxonomyVersion.id)).where(col(TaxonomyVersion.area_id) == col(Area.id)).scalar_subquery()
    place_count = select(func.count()).select_from(Place).where(col(Place.area_id) == col(Area.id)).scalar_subquery()
    highest_place = select(func.max(Place.id)).where(col(Place.area_id) == col(Area.id)).scalar_subquery()
    return query.add_columns(newest_version, place_count, highest_place)


def load_gazetteer(session: Session, area_id: int) -> Gazetteer:
    rows = session.exec(select(Place).where(Place.area_id == area_id)).all()
    return Gazetteer.of([GazetteerPlace(id=p.id or 0, name=p.name, kind=p.kind, lat=p.lat, lng=p.lng) for p in rows])


def load_area_data(session: Session, area: Area) -> AreaData:
    """Uncached: for code outside a request (the CLI, tests, services called without one)."""
    assert area.id is not None
    return AreaData(area, load_gazetteer(session, area.id), taxonomy.current_words(session, area.id))


class AreaLookup:
    """The per-process cache of each area's gazetteer and words, checked against the stamp each time."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._lock = threading.Lock()
        self.loads = 0  # how many times an entry was (re)built: for tests and /healthz-style checks
        # Built once: building a statement costs more than running this one on SQLite.
        preference = case((col(Area.hostname) == bindparam("hostname"), 0), (col(Area.slug) == bindparam("slug"), 1), else_=2)
        self._by_host = _stamped(select(Area)).order_by(preference, col(Area.id)).limit(1)
        self._by_id = _stamped(select(Area)).where(col(Area.id) == bindparam("area_id"))

    def for_host(self, session: Session, host: str | None, default_slug: str = "") -> AreaData | None:
        """The area this host serves: by hostname, else the default slug, else the first area."""
        hostname = host.split(":")[0].lower() if host else ""
        row = session.execute(self._by_host, {"hostname": hostname, "slug": default_slug}).first()
        return self._from_row(session, row)

    def for_area(self, session: Session, area_id: int) -> AreaData | None:
        return self._from_row(session, session.execute(self._by_id, {"area_id": area_id}).first())

    def invalidate(self, area_id: int | None = None) -> None:
        """Forget one area's copy (or all): the next request rebuilds it. This process only."""
        with self._lock:
            if area_id is None:
                self._entries.clear()
            else:
                self._entries.pop(area_id, None)

    def _from_row(self, session: Session, row: Any) -> AreaData | None:
        if row is None:
            return None
        area, newest_version, place_count, highest_place = row
        assert area.id is not None
        stamp: Stamp = (newest_version, int(place_count or 0), highest_place)
        entry = self._entries.get(area.id)
        if entry is None or entry.stamp != stamp:
            # Built outside the lock: two threads may both build the same copy, which costs a few
            # reads and is harmless; neither ever sees a half-built one.
            entry = _Entry(stamp, load_gazetteer(session, area.id), taxonomy.current_words(session, area.id))
            with self._lock:
                self._entries[area.id] = entry
                self.loads += 1
        return AreaData(area, entry.gazetteer, entry.words)
