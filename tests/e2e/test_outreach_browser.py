"""A facilitator makes a poster in a real browser and prints it; a phone that scans its code lands
on the report form. The poster page loads nothing from anywhere else and passes axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlmodel import Session, select

from app.outreach.models import OutreachCount, OutreachLink
from tests.e2e.axe import axe_violations
from tests.factories import PASSWORD, make_area, make_place, make_staff
from tests.support import totp_code

pytestmark = pytest.mark.e2e


def _sign_in(page: Any, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()


def test_a_poster_is_made_printed_and_scanned(browser: Any, live_server: str, session: Session, artifacts: Path) -> None:
    area = make_area(session)
    make_place(session, area, "Victoria Park")
    facilitator = make_staff(session, area, "facilitator")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = desk.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    _sign_in(page, live_server, facilitator.email, "/staff/outreach")
    page.get_by_label("Where it will be").fill("Youth hub noticeboard")
    page.get_by_label("The place it is about (optional)").select_option(label="Victoria Park")
    page.get_by_role("button", name="Make it").click()
    page.get_by_role("status").filter(has_text="Made.").wait_for()
    page.get_by_role("link", name="Open the poster to print").click()
    page.locator("svg.qr-code").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Somewhere you feel safe, or not?"
    problems = [f"poster: {v['id']} ({v['impact']})" for v in axe_violations(page)]
    page.screenshot(path=str(artifacts / "outreach-poster.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".staff-header").is_visible()  # only the poster is printed
    page.screenshot(path=str(artifacts / "outreach-poster-print.png"), full_page=True)
    assert problems == []
    assert hosts == {urlparse(live_server).netloc}
    link = session.exec(select(OutreachLink)).one()

    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    scan = phone.new_page()
    scan.goto(f"{live_server}/r/{link.code}")
    assert urlparse(scan.url).path == "/report"
    assert scan.get_by_role("heading", level=1).is_visible()
    assert session.exec(select(OutreachCount)).one().visits == 1
    desk.close()
    phone.close()
