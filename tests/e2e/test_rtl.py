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
