"""The public report in a real browser on a phone: every kind with JavaScript on and off, the receipt
and /track, Back, a dropped connection, a resend, the help panel, the exit control mid-form, "me too",
and the map picker placed by keyboard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.reports.models import Report
from tests.e2e.conftest import PHONE
from tests.e2e.report_steps import (
    KIND_BUTTONS,
    continue_,
    fill_to_check,
    on_step,
    send,
    send_report,
)
from tests.factories import make_area, make_place, make_report, make_staff

pytestmark = pytest.mark.e2e

DESCRIPTIONS = {
    "safe": "The library staff always say hello and there is somewhere warm to sit.",
    "unsafe": "Older lads shout at people by the gates after dark.",
    "structural": "The youth club shut last year and now there is nowhere to go in the evening.",
}


@pytest.fixture
def town(session: Session) -> Any:
    area = make_area(session)
    make_place(session, area, "Victoria Park", "park", 52.576, -1.986)
    make_place(session, area, "Brackenford Library", "library", 52.580, -1.990)
    return area


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("kind", ["safe", "unsafe", "structural"])
def test_every_kind_is_sent_and_tracked(browser: Any, live_server: str, session: Session, town: Any, kind: str, js: bool, artifacts: Path) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=js)
    page = context.new_page()
    code = send_report(page, live_server, kind=kind, description=DESCRIPTIONS[kind], js=js)
    page.screenshot(path=artifacts / f"report-sent-{kind}-{'js' if js else 'nojs'}.png", full_page=True)
    assert "Tell us" not in page.title() and DESCRIPTIONS[kind][:20] not in page.title()

    report = session.exec(select(Report)).one()
    assert (report.kind, report.description, report.time_bands, report.feeling) == (kind, DESCRIPTIONS[kind], "evening", 2)
    assert report.place_id is not None and report.h3_cell

    page.goto(f"{live_server}/track")
    page.get_by_label("Receipt code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Check").click()
    page.wait_for_selector("text=Waiting to be checked")
    assert DESCRIPTIONS[kind] not in page.content()  # /track shows the status, never the words
    context.close()


def test_browser_back_keeps_every_answer_and_a_resend_gives_the_same_receipt(browser: Any, live_server: str, session: Session, town: Any) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    fill_to_check(page, live_server)
    page.go_back()
    on_step(page, "about")
    page.go_back()
    on_step(page, "feel")
    page.go_back()
    on_step(page, "what")
    assert page.get_by_label("Tell us in your own words").input_value() == "Older lads shout at people by the gates after dark."
    page.go_forward()
    on_step(page, "feel")
    assert page.get_by_label(re.compile("A bit unsafe")).is_checked()
    page.get_by_role("button", name="Back").click()  # the button and the browser agree
    on_step(page, "what")
    continue_(page)
    on_step(page, "feel")
    continue_(page)
    continue_(page)
    on_step(page, "check")
    code = send(page)
    assert page.title().startswith("Sent")

    page.go_back()  # back from the receipt, then send again: the same report, not a second one
    on_step(page, "check")
    assert send(page) == code
    assert len(session.exec(select(Report)).all()) == 1


def test_a_dropped_connection_keeps_the_answers_and_the_retry_sends_once(browser: Any, live_server: str, session: Session, town: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    fill_to_check(page, live_server)
    drops = {"left": 1}

    def flaky(route: Any) -> None:
        if route.request.method == "POST" and "go=send" in (route.request.post_data or "") and drops["left"]:
            drops["left"] -= 1
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(f"{live_server}/report", flaky)
    page.get_by_role("button", name="Send").click()
    message = page.locator("[data-send-failed]")
    message.wait_for(state="visible")
    assert "Your answers are still here" in message.inner_text()
    assert "Older lads shout at people" in page.locator(".answers").inner_text()
    assert session.exec(select(Report)).all() == []

    code = send(page)
    assert RECEIPT_RE.fullmatch(code)
    assert len(session.exec(select(Report)).all()) == 1
    context.close()


RECEIPT_RE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def test_a_possible_disclosure_shows_help_at_once(browser: Any, live_server: str, session: Session, town: Any) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    send_report(page, live_server, description="He said he will hurt me if I tell anyone. I'm scared to go home tonight.")
    help_panel = page.locator(".panel--urgent")
    assert "It sounds like someone might not be safe" in help_panel.inner_text()
    assert "0800 1111" in help_panel.inner_text()
    assert session.exec(select(Report)).one().urgent


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_help_panel_opens_mid_form_without_losing_anything(browser: Any, live_server: str, session: Session, town: Any, js: bool) -> None:
    page = browser.new_context(viewport=PHONE, java_script_enabled=js).new_page()
    page.goto(f"{live_server}/report")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    on_step(page, "where")
    page.get_by_label(re.compile("Describe where it is")).fill("the underpass by the station")
    page.get_by_text("Get help now").click()
    panel = page.locator("[data-help-panel]")
    assert panel.get_attribute("open") is not None
    assert "Childline" in panel.inner_text() and "999" in panel.inner_text()
    assert page.get_by_label(re.compile("Describe where it is")).input_value() == "the underpass by the station"


def test_exit_with_the_shift_key_mid_form_leaves_nothing_behind(browser: Any, live_server: str, session: Session, town: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    context.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(status=200, body="<title>Weather</title>", content_type="text/html"))
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    on_step(page, "where")
    page.get_by_label(re.compile("Describe where it is")).fill("behind the shops")
    continue_(page)
    on_step(page, "when")
    continue_(page)
    on_step(page, "what")
    page.get_by_label("Tell us in your own words").fill("something private")
    page.get_by_label("Tell us in your own words").blur()
    for _ in range(2):
        page.keyboard.press("Shift")
    assert "1 more time" in page.locator("[data-exit-indicator]").inner_text()
    page.keyboard.press("Shift")
    page.wait_for_url("https://www.bbc.co.uk/**")
    page.go_back()
    page.wait_for_load_state()
    assert "something private" not in page.content()
    assert not page.url.endswith("/report")
    context.close()


def test_me_too_links_the_report_to_a_published_context_nearby(browser: Any, live_server: str, session: Session, town: Any) -> None:
    from app.accounts.service import StaffIdentity, roles_in
    from app.moderation import service as moderation

    town.min_cell_count = 1  # "me too" names a context once k people have spoken: here one is enough
    session.add(town)
    session.commit()
    place = make_place(session, town, "Canal towpath", "street", 52.578, -1.988)
    earlier = make_report(session, town, place_id=place.id, location_text="")
    moderator = make_staff(session, town, "moderator")
    assert moderator.id is not None and town.id is not None
    staff = StaffIdentity(user=moderator, area=town, roles=roles_in(session, moderator.id, town.id), session_id=0)
    context = moderation.publish(
        session, staff, earlier, expected_version=earlier.version, public_description=earlier.description or "",
        public_what_would_help="", accepted={}, context_id=None, new_context_name="Canal towpath", show_on_map=True,
    )

    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server}/report")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    page.get_by_label("Search for a place").fill("canal")
    page.get_by_label("Canal towpath").check()
    continue_(page)
    on_step(page, "me_too")
    page.get_by_label("Yes, it is the same place").check()  # plain words: the chosen place is not said again
    continue_(page)
    on_step(page, "when")
    continue_(page)
    page.get_by_label("Tell us in your own words").fill("Same here, people get followed along the towpath.")
    continue_(page)
    continue_(page)
    continue_(page)
    on_step(page, "check")
    assert "Canal towpath" in page.locator(".answers").inner_text()
    send(page)
    newest = session.exec(select(Report).order_by(Report.id.desc())).first()  # type: ignore[union-attr]
    assert newest is not None and newest.reported_context_id == context.id


def test_the_map_pin_is_placed_by_keyboard_when_the_area_has_tiles(browser: Any, live_server: str, session: Session) -> None:
    # The area's own tile server; here our own static icon stands in for every tile (no internet).
    area = make_area(session, tile_url=f"{live_server}/static/img/icon.svg?z={{z}}&x={{x}}&y={{y}}")
    assert area.tile_url
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server}/report")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    on_step(page, "where")
    page.locator("[data-map]").wait_for(state="visible")
    page.locator("[data-map]").focus()
    page.keyboard.press("ArrowUp")
    page.get_by_role("button", name="Put the pin in the middle of the map").click()
    assert "Pin placed" in page.locator("[data-map-status]").inner_text()
    assert page.locator("[data-lat]").input_value() != ""
    continue_(page)
    on_step(page, "when")
    continue_(page)
    page.get_by_label("Tell us in your own words").fill("No lights at all along here.")
    continue_(page)
    continue_(page)
    continue_(page)
    on_step(page, "check")
    send(page)
    report = session.exec(select(Report)).one()
    assert report.lat is not None and area.contains(report.lat, report.lng or 0) and report.h3_cell


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_switching_to_welsh_mid_report_keeps_the_answers(browser: Any, live_server: str, session: Session, town: Any, js: bool) -> None:
    page = browser.new_context(viewport=PHONE, java_script_enabled=js).new_page()
    page.goto(f"{live_server}/report")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    on_step(page, "where")
    page.get_by_label(re.compile("Describe where it is")).fill("behind the shops")
    page.get_by_role("button", name="Cymraeg").click()
    page.wait_for_selector("html[lang=cy]")
    on_step(page, "where")
    assert "Cam 2 o 7" in page.locator(".step-count").inner_text()
    assert page.get_by_label(re.compile("Disgrifiwch ble mae")).input_value() == "behind the shops"
    assert "Cael help nawr" in page.locator(".site-header").inner_text()  # the whole page changed, header too
