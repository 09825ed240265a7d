"""Arabic and Urdu in a real browser on a small phone: the page reads right to left and mirrors,
numbers and codes keep left-to-right order, and axe finds nothing.

Until the translations land these pages show English words in a right-to-left layout (a preview,
reached by choosing the language on purpose), so this checks structure, never words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core import i18n
from tests.e2e.axe import axe_violations
from tests.e2e.report_steps import fill_to_check
from tests.factories import make_area, make_place

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def area(session: Session) -> None:
    made = make_area(session, locales=",".join(i18n.LOCALES))
    make_place(session, made, "Victoria Park", "park", 52.576, -1.986)


def _direction(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.evaluate("el => getComputedStyle(el).direction"))


def _assert_right_to_left(page: Any, locale: str) -> None:
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == locale
    assert _direction(page, "body") == "rtl" and _direction(page, "main") == "rtl"
    # The layout mirrors: the site name sits at the right-hand edge of the header, not the left.
    name = page.locator(".site-header__name").bounding_box()
    assert name is not None and name["x"] + name["width"] > SMALL_PHONE["width"] - 40, name
    # Nothing scrolls sideways at 360px.
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]


def _assert_no_axe_violations(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in violations)


@pytest.mark.parametrize("locale", ["ar", "ur"])
def test_arabic_and_urdu_pages_read_right_to_left_on_a_small_phone(
    browser: Any, live_server: str, area: None, locale: str, artifacts: Path
) -> None:
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/language/{locale}?next=/")
    _assert_right_to_left(page, locale)
    _assert_no_axe_violations(page, f"/ in {locale}")
    page.screenshot(path=artifacts / f"rtl-{locale}-home.png", full_page=True)
    page.screenshot(path=Path("/tmp") / f"rtl-{locale}-home.png", full_page=True)  # noqa: S108 (for a person to look at)

    # Phone numbers keep their order inside right-to-left text.
    page.locator("summary.help-now").click()
    for number in ("tel:08001111", "tel:08088005000", "tel:01632960123"):
        assert _direction(page, f'.help-panel a[href="{number}"]') == "ltr", number
    _assert_no_axe_violations(page, f"/ in {locale}, help open")

    page.goto(f"{live_server}/report")
    _assert_right_to_left(page, locale)
    # The coloured edge of each choice is on the reading side: the right in right-to-left pages.
    button = page.locator(".kind-button").first
    assert button.evaluate("el => getComputedStyle(el).borderRightWidth") == "10px"
    _assert_no_axe_violations(page, f"/report in {locale}")
    page.screenshot(path=artifacts / f"rtl-{locale}-report.png", full_page=True)
    page.screenshot(path=Path("/tmp") / f"rtl-{locale}-report.png", full_page=True)  # noqa: S108

    # The receipt code stays left to right. The shared steps read English labels, so walk the form
    # in English and switch language on the check screen (every answer is kept), then send.
    page.goto(f"{live_server}/language/en?next=/")
    fill_to_check(page, live_server)
    page.locator(f'button[name="go"][value="language:{locale}"]').click()
    page.wait_for_selector(f'html[lang="{locale}"] [data-report-step=check]')
    page.locator('button[name="go"][value="send"]').click()
    page.locator(".receipt-code").first.wait_for(timeout=10_000)
    _assert_right_to_left(page, locale)
    assert _direction(page, ".receipt-code") == "ltr"
    _assert_no_axe_violations(page, f"sent, in {locale}")
    page.screenshot(path=Path("/tmp") / f"rtl-{locale}-sent.png", full_page=True)  # noqa: S108
    context.close()


@pytest.mark.parametrize("locale", ["ar", "ur"])
def test_every_report_step_the_receipt_and_track_in_arabic_and_urdu(
    browser: Any, live_server: str, area: None, locale: str, artifacts: Path
) -> None:
    """Walked in the language itself (the translations are complete), with selectors that do not
    depend on words: each screen reads right to left, mirrors, passes axe, and is photographed."""
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/language/{locale}?next=/report")

    def screen(step: str) -> None:
        page.wait_for_selector(f'html[lang="{locale}"] [data-report-step="{step}"]', timeout=10_000)
        _assert_right_to_left(page, locale)
        _assert_no_axe_violations(page, f"{step} in {locale}")
        page.screenshot(path=artifacts / f"rtl-{locale}-step-{step}.png", full_page=True)

    def continue_() -> None:
        page.locator('button[name="go"][value="next"]').first.click()

    screen("kind")
    page.locator(".kind-button--unsafe").click()
    screen("where")
    page.locator('input[name="place_query"]').fill("vic")
    page.locator('input[type="radio"][name="place_id"]').first.check()
    continue_()
    screen("when")
    page.locator('input[name="time_bands"][value="evening"]').check()
    continue_()
    screen("what")
    page.locator('textarea[name="description"]').fill("ولد أكبر يصرخ عند البوابة بعد حلول الظلام. 8pm")
    continue_()
    screen("feel")
    page.locator('input[name="feeling"][value="2"]').check()
    continue_()
    screen("about")
    continue_()
    screen("check")
    assert "ولد أكبر يصرخ" in page.locator("main").inner_text()  # the check screen lists the words
    page.locator('button[name="go"][value="send"]').click()
    code = page.locator(".receipt-code").first
    code.wait_for(timeout=10_000)
    _assert_right_to_left(page, locale)
    assert _direction(page, ".receipt-code") == "ltr"
    _assert_no_axe_violations(page, f"receipt in {locale}")
    page.screenshot(path=artifacts / f"rtl-{locale}-receipt.png", full_page=True)
    receipt = code.inner_text().strip()

    page.goto(f"{live_server}/track")
    _assert_right_to_left(page, locale)
    _assert_no_axe_violations(page, f"/track in {locale}")
    page.locator('input[name="code"]').fill(receipt)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector(".track-result, [data-track-result], main h1", timeout=10_000)
    page.wait_for_load_state("networkidle")
    _assert_right_to_left(page, locale)
    assert receipt.replace("-", "") in page.locator("main").inner_text().replace("-", "")
    _assert_no_axe_violations(page, f"/track result in {locale}")
    page.screenshot(path=artifacts / f"rtl-{locale}-track.png", full_page=True)
    context.close()
