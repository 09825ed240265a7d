"""A safety walk in real browsers: a facilitator on a laptop makes a walk with two stops, two phones
join, the group moves from stop to stop with every phone following live, both phones rate both
stops, and when the walk ends the summary shows both stops. Every page passes axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.reports.models import Report
from app.workshops.models import WalkStop, Workshop
from tests.e2e.test_workshop_browser import SMALL_PHONE, join, page_axe_violations, serve_axe
from tests.factories import PASSWORD, make_area, make_place, make_staff
from tests.support import totp_code

pytestmark = pytest.mark.e2e


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/staff/workshops")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Co-design workshops").wait_for()


def rate(page: Any, answers: dict[str, str], note: str = "") -> None:
    for question, answer in answers.items():
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    if note:
        page.get_by_label("Anything else about this spot? (optional)").fill(note)
    page.get_by_role("button", name="Send my ratings").click()
    page.get_by_text("Your ratings for this stop are in.").first.wait_for()


def test_two_phones_walk_and_rate_two_stops(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    area = make_area(session)
    make_place(session, area)
    facilitator = make_staff(session, area, "facilitator", email="walks@brackenford.example")
    problems: list[str] = []
    errors: list[str] = []

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    serve_axe(desk)
    console = desk.new_page()
    console.on(
        "console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None
    )
    sign_in(console, live_server, facilitator.email)
    console.get_by_label("A safety walk: the group walks a route and rates each stop").check()
    console.get_by_label("Title").fill("Walk to the station")
    console.get_by_label("For a safety walk: the stops, one per line, in walking order").fill(
        "Victoria Park\nThe alley behind the shops"
    )
    problems += page_axe_violations(console, live_server)
    console.get_by_role("button", name="Start the workshop").click()
    console.get_by_role("heading", name="The safety walk").wait_for()
    workshop = session.exec(select(Workshop)).one()
    first, second = session.exec(select(WalkStop).order_by(col(WalkStop.position))).all()
    assert first.place_id is not None and second.place_id is None
    problems += page_axe_violations(console, live_server)

    phones = [
        browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True) for _ in range(2)
    ]
    pages = []
    for context in phones:
        serve_axe(context)
        page = context.new_page()
        page.on(
            "console", lambda m: errors.append(f"phone: {m.text}") if m.type == "error" else None
        )
        join(page, live_server, workshop.join_code)
        page.get_by_text(
            "When the group sets off, the first stop appears here by itself."
        ).wait_for()
        pages.append(page)
    alice, bea = pages

    wall = desk.new_page()
    wall.on("console", lambda m: errors.append(f"wall: {m.text}") if m.type == "error" else None)
    wall.goto(f"{live_server}/staff/workshops/{workshop.id}/wall")
    wall.get_by_text("The group has not set off yet.").wait_for()

    # The group sets off: both phones (and the projector) show the first stop without a reload.
    console.get_by_role("button", name="Start the walk at the first stop").click()
    wall.locator("#walk-status").get_by_text("Stop 1 of 2").wait_for()
    for page in pages:
        page.get_by_text("Stop 1 of 2").wait_for()
        page.locator("#walk-stop").get_by_text("Victoria Park").wait_for()
    alice.screenshot(path=str(artifacts / "safety-walk-phone-stop.png"), full_page=True)
    alice.locator("#walk-heading").scroll_into_view_if_needed()
    alice.screenshot(path=str(artifacts / "safety-walk-phone-stop-screen.png"))
    problems += page_axe_violations(alice, live_server)

    lit = {
        "Lighting": "Dark",
        "People around": "Nobody around",
        "How safe does it feel here?": "A bit unsafe",
    }
    rate(alice, lit, note="The path by the pond has no lights at all.")
    rate(
        bea,
        {
            "Lighting": "Some light",
            "People around": "A few people",
            "How safe does it feel here?": "Not sure",
        },
    )
    console.locator("#walk-status").get_by_text("2 ratings").wait_for()  # the console counts live
    console.screenshot(path=str(artifacts / "safety-walk-console.png"), full_page=True)
    problems += page_axe_violations(console, live_server)
    problems += page_axe_violations(bea, live_server)

    console.get_by_role("button", name="Move the group to the next stop").click()
    for page in pages:
        page.get_by_text("Stop 2 of 2").wait_for()
        page.locator("#walk-stop").get_by_text("The alley behind the shops").wait_for()
    rate(
        alice,
        {
            "Lighting": "Well lit",
            "Can you see around you?": "Hard to see around",
            "How safe does it feel here?": "Quite safe",
        },
    )
    rate(
        bea,
        {
            "Lighting": "Well lit",
            "Can you see around you?": "Partly",
            "How safe does it feel here?": "Very safe",
        },
    )
    console.locator("#walk-status li", has_text="The alley behind the shops").get_by_text(
        "2 ratings"
    ).wait_for()
    wall.locator("#walk-status").get_by_text("Stop 2 of 2").wait_for()
    wall.screenshot(path=str(artifacts / "safety-walk-wall.png"), full_page=True)
    problems += page_axe_violations(wall, live_server)

    console.get_by_role("button", name="End the walk").click()
    console.get_by_text("The walk has ended.").first.wait_for()
    summary = desk.new_page()
    summary.goto(f"{live_server}/staff/workshops/{workshop.id}/summary")
    table = summary.locator(".route-summary")
    table.get_by_text("1. Victoria Park").wait_for()
    table.get_by_text("2. The alley behind the shops").wait_for()
    assert table.locator("tbody tr").count() == 2
    assert table.locator("tbody tr").nth(0).locator("td").first.inner_text() == "2"
    assert table.locator(".route-summary__lowest").count() >= 2  # something marked at each stop
    summary.screenshot(path=str(artifacts / "safety-walk-summary.png"), full_page=True)
    problems += page_axe_violations(summary, live_server)
    session.expire_all()
    made = session.exec(
        select(Report).where(col(Report.description).like("On a safety walk%"))
    ).all()
    assert len(made) == 2 and all(r.status == "pending" for r in made)

    for context in (*phones, desk):
        context.close()
    assert problems == [], "\n".join(problems)
    assert [e for e in errors if "__axe" not in e] == [], errors
