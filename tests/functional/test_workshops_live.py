"""The live stream behind the wall: resumes from any event number, never sends one twice, and keeps
talking (heartbeats) when the room is quiet. Driven directly, without a browser."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from sqlmodel import Session

from app.accounts.service import StaffIdentity
from app.core import live
from app.core.db import Database
from app.reports.schemas import ReportCreate
from app.workshops import entries, service, stream, wall
from app.workshops.events import Participation, events_after
from app.workshops.models import WallStatus, WorkshopEntry
from tests.factories import make_area, make_staff, make_workshop, report_data
from tests.support import run_in_own_loop

CARD = re.compile(r'id="wall-entry-(\d+)"')


class Recorder(live.InProcessBroker):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[int, int]] = []

    def publish(self, workshop_id: int, seq: int) -> None:
        self.published.append((workshop_id, seq))
        super().publish(workshop_id, seq)


def _setup(session: Session) -> tuple[Any, StaffIdentity, Participation]:
    area = make_area(session)
    staff_user = make_staff(session, area, "facilitator")
    workshop = make_workshop(session, area, staff_user)
    identity = StaffIdentity(user=staff_user, area=area, roles=frozenset({"facilitator"}), session_id=0)
    who, _token = service.join(session, area, workshop.join_code, session_minutes=60)
    return area, identity, who


def _entry(session: Session, area: Any, who: Participation, broker: live.LiveBroker, text: str) -> int:
    data: ReportCreate = report_data(description=text)
    entry = entries.add_entry(session, area, who, data, language="en", live=broker)
    assert entry.id is not None
    return entry.id


async def _take(messages: AsyncIterator[str], count: int, timeout: float = 5) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        out.append(await asyncio.wait_for(anext(messages), timeout))
    return out


def _stream(db: Database, broker: live.LiveBroker, workshop_id: int, after: int, *, heartbeat: float = 5) -> AsyncIterator[str]:
    def load(wid: int, last: int) -> list[Any]:
        with db.session() as s:
            return list(events_after(s, wid, last))

    def render(events: Any) -> str:
        return stream.render_batch(db, workshop_id, events, view=stream.WALL, locale="en", csrf_token="x")

    return live.event_stream(broker, workshop_id, after, load, render, heartbeat=heartbeat)


def test_every_change_is_published_with_its_event_number(session: Session) -> None:
    area, staff, who = _setup(session)
    broker = Recorder()
    entry_id = _entry(session, area, who, broker, "The bridge has no lights.")
    wall.check_entry(session, staff, who.workshop, entry_id, show=True, live=broker)
    assert broker.published == [(who.workshop.id, 1), (who.workshop.id, 2)]


def test_a_reconnecting_wall_gets_what_it_missed_once_and_then_live_changes(session: Session, db: Database) -> None:
    area, staff, who = _setup(session)
    broker = live.InProcessBroker()
    shown = []
    for n in range(3):
        entry_id = _entry(session, area, who, broker, f"Entry {n}: the bridge has no lights.")
        wall.check_entry(session, staff, who.workshop, entry_id, show=True, live=broker)
        shown.append(entry_id)
    workshop_id = who.workshop.id
    assert workshop_id is not None

    async def scenario() -> tuple[list[str], list[str]]:
        # A wall that had seen up to event 2 (the first entry added and shown) reconnects.
        messages = _stream(db, broker, workshop_id, after=2)
        first = await _take(messages, 2)  # "retry:" then one batch with everything missed
        late_id = await asyncio.to_thread(_entry, session, area, who, broker, "Entry 4: the alley.")
        await asyncio.to_thread(lambda: wall.check_entry(session, staff, who.workshop, late_id, show=True, live=broker))
        later: list[str] = []  # the new entry's two events, pushed as they commit (one batch or two)
        while not any("id: 8\n" in m for m in later):
            later += await _take(messages, 1)
        await messages.aclose()  # type: ignore[attr-defined]
        shown.append(late_id)
        return first, later

    first, later = run_in_own_loop(scenario())
    assert first[0].startswith("retry:")
    assert "id: 6\n" in first[1]
    assert [int(i) for i in CARD.findall(first[1])] == shown[1:3]
    cards = [int(i) for message in later for i in CARD.findall(message)]
    assert cards == [shown[3]]
    assert all(m.startswith("id: ") for m in later)
    assert broker.subscriber_count == 0  # a closed stream leaves nothing behind


def test_a_quiet_wall_gets_heartbeats(session: Session, db: Database) -> None:
    _area, _staff, who = _setup(session)
    broker = live.InProcessBroker()
    assert who.workshop.id is not None

    async def scenario() -> list[str]:
        messages = _stream(db, broker, who.workshop.id, after=0, heartbeat=0.05)
        got = await _take(messages, 3)
        await messages.aclose()  # type: ignore[attr-defined]
        return got

    got = run_in_own_loop(scenario())
    assert got[1:] == [": heartbeat\n\n", ": heartbeat\n\n"]


def test_withdrawn_and_taken_down_entries_leave_the_wall(session: Session, db: Database) -> None:
    area, staff, who = _setup(session)
    broker = live.InProcessBroker()
    kept = _entry(session, area, who, broker, "The park gate is locked early.")
    gone = _entry(session, area, who, broker, "The subway smells.")
    for entry_id in (kept, gone):
        wall.check_entry(session, staff, who.workshop, entry_id, show=True, live=broker)
    with db.writer() as writer:  # Core deletes and ORM reads in one transaction: the app's own session
        entries.withdraw_entry(writer, who, gone, live=broker)
    wall.check_entry(session, staff, who.workshop, kept, show=False, live=broker)
    assert who.workshop.id is not None
    with db.session() as s:
        events = list(events_after(s, who.workshop.id, 0))
    html = stream.render_batch(db, who.workshop.id, events, view=stream.WALL, locale="en", csrf_token="x")
    assert f'hx-target="#wall-entry-{gone}" hx-swap="delete"' in html
    assert f'hx-target="#wall-entry-{kept}" hx-swap="delete"' in html
    with db.session() as s:
        assert wall.wall_entries(s, who.workshop.id) == []
        assert s.get(WorkshopEntry, kept).wall_status == WallStatus.HELD_BACK  # type: ignore[union-attr]


def test_sse_message_carries_its_number_and_multiline_html() -> None:
    message = live.sse_message("<a>\n<b>", 42)
    assert message == "id: 42\ndata: <a>\ndata: <b>\n\n"
