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
    return [
        f"{page.url}: {v['id']}: {v['help']} at {json.dumps([n['target'] for n in v['nodes'][:3]])}"
        for v in violations
    ]


def serve_axe(context: Any) -> None:
    body = AXE.read_text()
    context.route(
        "**/__axe.js",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=body),
    )


def join(page: Any, base: str, code: str) -> None:
    page.goto(f"{base}/workshops/join")
    page.get_by_label("Workshop code").fill(code)
    page.get_by_role("button", name="Join").click()
    page.get_by_role("heading", name="Add to the map").wait_for()


def press_continue(page: Any, step: int) -> None:
    page.get_by_role("button", name="Continue").click()
    page.get_by_text(f"Step {step} of 6", exact=True).wait_for()


def send_entry(page: Any, words: str) -> None:
    """Through the entry's screens, one question each, to Send."""
    page.get_by_role("link", name="Add something").click()
    page.get_by_label("Somewhere I feel unsafe").check()
    press_continue(page, 2)
    page.get_by_label("Choose a place").select_option(label="Victoria Park")
    press_continue(page, 3)
    page.get_by_label("Tell us in your own words").fill(words)
    for step in (4, 5, 6):
        press_continue(page, step)
    page.get_by_role("button", name="Send to the facilitator").click()
    page.get_by_text("Your entry is with the facilitator").wait_for()


def test_a_workshop_from_phones_to_the_wall(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    area = make_area(session)
    make_place(session, area)
    facilitator = make_staff(session, area, "facilitator", email="facilitator@brackenford.example")
    workshop = make_workshop(
        session, area, facilitator, votes_per_person=2, prompts="Where do you go after school?"
    )
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
    console.on(
        "console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None
    )
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

    words = [
        "The park gates are locked and we have to climb over.",
        "Nobody is around the bandstand at night.",
        "The lights by the pond are broken.",
    ]
    for page, text in zip(pages, words, strict=True):
        send_entry(page, text)

    # The console shows each entry live; the facilitator checks each one onto the wall.
    for text in words:
        console.get_by_text(text).wait_for()
    problems += page_axe_violations(console, live_server)
    for text in words:
        console.locator("li.waiting-card", has_text=text).get_by_role(
            "button", name="Show on the wall"
        ).click()
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

    # Voting opens; the phones' boards follow live, with no reload (they have been open since sending).
    console.get_by_role("button", name="Open voting").click()
    wall.get_by_text("Voting is open").wait_for()
    target = entries[0]
    for page in pages[:2]:
        page.get_by_text("You have 2 dots left").wait_for()
    # Two participants put a dot on the first entry; the first's board counts the second's dot live.
    pages[0].locator(".board__item", has_text=words[0]).get_by_role(
        "button", name="Put a dot here"
    ).click()
    pages[0].locator(".board__item", has_text=words[0]).get_by_role(
        "button", name="Take my dot back"
    ).wait_for()
    # After the jump to #board, "dots left" is in view below the sticky exit bar, not under it.
    dots, bar = (
        pages[0].locator("#dots-left").bounding_box(),
        pages[0].locator(".exit-this-page").bounding_box(),
    )
    assert dots["y"] >= bar["y"] + bar["height"] - 1, (dots, bar)
    pages[0].screenshot(path=str(artifacts / "workshop-phone-board.png"))
    pages[1].locator(".board__item", has_text=words[0]).get_by_role(
        "button", name="Put a dot here"
    ).click()
    pages[1].locator(".board__item", has_text=words[0]).get_by_role(
        "button", name="Take my dot back"
    ).wait_for()
    pages[0].locator(".board__item", has_text=words[0]).get_by_text("2 dots").wait_for()
    wall.locator(f"#votes-{target.id}").filter(has_text="2").wait_for()
    problems += page_axe_violations(pages[0], live_server)
    # Tapping again is "take my dot back", never a second dot from the same person.
    pages[0].locator(".board__item", has_text=words[0]).get_by_role(
        "button", name="Take my dot back"
    ).click()
    wall.locator(f"#votes-{target.id}").filter(has_text="1").wait_for()
    pages[0].locator(".board__item", has_text=words[0]).get_by_role(
        "button", name="Put a dot here"
    ).click()
    wall.locator(f"#votes-{target.id}").filter(has_text="2").wait_for()
    votes = session.exec(select(WorkshopVote).where(WorkshopVote.entry_id == target.id)).all()
    assert len(votes) == 2 and len({v.participant_id for v in votes}) == 2

    # The second participant's session runs out while typing: a clear message, and the words stay.
    pages[1].goto(f"{live_server}/workshops/session/add")
    pages[1].get_by_label("Somewhere I feel unsafe").check()
    press_continue(pages[1], 2)
    pages[1].get_by_label("Or describe where it is").fill("The alley behind the shops")
    press_continue(pages[1], 3)
    for participant in session.exec(select(WorkshopParticipant)).all():
        participant.expires_at = utcnow() - timedelta(seconds=1)
        session.add(participant)
    session.commit()
    pages[1].get_by_label("Tell us in your own words").fill("The alley behind the shops is scary.")
    pages[1].get_by_role("button", name="Continue").click()
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


SMALL_PHONE = {"width": 360, "height": 740}


def test_an_entry_is_one_question_per_screen_on_a_small_phone(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    from app.taxonomy import service as taxonomy

    area = make_area(session)
    make_place(session, area)
    taxonomy.save_version(
        session,
        area,
        actor_id=None,
        kind="unsafe",
        locale="en",
        labels={},
        added=["Broken bus shelter"],
    )
    session.commit()
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    serve_axe(context)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} @ {m.location}") if m.type == "error" else None,
    )
    join(page, live_server, workshop.join_code)
    page.get_by_role("link", name="Add something").click()
    problems: list[str] = []
    loads: list[str] = []

    def check_axe() -> None:
        problems.extend(page_axe_violations(page, live_server))
        # axe's contrast check leaves empty style attributes behind; htmx would copy them onto the next
        # screen, which the CSP (rightly) refuses. Nothing in the product sets one.
        page.evaluate(
            "document.querySelectorAll('[style=\"\"]').forEach((e) => e.removeAttribute('style'))"
        )

    def look(name: str, question: str) -> None:
        """One question on this screen, at the top, with its step number; axe finds nothing."""
        page.locator("h1.question-heading", has_text=question).wait_for()
        assert page.locator("h1.question-heading").count() == 1
        box = page.locator("h1.question-heading").bounding_box()
        assert box is not None and box["y"] + box["height"] <= SMALL_PHONE["height"], (name, box)
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 1600, (name, height)  # the old one-page form was 5,200 px
        page.screenshot(path=str(artifacts / f"workshop-step-{name}.png"), full_page=True)
        check_axe()

    look("1-kind", "What do you want to tell us about?")
    page.on("load", lambda: loads.append(page.url))
    page.get_by_label("Somewhere I feel unsafe").check()
    page.get_by_role("button", name="Continue").click()
    look("2-where", "Where is it?")
    page.get_by_label("Choose a place").select_option(label="Victoria Park")
    page.get_by_role("button", name="Continue").click()
    look("3-what", "Tell us in your own words")
    # Continue with nothing typed: the message is linked to the question, and the focus goes there.
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Please check your answers").wait_for()
    assert "description-error" in (
        page.get_by_label("Tell us in your own words").get_attribute("aria-describedby") or ""
    )
    check_axe()
    page.screenshot(path=str(artifacts / "workshop-step-3-what-error.png"), full_page=True)
    page.get_by_label("Tell us in your own words").fill(
        "The shelter glass is smashed and the light is out."
    )
    page.get_by_label("A bit unsafe").check()
    page.get_by_role("button", name="Continue").click()
    look("4-categories", "What is it like there?")
    assert page.get_by_label("Broken bus shelter").count() == 1  # the area's own category
    assert page.get_by_label("Busy and well lit").count() == 0  # another kind's
    page.get_by_label("Broken bus shelter").check()
    # Back keeps what was typed on the earlier screen, and the choice just made.
    page.get_by_role("button", name="Back").click()
    look("3-what-again", "Tell us in your own words")
    assert (
        page.get_by_label("Tell us in your own words").input_value()
        == "The shelter glass is smashed and the light is out."
    )
    page.get_by_role("button", name="Continue").click()
    page.locator("h1.question-heading", has_text="What is it like there?").wait_for()
    assert page.get_by_label("Broken bus shelter").is_checked()
    page.get_by_role("button", name="Continue").click()
    look("5-more", "Anything else? (optional)")
    # The browser's own Back goes back one screen with the answers kept, and Forward comes back.
    page.go_back()
    page.locator("h1.question-heading", has_text="What is it like there?").wait_for()
    assert page.get_by_label("Broken bus shelter").is_checked()
    page.go_forward()
    page.locator("h1.question-heading", has_text="Anything else? (optional)").wait_for()
    page.get_by_role("button", name="Continue").click()
    look("6-check", "Check and send")
    assert page.get_by_text("Broken bus shelter").count() == 1
    assert loads == [], loads  # every screen so far was swapped in by htmx, not loaded
    assert page.title().startswith("Step 6 of 6")
    page.get_by_role("button", name="Send to the facilitator").click()
    page.get_by_text("Your entry is with the facilitator").wait_for()
    page.screenshot(path=str(artifacts / "workshop-phone-hub.png"), full_page=True)
    problems.extend(page_axe_violations(page, live_server))
    context.close()
    assert problems == [], "\n".join(problems)
    # The 422 is the answer to Continue with nothing typed, shown on screen as it should be.
    assert [e for e in errors if "__axe" not in e and "status of 422" not in e] == [], errors
