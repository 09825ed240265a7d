"""Journey 6 in real browsers: a facilitator on a desktop and three participants on phones, in one
workshop. Entries reach the projector wall live after the facilitator's check, dots are counted once
per participant, withdrawal takes an entry off the wall, and a wrong or expired code, or an ended
session, gets a clear message that keeps what was typed. Every page passes axe-core."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.core.types import utcnow
from app.workshops.models import WorkshopEntry, WorkshopParticipant, WorkshopVote
from tests.e2e.axe import AXE, axe_violations
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD, make_area, make_place, make_staff, make_workshop
from tests.support import totp_code

pytestmark = pytest.mark.e2e



def page_axe_violations(page: Any, base: str) -> list[str]:
    """axe-core loaded from the page's own origin (see serve_axe), so the page's CSP stays as it is."""
    violations = axe_violations(page, load=lambda p: p.add_script_tag(url=f"{base}/__axe.js"))
    return [f"{page.url}: {v['id']}: {v['help']} at {json.dumps([n['target'] for n in v['nodes'][:3]])}" for v in violations]


def serve_axe(context: Any) -> None:
    body = AXE.read_text()
    context.route("**/__axe.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=body))


def join(page: Any, base: str, code: str) -> None:
    page.goto(f"{base}/workshops/join")
    page.get_by_label("Workshop code").fill(code)
    page.get_by_role("button", name="Join").click()
    page.get_by_role("heading", name="Add to the map").wait_for()


def send_entry(page: Any, words: str) -> None:
    page.get_by_label("Somewhere I feel unsafe").check()
    page.get_by_label("Choose a place").select_option(label="Victoria Park")
    page.get_by_label("Tell us in your own words").fill(words)
    page.get_by_role("button", name="Send to the facilitator").click()
    page.get_by_text("Your entry is with the facilitator").wait_for()


def test_a_workshop_from_phones_to_the_wall(browser: Any, live_server: str, session: Session, artifacts: Path) -> None:
    area = make_area(session)
    make_place(session, area)
    facilitator = make_staff(session, area, "facilitator", email="facilitator@brackenford.example")
    workshop = make_workshop(session, area, facilitator, votes_per_person=2, prompts="Where do you go after school?")
    old = make_workshop(session, area, facilitator, title="Last month's workshop")
    old.code_expires_at = utcnow() - timedelta(days=1)
    session.add(old)
    session.commit()
    problems: list[str] = []
    errors: list[str] = []

    # The facilitator signs in on a desktop and puts the wall on the projector.
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    serve_axe(desk)
    console = desk.new_page()
    console.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    console.goto(f"{live_server}/staff/workshops/{workshop.id}")
    console.get_by_label("Email").fill(facilitator.email)
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    console.get_by_role("button", name="Continue").click()
    console.get_by_role("heading", name="Waiting for your check").wait_for()
    wall = desk.new_page()
    wall.on("console", lambda m: errors.append(f"wall: {m.text}") if m.type == "error" else None)
    wall.goto(f"{live_server}/staff/workshops/{workshop.id}/wall")
    wall.locator("[data-join-code]").wait_for()
    problems += page_axe_violations(console, live_server) + page_axe_violations(wall, live_server)

    # Three phones. The first mistypes the code, then tries last month's, then gets it right.
    phones = [browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True) for _ in range(3)]
    pages = []
    for context in phones:
        serve_axe(context)
        pages.append(context.new_page())
    first = pages[0]
    first.goto(f"{live_server}/workshops/join")
    first.get_by_label("Workshop code").fill("ZZZ 999")
    first.get_by_role("button", name="Join").click()
    first.get_by_text("We could not find a workshop with that code").wait_for()
    assert first.get_by_label("Workshop code").input_value() == "ZZZ 999"
    problems += page_axe_violations(first, live_server)
    first.get_by_label("Workshop code").fill(old.join_code)
    first.get_by_role("button", name="Join").click()
    first.get_by_text("This workshop has finished").wait_for()
    for page in pages:
        join(page, live_server, workshop.join_code)
    problems += page_axe_violations(first, live_server)

    words = ["The park gates are locked and we have to climb over.", "Nobody is around the bandstand at night.", "The lights by the pond are broken."]
    for page, text in zip(pages, words, strict=True):
        send_entry(page, text)

    # The console shows each entry live; the facilitator checks each one onto the wall.
    for text in words:
        console.get_by_text(text).wait_for()
    problems += page_axe_violations(console, live_server)
    for text in words:
        console.locator("li.waiting-card", has_text=text).get_by_role("button", name="Show on the wall").click()
        console.get_by_role("heading", name="Waiting for your check").wait_for()

    # The wall, never reloaded, receives the three cards, once each.
    for text in words:
        wall.locator(".wall-card", has_text=text).wait_for()
    entries = list(session.exec(select(WorkshopEntry).order_by(col(WorkshopEntry.id))).all())
    for entry in entries:
        assert wall.locator(f"#wall-entry-{entry.id}").count() == 1
    wall.screenshot(path=str(artifacts / "workshop-wall.png"), full_page=True)

    # The third participant takes theirs back: it leaves the wall without a reload.
    pages[2].goto(f"{live_server}/workshops/session")
    pages[2].get_by_role("button", name="Take this back").click()
    pages[2].get_by_text("Your entry has been taken back and deleted.").wait_for()
    wall.locator(".wall-card", has_text=words[2]).wait_for(state="detached")
    assert wall.locator(".wall-card").count() == 2

    # Voting opens; two participants put a dot on the first entry, and the first taps it again later.
    console.get_by_role("button", name="Open voting").click()
    wall.get_by_text("Voting is open").wait_for()
    target = entries[0]
    for page in pages[:2]:
        page.goto(f"{live_server}/workshops/session")
        page.locator(".board__item", has_text=words[0]).get_by_role("button", name="Put a dot here").click()
        page.locator(".board__item", has_text=words[0]).get_by_role("button", name="Take my dot back").wait_for()
    wall.locator(f"#votes-{target.id}").filter(has_text="2").wait_for()
    problems += page_axe_violations(pages[0], live_server)
    # Tapping again is "take my dot back", never a second dot from the same person.
    pages[0].locator(".board__item", has_text=words[0]).get_by_role("button", name="Take my dot back").click()
    wall.locator(f"#votes-{target.id}").filter(has_text="1").wait_for()
    pages[0].locator(".board__item", has_text=words[0]).get_by_role("button", name="Put a dot here").click()
    wall.locator(f"#votes-{target.id}").filter(has_text="2").wait_for()
    votes = session.exec(select(WorkshopVote).where(WorkshopVote.entry_id == target.id)).all()
    assert len(votes) == 2 and len({v.participant_id for v in votes}) == 2

    # The second participant's session runs out while typing: a clear message, and the words stay.
    pages[1].goto(f"{live_server}/workshops/session")
    for participant in session.exec(select(WorkshopParticipant)).all():
        participant.expires_at = utcnow() - timedelta(seconds=1)
        session.add(participant)
    session.commit()
    pages[1].get_by_label("Somewhere I feel unsafe").check()
    pages[1].get_by_label("Tell us in your own words").fill("The alley behind the shops is scary.")
    pages[1].get_by_role("button", name="Send to the facilitator").click()
    pages[1].get_by_text("Your workshop session has ended").wait_for()
    pages[1].get_by_text("The alley behind the shops is scary.").wait_for()
    problems += page_axe_violations(pages[1], live_server)

    console.get_by_role("button", name="Close voting").click()
    summary = desk.new_page()
    summary.goto(f"{live_server}/staff/workshops/{workshop.id}/summary")
    summary.get_by_role("heading", name="Priorities: the wall, most dots first").wait_for()
    problems += page_axe_violations(summary, live_server)

    for context in (*phones, desk):
        context.close()
    assert problems == [], "\n".join(problems)
    assert [e for e in errors if "__axe" not in e] == [], errors
