"""The reporter's journey fixes in a real browser on a small phone (360 x 740): the check screen
lists every answer and Change comes back to it, a long paste is counted live and never cut short,
the receipt heading is not hidden under the exit bar, Exit then Back never shows the form, and the
equality questions and the staff view are accessible."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.equality.models import EqualityAnswer
from app.reports.models import Report
from tests.e2e.axe import axe_violations
from tests.e2e.report_steps import KIND_BUTTONS, continue_, fill_to_check, on_step, send
from tests.factories import (
    PASSWORD,
    make_area,
    make_context,
    make_place,
    make_published,
    make_staff,
)
from tests.support import totp_code

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def town(session: Session) -> Any:
    area = make_area(session)
    make_place(session, area, "Victoria Park", "park", 52.576, -1.986)
    return area


def _page(browser: Any, *, js: bool = True) -> Any:
    # bypass_csp lets axe be injected as a script tag; the app's own pages have no inline script.
    context = browser.new_context(
        viewport=SMALL_PHONE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=js,
        bypass_csp=True,
    )
    context.route(
        "https://www.bbc.co.uk/**",
        lambda route: route.fulfill(
            status=200, body="<title>Weather</title><p>Sunny</p>", content_type="text/html"
        ),
    )
    return context.new_page()


def _assert_axe_clean(page: Any, screen: str) -> None:
    problems = [
        f"{screen}: {v['id']} ({v['impact']}): {[' '.join(n['target']) for n in v['nodes'][:3]]}"
        for v in axe_violations(page)
    ]
    assert problems == []


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_check_screen_lists_every_answer_and_change_comes_back(
    browser: Any, live_server: str, session: Session, town: Any, artifacts: Path
) -> None:
    page = _page(browser)
    page.goto(f"{live_server}/report")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    on_step(page, "where")
    page.get_by_label(re.compile("Describe where it is")).fill("the alley behind the shops")
    continue_(page)
    on_step(page, "when")
    page.get_by_label("Evening").check()
    continue_(page)
    on_step(page, "what")
    page.get_by_label("Poor lighting").check()
    page.get_by_label("Tell us in your own words").fill("Dark and empty after the shops shut.")
    continue_(page)
    on_step(page, "feel")
    page.get_by_label(re.compile("A bit unsafe")).check()
    page.locator("#field-what_would_help").fill("Lights that work.")
    continue_(page)
    on_step(page, "about")
    page.get_by_label("A young person").check()
    page.get_by_label("16 to 17").check()
    page.get_by_text("A few more questions about you (optional)").click()
    assert not page.locator("input[name^=eq_]:checked").count()  # nothing chosen for them
    page.get_by_label("White and Black Caribbean").check()
    page.get_by_label("In another way").check()
    page.screenshot(path=artifacts / "report-about-equality.png", full_page=True)
    _no_sideways_scroll(page)
    _assert_axe_clean(page, "about, with the equality questions open")
    continue_(page)
    on_step(page, "check")
    answers = page.locator(".answers").inner_text()
    for shown in (
        "the alley behind the shops",
        "Evening",
        "Poor lighting",
        "Dark and empty after the shops shut.",
        "A bit unsafe",
        "Lights that work.",
        "A young person",
        "16 to 17",
        "White and Black Caribbean",
        "In another way",
    ):
        assert shown in answers, shown
    assert page.locator("text=Step 7 of 7").count() == 1
    page.screenshot(path=artifacts / "report-check-every-answer.png", full_page=True)
    _no_sideways_scroll(page)
    _assert_axe_clean(page, "check")

    page.get_by_role("button", name="Change how safe it feels").click()
    on_step(page, "feel")
    page.get_by_label(re.compile("Very unsafe")).check()
    continue_(page)
    on_step(page, "check")  # back to the check screen, not on to the next question
    answers = page.locator(".answers").inner_text()
    assert (
        "Very unsafe" in answers
        and "White and Black Caribbean" in answers
        and "Dark and empty" in answers
    )
    send(page)
    report = session.exec(select(Report)).one()
    assert report.feeling == 1 and report.what_would_help == "Lights that work."
    assert {(a.question, a.answer) for a in session.exec(select(EqualityAnswer)).all()} == {
        ("ethnicity", "mixed_white_black_caribbean"),
        ("gender", "another_way"),
    }
    page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_long_paste_is_counted_and_kept_whole(
    browser: Any, live_server: str, session: Session, town: Any, js: bool, artifacts: Path
) -> None:
    page = _page(browser, js=js)
    page.goto(f"{live_server}/report")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    on_step(page, "where")
    page.get_by_label(re.compile("Describe where it is")).fill("by the station")
    continue_(page)
    on_step(page, "when")
    continue_(page)
    on_step(page, "what")
    pasted = ("The underpass lights are broken and people wait there. " * 100)[:5000].strip()
    box = page.get_by_label("Tell us in your own words")
    counter = page.locator("#description-count")
    if js:
        assert counter.inner_text() == "0 of 2,000 characters"
        box.fill(pasted)
        over = len(pasted) - 2000
        assert counter.inner_text() == f"{over:,} characters too many"
        # Screen readers hear the count once typing pauses, politely.
        status = page.locator("[data-char-count-status=description]")
        assert status.get_attribute("aria-live") == "polite"
        page.wait_for_function(
            "document.querySelector('[data-char-count-status=description]').textContent.length > 0"
        )
        assert status.inner_text() == f"{over:,} characters too many"
    else:
        assert counter.inner_text() == "You can write up to 2,000 characters."
        box.fill(pasted)
    assert box.input_value() == pasted  # nothing was cut off while pasting
    page.screenshot(
        path=artifacts / f"report-long-paste-{'js' if js else 'nojs'}.png", full_page=True
    )
    continue_(page)
    page.locator("#description-error").wait_for()
    assert (
        f"This is {len(pasted):,} characters long"
        in page.locator("#description-error").inner_text()
    )
    assert box.input_value() == pasted  # and nothing is lost when the server says it is too long
    assert "description-error" in (box.get_attribute("aria-describedby") or "")
    if js:
        _assert_axe_clean(page, "what, text too long")
    page.screenshot(
        path=artifacts / f"report-long-paste-refused-{'js' if js else 'nojs'}.png", full_page=True
    )
    box.fill(pasted[:1500])
    if js:
        assert page.locator("#description-count").inner_text() == "1,500 of 2,000 characters"
    continue_(page)
    on_step(page, "feel")
    page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_receipt_heading_is_in_view_and_not_under_the_exit_bar(
    browser: Any, live_server: str, session: Session, town: Any, js: bool, artifacts: Path
) -> None:
    page = _page(browser, js=js)
    fill_to_check(page, live_server, from_home=False, js=js)
    send(page)
    heading = page.get_by_role("heading", name="Thank you. We have got it.")
    heading.wait_for()
    bar = page.locator("[data-exit-this-page]").bounding_box()
    box = heading.bounding_box()
    assert bar is not None and box is not None
    assert box["y"] >= bar["y"] + bar["height"] - 1, (box, bar)  # below the bar, not under it
    assert box["y"] + box["height"] <= SMALL_PHONE["height"]  # and on screen
    page.screenshot(path=artifacts / f"report-receipt-360-{'js' if js else 'nojs'}.png")
    if js:
        _assert_axe_clean(page, "sent")
    page.context.close()


def test_an_in_page_jump_lands_below_the_exit_bar(
    browser: Any, live_server: str, session: Session, town: Any
) -> None:
    page = _page(browser)
    page.goto(f"{live_server}/exit-this-page#no-trace")
    page.wait_for_timeout(200)
    target = page.locator("#no-trace").bounding_box()
    bar = page.locator("[data-exit-this-page]").bounding_box()
    assert target is not None and bar is not None
    assert target["y"] >= bar["y"] + bar["height"] - 1, (target, bar)
    page.context.close()


def test_exit_then_back_never_shows_the_form(
    browser: Any, live_server: str, session: Session, town: Any, artifacts: Path
) -> None:
    page = _page(browser)
    page.goto(f"{live_server}/")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS["unsafe"])).click()
    on_step(page, "where")
    page.get_by_label(re.compile("Describe where it is")).fill("somewhere only I know")
    continue_(page)
    on_step(page, "when")
    continue_(page)
    on_step(page, "what")
    page.get_by_label("Tell us in your own words").fill("something private")
    page.get_by_role("link", name=re.compile("Exit this page")).click()
    page.wait_for_url("https://www.bbc.co.uk/**")
    page.go_back()
    page.wait_for_load_state()
    # What the information page promises: Back does not show the form or what was typed; it may
    # show the page of this site visited before the report (here the home page).
    assert (
        "something private" not in page.content() and "somewhere only I know" not in page.content()
    )
    assert not page.locator("[data-report-step=what]").count()
    assert page.url == f"{live_server}/"  # the home page they came from: no website can remove it
    page.goto(f"{live_server}/exit-this-page")
    info = page.locator("main").inner_text()
    assert "will not show the report form" in info and "private or incognito window" in info
    assert "JavaScript is turned off" in info
    page.screenshot(path=artifacts / "exit-information-360.png", full_page=True)
    _assert_axe_clean(page, "exit information")
    page.context.close()


def test_without_javascript_the_exit_link_goes_straight_to_the_neutral_site(
    browser: Any, live_server: str, session: Session, town: Any
) -> None:
    page = _page(browser, js=False)
    page.goto(f"{live_server}/report")
    link = page.get_by_role("link", name=re.compile("Exit this page"))
    assert link.get_attribute("href") == "https://www.bbc.co.uk/weather"
    link.click()
    page.wait_for_url("https://www.bbc.co.uk/**")
    assert "Weather" in page.title()
    page.context.close()


def test_the_disproportionality_view_is_accessible(
    browser: Any, live_server: str, session: Session, town: Any, artifacts: Path
) -> None:
    context = make_context(session, town)
    for answer, kind, count in [
        ("yes", "unsafe", 3),
        ("no", "unsafe", 12),
        ("no", "safe", 6),
        ("prefer_not_to_say", "unsafe", 5),
    ]:
        for _ in range(count):
            report = make_published(session, town, context, kind=kind)
            assert report.id is not None and town.id is not None
            session.add(
                EqualityAnswer(
                    report_id=report.id,
                    area_id=town.id,
                    month="2026-12",
                    question="disability",
                    answer=answer,
                )
            )
            session.commit()
    staff = make_staff(session, town, "statutory")
    page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
    page.goto(f"{live_server}/staff/register/equality?question=disability&period=all")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Who feels unsafe").wait_for()
    if "/equality" not in page.url:
        page.goto(f"{live_server}/staff/register/equality?question=disability&period=all")
    assert "fewer than 5" in page.locator("main").inner_text()
    page.screenshot(path=artifacts / "register-equality.png", full_page=True)
    _assert_axe_clean(page, "equality view")
    page.context.close()
