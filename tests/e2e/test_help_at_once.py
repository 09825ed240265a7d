"""Help at once, in a real browser on a small phone: a Welsh-speaking young person types a
disclosure on the "what is it like" screen, and the very next screen opens with help in Welsh, a
tap-to-call 999 in view without scrolling."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.reports import service as reports
from tests.e2e.axe import axe_violations
from tests.e2e.report_steps import on_step
from tests.factories import make_area

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 740}
WELSH_DISCLOSURE = "Mae dyn yn dal i anfon negeseuon ata i, bydd e'n dod i'm tŷ heno, dw i'n 13"


def _next(page: Any) -> None:
    page.locator("button[name=go][value=next]").first.click()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_welsh_disclosure_brings_help_in_welsh_on_the_next_screen(
    browser: Any, live_server: str, session: Session, artifacts: Path, js: bool
) -> None:
    # Flagged by triage itself, not by its fail-safe (a triage fault also brings help).
    grading = reports.grade_answers({"description": WELSH_DISCLOSURE})
    assert grading.urgent and reports.TRIAGE_FAILED not in grading.reasons, grading
    make_area(session, locales="en,cy", default_locale="cy")
    context = browser.new_context(viewport=SMALL_PHONE, locale="cy-GB", java_script_enabled=js)
    page = context.new_page()
    page.goto(f"{live_server}/report")
    on_step(page, "kind")
    assert page.locator("html").get_attribute("lang") == "cy"
    page.locator("button[name=kind][value=unsafe]").click()
    on_step(page, "where")
    page.locator("#field-location_text").fill("Y tu ôl i'r siopau ar y stryd fawr")
    _next(page)
    on_step(page, "when")
    _next(page)
    on_step(page, "what")
    page.locator("#field-description").fill(WELSH_DISCLOSURE)
    _next(page)

    on_step(page, "feel")  # the very next screen
    box = page.locator("[data-help-now]")
    assert box.is_visible()
    assert "Mae'n swnio fel efallai nad yw rhywun yn ddiogel" in box.inner_text()
    call = box.locator('a[href="tel:999"]')
    assert call.inner_text().strip() == "Ffoniwch 999"
    assert call.is_visible()
    # In view without scrolling: inside the viewport, and not under the sticky "Exit this page" bar.
    top = call.evaluate("el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom]; }")
    exit_bottom = page.locator("[data-exit-this-page]").evaluate("el => el.getBoundingClientRect().bottom")
    assert exit_bottom <= top[0] and top[1] <= SMALL_PHONE["height"], (exit_bottom, top)
    for number in ("tel:08001111", "tel:08088005000", "tel:101"):
        assert box.locator(f'a[href="{number}"]').count() == 1, number
    shot = artifacts / f"help-at-once-cy-{'js' if js else 'nojs'}.png"
    page.screenshot(path=shot)
    page.screenshot(path=Path(tempfile.gettempdir()) / shot.name)  # to look at by eye
    context.close()


def test_the_help_screen_passes_axe(browser: Any, live_server: str, session: Session) -> None:
    make_area(session, locales="en,cy", default_locale="cy")
    context = browser.new_context(viewport=SMALL_PHONE, locale="cy-GB", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/report")
    page.locator("button[name=kind][value=unsafe]").click()
    on_step(page, "where")
    page.locator("#field-location_text").fill("Y tu ôl i'r siopau ar y stryd fawr")
    _next(page)
    on_step(page, "when")
    _next(page)
    on_step(page, "what")
    page.locator("#field-description").fill(WELSH_DISCLOSURE)
    _next(page)
    on_step(page, "feel")
    assert page.locator("[data-help-now]").is_visible()
    violations = axe_violations(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    context.close()
