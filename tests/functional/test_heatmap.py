"""The staff heatmap: unsafe entries by month and time of day, filtered, for the staff member's area only."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.areas.models import Area
from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.register.heatmap import level_of
from app.register.periods import month_key
from app.reports.models import Report
from tests.factories import make_area, make_context, make_place, make_staff
from tests.support import sign_in

_numbers = itertools.count(1)
BANDS = ["morning", "afternoon", "evening", "night", "all_the_time"]


def plant(
    session: Session,
    area: Area,
    when: datetime,
    time_bands: str,
    *,
    count: int = 1,
    kind: str = "unsafe",
    status: str = "published",
    context_id: int | None = None,
    place_id: int | None = None,
    categories: str = "followed_harassed",
    source: str = "young_person",
) -> None:
    assert area.id is not None
    for _ in range(count):
        number = next(_numbers)
        session.add(
            Report(
                area_id=area.id,
                receipt_code=f"H{number:08d}",
                submission_token=f"heat-{number}",
                kind=kind,
                status=status,
                created_at=when,
                time_bands=time_bands,
                categories=categories,
                source=source,
                context_id=context_id,
                place_id=place_id,
                description="words",
                public_description="words",
            )
        )
    session.commit()


def _table(html: str) -> dict[str, list[int]]:
    """month -> [morning, afternoon, evening, night, all the time, entries], from the data table."""
    rows = {}
    for month, cells in re.findall(
        r'<tr data-month="([\d-]+|all)"><th scope="row">[^<]*</th>(.*?)</tr>', html, re.S
    ):
        rows[month] = [int(n) for n in re.findall(r"<td>(\d+)</td>", cells)]
    return rows


def _now_and_last_month() -> tuple[datetime, datetime]:
    now = utcnow().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    return now, (now - timedelta(days=1)).replace(day=2)


def _sign_in(client: TestClient, session: Session, area: Area, role: str = "statutory") -> None:
    sign_in(client, make_staff(session, area, role).email)


def test_counts_by_month_and_time_of_day_on_planted_entries(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    this_month, last_month = _now_and_last_month()
    plant(session, area, this_month, "evening", count=3)
    plant(session, area, this_month, "evening,night")
    plant(session, area, this_month, "", count=2)  # no time given: in the month's total only
    plant(session, area, last_month, "morning", count=2)
    plant(session, area, this_month, "evening", kind="safe", count=5)  # not unsafe
    plant(session, area, this_month, "evening", status="pending", count=5)  # not published
    _sign_in(client, session, area)
    page = client.get("/staff/register/heatmap")
    assert page.status_code == 200
    table = _table(page.text)
    assert table[month_key(this_month)] == [0, 0, 4, 1, 0, 6]
    assert table[month_key(last_month)] == [2, 0, 0, 0, 0, 2]
    assert table["all"] == [2, 0, 4, 1, 0, 8]
    assert len([m for m in table if m != "all"]) == 12  # the default period: the last 12 months
    # The SVG names itself, describes itself, and gives every square its words and its number.
    svg = re.search(r"<svg[^>]*heatmap__svg.*?</svg>", page.text, re.S)
    assert svg and 'role="img"' in svg.group(0) and "<desc" in svg.group(0)
    assert re.search(r"<title>[^<]*, Evening: 4 unsafe entries</title>", svg.group(0))
    assert re.search(
        r'<g class="heatmap__cell heatmap__cell--5">\s*<title>[^<]*Evening: 4 unsafe entries',
        svg.group(0),
    )
    assert len(re.findall(r'<g class="heatmap__cell ', svg.group(0))) == 12 * 5


def test_filters_by_context_place_category_source_and_period(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    station = make_context(session, area, "Bus station")
    library = make_place(session, area, "Brackenford Library", "community", 52.5795, -1.9895)
    this_month, _ = _now_and_last_month()
    plant(session, area, this_month, "evening", context_id=park.id, count=2)
    plant(
        session,
        area,
        this_month,
        "night",
        context_id=station.id,
        place_id=library.id,
        categories="poor_lighting,no_one_around",
    )
    plant(session, area, this_month, "morning", context_id=station.id, source="practitioner")
    plant(session, area, this_month - timedelta(days=200), "afternoon", context_id=park.id)
    _sign_in(client, session, area)
    key = month_key(this_month)

    def row(query: str) -> list[int]:
        return _table(client.get(f"/staff/register/heatmap?{query}").text)["all"]

    assert row("") == [1, 1, 2, 1, 0, 5]
    assert row(f"context={park.id}") == [0, 1, 2, 0, 0, 3]
    assert row(f"context={park.id}&period=3m") == [0, 0, 2, 0, 0, 2]
    assert row(f"place={library.id}") == [0, 0, 0, 1, 0, 1]
    assert row("category=no_one_around") == [0, 0, 0, 1, 0, 1]
    assert row("category=poor_lighting") == [0, 0, 0, 1, 0, 1]
    assert row("source=practitioner") == [1, 0, 0, 0, 0, 1]
    assert row("period=all") == [1, 1, 2, 1, 0, 5]
    # Codes that are not on this area's lists are ignored, not trusted.
    assert row("category=poor%5Flighting%25&source=nobody&period=forever") == [1, 1, 2, 1, 0, 5]
    page = client.get(f"/staff/register/heatmap?context={park.id}&source=young_person").text
    assert re.search(rf'<option value="{park.id}" selected>Victoria Park</option>', page)
    assert '<option value="young_person" selected>' in page
    assert key in _table(page)


def test_staff_see_only_their_own_area(client: TestClient, session: Session) -> None:
    home = make_area(session)
    other = make_area(session, "northwick")
    theirs = make_context(session, other, "Northwick-only context")
    this_month, _ = _now_and_last_month()
    plant(session, home, this_month, "evening")
    plant(session, other, this_month, "evening", count=9, context_id=theirs.id)
    _sign_in(client, session, home)
    page = client.get("/staff/register/heatmap").text
    assert _table(page)["all"] == [0, 0, 1, 0, 0, 1]
    assert "Northwick-only context" not in page
    # Another area's context id is not this area's: the filter ignores it and nothing of theirs shows.
    filtered = client.get(f"/staff/register/heatmap?context={theirs.id}").text
    assert _table(filtered)["all"] == [0, 0, 1, 0, 0, 1]


@pytest.mark.parametrize(
    ("role", "status"),
    [("statutory", 200), ("moderator", 200), ("admin", 200), ("facilitator", 403)],
)
def test_who_may_open_it(client: TestClient, session: Session, role: str, status: int) -> None:
    area = make_area(session)
    _sign_in(client, session, area, role)
    assert client.get("/staff/register/heatmap").status_code == status


def test_signed_out_people_are_sent_to_sign_in(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.get("/staff/register/heatmap")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")


def test_each_view_is_in_the_access_log_with_its_filters(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    _sign_in(client, session, area)
    client.get("/staff/register/heatmap?period=6m&source=family")
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "register.heatmap_viewed")
    ).one()
    assert event.detail["filters"] == {"period": "6m", "source": "family"}


def test_the_register_nav_links_to_it(client: TestClient, session: Session) -> None:
    area = make_area(session)
    _sign_in(client, session, area)
    page = client.get("/staff/register/heatmap").text
    assert re.search(r'<a href="/staff/register/heatmap" aria-current="page">', page)
    assert 'href="/staff/register/heatmap"' in client.get("/staff/register").text


def test_levels_run_from_none_to_the_busiest() -> None:
    assert [level_of(v, 10) for v in (0, 1, 2, 5, 9, 10)] == [0, 1, 1, 3, 5, 5]
    assert level_of(3, 0) == 0
