"""The public map on a 360 px phone and the staff heatmap on a laptop, in a real Chromium: axe-core
clean, numbers at a reading size, and not one request to any host but the app's own."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import h3
import pytest
from sqlmodel import Session

from app.demo import town
from tests.e2e.axe import axe_violations
from tests.factories import PASSWORD, make_area, make_context, make_place, make_staff
from tests.functional.test_heatmap import plant as plant_unsafe
from tests.functional.test_open_data_cells import plant
from tests.support import totp_code

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}


def _town(session: Session) -> Any:
    """Brackenford's own outline and gazetteer, with cells of every kind around its places."""
    box: dict[str, Any] = {k: town.AREA[k] for k in ("min_lat", "min_lng", "max_lat", "max_lng")}
    area = make_area(session, **box)
    places = {
        name: make_place(session, area, name, kind, lat, lng)
        for name, kind, lat, lng in town.PLACES
    }
    mixes = [  # (place, safe, unsafe)
        ("Victoria Park", 9, 2),
        ("Underpass by the ring road", 1, 11),
        ("Eastside Youth Hub", 7, 0),
        ("Heron Fields", 3, 3),
        ("Kestrel Way", 0, 6),
        ("Canal Walk", 0, 2),  # under k: never drawn
    ]
    for name, safe, unsafe in mixes:
        place = places[name]
        cell = h3.latlng_to_cell(place.lat, place.lng, 8)
        plant(session, area, cell, "2026-10", safe=safe, unsafe=unsafe)
    return area


def _record_requests(page: Any, base: str) -> list[str]:
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: elsewhere.append(request.url) if not request.url.startswith(base) else None,
    )
    return elsewhere


def _violations(page: Any) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {[' '.join(n['target']) for n in v['nodes'][:3]]}"
        for v in axe_violations(page)
    ]


def test_the_public_map_on_a_phone(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    _town(session)
    phone = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = phone.new_page()
    elsewhere = _record_requests(page, live_server)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/map")
    page.get_by_role("img", name="Map of how safe places feel in Brackenford").wait_for()
    page.screenshot(path=str(artifacts / "public-map-phone.png"), full_page=True)

    svg = page.locator("svg[data-area-map]")
    box = svg.bounding_box()
    assert (
        box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    )  # no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Every number on the map, as drawn on this screen, is at least 14 px.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('svg[data-area-map] .hex__label')].map(
             (t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""
    )
    assert len(sizes) == 5 and min(sizes) >= 14, sizes
    assert page.locator("svg[data-area-map] .area-map__outline").count() == 1
    assert page.locator("svg[data-area-map] .area-map__place").count() >= 5
    assert page.locator("polygon.area-map__cell--mostly-safe").count() == 2
    assert page.locator("polygon.area-map__cell--mostly-unsafe").count() == 2
    assert page.locator("polygon.area-map__cell--mixed").count() == 1
    # The same numbers in a table under the map, row for row.
    assert (
        page.get_by_role("table", name="What people said, area by area").locator("tbody tr").count()
        == 5
    )
    assert _violations(page) == []
    assert elsewhere == [] and errors == []
    phone.close()


def test_the_public_map_needs_no_javascript(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    _town(session)
    phone = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = phone.new_page()
    elsewhere = _record_requests(page, live_server)
    page.goto(f"{live_server}/map")
    assert page.locator("svg[data-area-map] polygon.hex").count() == 5
    assert (
        page.get_by_role("link", name="Download the numbers (CSV spreadsheet)").get_attribute(
            "href"
        )
        == "/api/v1/cells.csv"
    )
    page.screenshot(path=str(artifacts / "public-map-phone-no-js.png"))
    assert elsewhere == []
    phone.close()


def test_the_heatmap_on_a_laptop(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    station = make_context(session, area, "Bus station")
    from app.core.types import utcnow

    now = utcnow().replace(day=3, hour=12)
    for months_ago, band, count, context in [
        (0, "evening", 6, park),
        (0, "night", 3, station),
        (1, "evening", 4, park),
        (2, "afternoon", 2, station),
        (4, "all_the_time", 1, park),
        (7, "evening,night", 5, station),
    ]:
        plant_unsafe(
            session,
            area,
            now - timedelta(days=31 * months_ago),
            band,
            count=count,
            context_id=context.id,
        )
    staff = make_staff(session, area, "statutory")
    laptop = browser.new_context(viewport=LAPTOP, bypass_csp=True)
    page = laptop.new_page()
    elsewhere = _record_requests(page, live_server)
    page.goto(f"{live_server}/staff/register/heatmap")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="When unsafe entries happen").wait_for()
    assert page.get_by_role("img", name="Unsafe entries by month and time of day").is_visible()
    assert _violations(page) == []
    page.screenshot(path=str(artifacts / "heatmap-laptop.png"), full_page=True)

    page.get_by_label("Context").select_option(label="Bus station")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url("**context=*")
    total = (
        page.get_by_role("table", name="Unsafe entries by month and time of day")
        .locator("tfoot td")
        .last
    )
    assert total.inner_text() == "10"
    assert _violations(page) == []
    assert elsewhere == []
    laptop.close()


def test_an_area_with_its_own_tile_server_also_gets_a_street_map(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    area = _town(session)
    # The area's tile server, here the app itself (no internet in tests): the same cells over tiles.
    area.tile_url = f"{live_server}/static/vendor/leaflet/images/layers.png?z={{z}}&x={{x}}&y={{y}}"
    session.add(area)
    session.commit()
    phone = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = phone.new_page()
    elsewhere = _record_requests(page, live_server)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/map")
    page.locator(".leaflet-container").wait_for()
    page.locator("path.area-map__tile-cell").first.wait_for()
    assert page.locator("path.area-map__tile-cell").count() == 5
    assert sorted(page.locator(".area-map__tile-number").all_inner_texts()) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    # The server-drawn map and its table stay for everyone.
    assert page.locator("svg[data-area-map] polygon.hex").count() == 5
    page.screenshot(path=str(artifacts / "public-map-phone-tiles.png"), full_page=True)
    assert _violations(page) == []
    assert elsewhere == [] and errors == []
    phone.close()
