"""A moderator's working day in a real laptop browser: the queue is open, a young person sends an
urgent report, and it appears at the top of the open queue without a reload, announced politely,
with the counts updated and the moderator's place kept. The queue and the entry page pass axe-core."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import h3
import pytest
from sqlmodel import Session

from tests.e2e.axe import AXE, axe_violations
from tests.factories import PASSWORD, make_area, make_context, make_place, make_report, make_staff
from tests.support import totp_code

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}
URGENT = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."


def _serve_axe(context: Any) -> None:
    body = AXE.read_text()
    context.route(
        "**/__axe.js",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=body),
    )


def _axe(page: Any, base: str, problems: list[str]) -> None:
    # axe from the page's own origin, so the page's strict CSP stays as it is.
    for v in axe_violations(page, load=lambda p: p.add_script_tag(url=f"{base}/__axe.js")):
        problems.append(
            f"{page.url}: {v['id']}: {v['help']} at {json.dumps([n['target'] for n in v['nodes'][:3]])}"
        )


def test_an_urgent_report_appears_in_the_open_queue_without_a_reload(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    area = make_area(session, locales="en,cy,ar")
    park = make_place(session, area, "Victoria Park")
    cell = h3.latlng_to_cell(park.lat, park.lng, area.h3_resolution)
    make_context(session, area, "Play area", place_id=park.id, h3_cell=cell)
    make_context(
        session, area, "Canal Walk", h3_cell=h3.latlng_to_cell(52.605, -2.045, area.h3_resolution)
    )
    make_context(
        session,
        area,
        "Library steps",
        h3_cell=h3.latlng_to_cell(52.592, -2.012, area.h3_resolution),
    )
    calm = make_report(
        session,
        area,
        place_id=park.id,
        location_text="by the gates",
        description="The lights by the gates are broken. Text me on 07700 900123 if you want to know more.",
    )
    moderator = make_staff(session, area, "moderator", email="moderator@brackenford.example")
    problems: list[str] = []
    errors: list[str] = []

    laptop = browser.new_context(viewport=LAPTOP)
    _serve_axe(laptop)
    page = laptop.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/staff/moderation")
    page.get_by_label("Email").fill(moderator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Moderation queue").wait_for()
    assert page.locator("#queue-counts").inner_text().startswith("Urgent waiting: 0")
    _axe(page, live_server, problems)

    # The moderator has ticked an entry and is on its checkbox when the urgent report comes in.
    box = page.get_by_label(f"Select entry {calm.id}")
    box.check()
    box.focus()
    page.wait_for_function(
        "() => document.querySelector('#queue-live')?.hasAttribute('hx-sse:connect')"
    )
    page.wait_for_timeout(500)  # the stream is open before the report is sent
    urgent = make_report(session, area, description=URGENT, location_text="the flats on Mill Lane")
    assert urgent.urgent

    row = page.locator(f"#queue-entry-{urgent.id}")
    row.wait_for(timeout=20_000)
    assert page.locator("#queue-rows tr").first.get_attribute("id") == f"queue-entry-{urgent.id}"
    assert "Urgent" in row.inner_text()
    assert "scared to go home" in row.inner_text()
    page.wait_for_function(
        "() => document.querySelector('#queue-counts').innerText.startsWith('Urgent waiting: 1')"
    )
    announcement = page.locator("#queue-announcement")
    assert announcement.get_attribute("role") == "status"
    assert re.search(
        rf"A new urgent entry is at the top of the queue: #{urgent.id}\.", announcement.inner_text()
    )
    # Nothing was reloaded: the tick and the focus are where the moderator left them.
    assert box.is_checked()
    assert (
        page.evaluate("() => document.activeElement?.getAttribute('aria-label')")
        == f"Select entry {calm.id}"
    )
    assert page.locator(f"#queue-entry-{urgent.id}").count() == 1
    _axe(page, live_server, problems)
    page.screenshot(path=str(artifacts / "moderation-queue-live.png"), full_page=True)

    # The entry page: the place by name, the context at that place chosen, the history, the language.
    page.goto(f"{live_server}/staff/moderation/{calm.id}")
    page.get_by_role("heading", name=f"Entry #{calm.id}").wait_for()
    assert page.get_by_role("radio", name=re.compile("Play area")).is_checked()
    # Type to filter the contexts: htmx swaps only the list.
    assert page.locator("#context-choices input[type=radio]").count() == 3
    page.get_by_label("Find a context by name").fill("canal")
    # The one at their place stays in view; Library steps goes.
    page.wait_for_function(
        "() => document.querySelectorAll('#context-choices input[type=radio]').length === 2"
    )
    assert "Canal Walk" in page.locator("#context-choices").inner_text()
    assert "Library steps" not in page.locator("#context-choices").inner_text()
    _axe(page, live_server, problems)
    page.screenshot(path=str(artifacts / "moderation-entry.png"), full_page=True)

    # Publish, and land on a confirmation saying what happened.
    # Enter in the search box keeps the page (and whatever was typed into the public text).
    page.get_by_label("Public text").fill("The lights by the gates are broken.")
    page.get_by_label("Find a context by name").press("Enter")
    page.wait_for_timeout(300)
    assert page.get_by_label("Public text").input_value() == "The lights by the gates are broken."
    page.get_by_role("radio", name=re.compile("Canal Walk")).check()
    page.get_by_role("button", name="Publish", exact=True).click()
    status = page.get_by_role("status").filter(has_text=f"Entry #{calm.id} is published")
    status.wait_for()
    assert "Canal Walk" in status.inner_text()
    _axe(page, live_server, problems)
    page.screenshot(path=str(artifacts / "moderation-published.png"), full_page=True)

    # The same pages right to left, for a moderator who reads Arabic.
    page.goto(f"{live_server}/staff/moderation/{urgent.id}?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    _axe(page, live_server, problems)
    page.screenshot(path=str(artifacts / "moderation-entry-rtl.png"), full_page=True)
    laptop.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors
