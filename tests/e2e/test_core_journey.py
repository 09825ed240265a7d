"""The whole core pipeline in a real browser: a phone sends a report, a moderator publishes it, and it
is in the register. Then the same again with JavaScript off, and the exit control."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.e2e.conftest import PHONE
from tests.e2e.report_steps import send_report
from tests.factories import PASSWORD, make_area, make_place, make_staff
from tests.support import totp_code

pytestmark = pytest.mark.e2e


def _send_report(page: Any, base: str, description: str, *, js: bool = True) -> str:
    return send_report(page, base, description=description, js=js)


def test_report_from_a_phone_is_published_and_reaches_the_register(browser: Any, live_server: str, session: Session, artifacts: Path) -> None:
    area = make_area(session)
    make_place(session, area)
    moderator = make_staff(session, area, "moderator", "statutory", email="mod@brackenford.example")

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    code = _send_report(page, live_server, "The path through Victoria Park is pitch black and people hang about.")
    page.screenshot(path=str(artifacts / "receipt-phone.png"), full_page=True)
    assert "pitch black" not in page.title()

    page.goto(f"{live_server}/track")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_role("button", name="Check").click()
    page.get_by_text("Waiting to be checked").wait_for()
    assert "pitch black" not in page.content()
    assert errors == [], errors
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = desk.new_page()
    staff.goto(f"{live_server}/staff/moderation")
    staff.get_by_label("Email").fill(moderator.email)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    staff.get_by_role("button", name="Continue").click()
    staff.get_by_role("heading", name="Moderation queue").wait_for()
    staff.locator("table.queue a").first.click()
    staff.get_by_label("Name of the new context").fill("Victoria Park path")
    staff.get_by_role("button", name="Publish", exact=True).click()
    staff.get_by_text("Nothing waiting").wait_for()
    staff.goto(f"{live_server}/staff/register")
    staff.get_by_role("link", name="Victoria Park path").click()
    staff.get_by_text("The path through Victoria Park is pitch black").wait_for()
    staff.screenshot(path=str(artifacts / "register-context.png"), full_page=True)
    desk.close()


def test_report_works_with_javascript_off(browser: Any, live_server: str, session: Session) -> None:
    area = make_area(session)
    make_place(session, area)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    _send_report(page, live_server, "Lovely staff at the library, always somewhere to go.", js=False)
    context.close()


def test_exit_this_page_leaves_no_way_back_to_the_form(browser: Any, live_server: str, session: Session) -> None:
    make_area(session)
    context = browser.new_context(viewport=PHONE)
    # No internet here: stand in for the neutral site so the navigation completes.
    context.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(status=200, body="<title>Weather</title>", content_type="text/html"))
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.goto(f"{live_server}/report")
    page.get_by_role("button", name=re.compile("Somewhere I feel unsafe")).click()
    page.get_by_label(re.compile("Describe where it is")).fill("something private")
    page.get_by_role("link", name=re.compile("Exit this page")).click()
    page.wait_for_url("https://www.bbc.co.uk/**")
    page.go_back()
    assert "/report" not in page.url

    page.goto(f"{live_server}/report")
    page.locator("body").click()
    for _ in range(2):
        page.keyboard.press("Shift")
    assert "1 more time" in page.locator("[data-exit-indicator]").inner_text()
    page.keyboard.press("Shift")
    page.wait_for_url("https://www.bbc.co.uk/**")
    context.close()
