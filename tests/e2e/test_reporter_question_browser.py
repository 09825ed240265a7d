"""The loop back to a reporter with no account, in real browsers: a moderator on a laptop asks a
question from the entry page; the young person on a phone opens /track, types their receipt code,
reads the question, answers; the moderator sees the answer, its personal details marked. axe-core
runs on the /track result and on the entry page on the way."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.e2e.axe import axe_violations
from tests.factories import PASSWORD, make_area, make_report, make_staff
from tests.support import totp_code

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
QUESTION = "Which end of the park was it, near the gates or by the pond?"
ANSWER = "By the pond, after school. Text me on 07700 900123 if you need more."


def _axe(page: Any, screen: str, problems: list[str]) -> None:
    for violation in axe_violations(page):
        targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
        problems.append(f"{screen}: {violation['id']} ({violation['impact']}) at {targets}")


def test_a_moderator_asks_and_the_reporter_answers_on_track(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    area = make_area(session)
    report = make_report(
        session,
        area,
        location_text="Victoria Park",
        description="Older lads hang around the park after dark and shout at people.",
    )
    moderator = make_staff(session, area, "moderator", email="moderator@brackenford.example")
    problems: list[str] = []
    errors: list[str] = []

    # The moderator, on a laptop, opens the entry; htmx loads the questions section into it.
    desk = browser.new_context(viewport=LAPTOP, bypass_csp=True)
    staff_page = desk.new_page()
    staff_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    staff_page.goto(f"{live_server}/staff/moderation/{report.id}")
    staff_page.get_by_label("Email").fill(moderator.email)
    staff_page.get_by_label("Password").fill(PASSWORD)
    staff_page.get_by_role("button", name="Sign in", exact=True).click()
    staff_page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    staff_page.get_by_role("button", name="Continue").click()
    staff_page.wait_for_url(re.compile(rf"/staff/moderation/{report.id}$"))
    question_box = staff_page.get_by_label("Your question")
    question_box.wait_for()
    question_box.fill(QUESTION)
    staff_page.get_by_role("button", name="Ask the reporter").click()
    staff_page.wait_for_url(re.compile(rf"/staff/moderation/{report.id}#reporter-questions$"))
    staff_page.get_by_text("Waiting for an answer").wait_for()
    assert staff_page.get_by_text(QUESTION).is_visible()
    _axe(staff_page, "entry page, question asked", problems)

    # The young person, on a phone, checks their report with the code they wrote down.
    phone = browser.new_context(viewport=PHONE, bypass_csp=True, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/track")
    page.get_by_label("Receipt code").fill(report.receipt_code.lower().replace("-", " "))
    page.get_by_role("button", name="Check").click()
    page.get_by_text(
        "Someone who checks reports has a question for you. You do not have to answer."
    ).wait_for()
    assert page.get_by_text(QUESTION).is_visible()
    assert report.receipt_code not in page.url
    page.screenshot(path=str(artifacts / "track-question-phone.png"), full_page=True)
    _axe(page, "/track result with a question", problems)
    page.get_by_label("Your answer").fill(ANSWER)
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_role("heading", name="Thank you for your answer").wait_for()
    assert "07700" not in page.content()
    page.screenshot(path=str(artifacts / "track-answered-phone.png"), full_page=True)
    _axe(page, "/track after answering", problems)

    # The moderator sees the answer, waiting for a decision, the phone number marked.
    staff_page.reload()
    staff_page.get_by_text("Waiting for your decision").wait_for()
    assert staff_page.locator("mark.pii", has_text="07700 900123").is_visible()
    note = staff_page.locator("textarea[name=public_answer]")
    assert "07700" not in note.input_value()
    staff_page.screenshot(path=str(artifacts / "entry-answer-laptop.png"), full_page=True)
    _axe(staff_page, "entry page, answer waiting", problems)
    staff_page.get_by_role("button", name="Keep this note").click()
    staff_page.get_by_role("heading", name="Kept as a note").wait_for()

    assert problems == []
    assert errors == []
    desk.close()
    phone.close()


def test_a_rejected_report_says_why_on_a_phone(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    report.status = "rejected"
    report.rejection_reason = "identifies_someone"
    session.add(report)
    session.commit()
    phone = browser.new_context(viewport=PHONE, bypass_csp=True, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(f"{live_server}/track")
    page.get_by_label("Receipt code").fill(report.receipt_code)
    page.get_by_role("button", name="Check").click()
    page.get_by_role("heading", name="Why it was not published").wait_for()
    assert page.get_by_text("You did nothing wrong by telling us.").is_visible()
    page.screenshot(path=str(artifacts / "track-rejected-phone.png"), full_page=True)
    problems: list[str] = []
    _axe(page, "/track result, not published", problems)
    assert problems == []
    phone.close()
