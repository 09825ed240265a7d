"""The patterns page in a real browser: a statutory admin reads a rising context and a shared pattern
with their evidence, follows a context link, and changes a threshold; axe-core checks each screen."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core.db import Database
from app.core.types import utcnow
from app.register.patterns.runs import run_patterns, week_ending
from app.reports.models import Report
from tests.e2e.axe import axe_violations
from tests.factories import PASSWORD, make_area, make_context, make_staff
from tests.support import totp_code

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
_numbers = itertools.count(1)


def _plant(session: Session, area: Any, context: Any, when: datetime, time_band: str) -> None:
    number = next(_numbers)
    session.add(
        Report(
            area_id=area.id,
            receipt_code=f"E2E-{number:06d}",
            submission_token=f"patterns-e2e-{number}",
            kind="unsafe",
            status="published",
            context_id=context.id,
            created_at=when,
            description="planted",
            public_description="planted",
            time_bands=time_band,
            categories="followed_harassed",
        )
    )


def test_an_admin_reads_the_evidence_and_sets_a_threshold(
    browser: Any, live_server: str, db: Database, session: Session, artifacts: Path
) -> None:
    area = make_area(session)
    monday = datetime.combine(week_ending(utcnow()), datetime.min.time(), tzinfo=UTC)
    start = monday - timedelta(weeks=16)
    bus = make_context(session, area, "Bus station", neighbourhood="Town centre")
    for week in range(0, 12, 2):
        _plant(session, area, bus, start + timedelta(weeks=week, days=1), "afternoon")
    for week in range(12, 16):
        for day in range(4):
            _plant(session, area, bus, start + timedelta(weeks=week, days=day), "evening")
    for number in (1, 2, 3):
        stop = make_context(
            session, area, f"Stop {number} on the 42 route", neighbourhood="Northside"
        )
        for week in range(16):
            _plant(session, area, stop, start + timedelta(weeks=week, days=2), "afternoon")
        for week in (13, 14):
            _plant(session, area, stop, start + timedelta(weeks=week, days=3), "night")
    session.commit()
    [result] = run_patterns(db, base_url=live_server)
    assert {f.kind for f in result.new} == {"rising", "shared"}
    admin = make_staff(session, area, "statutory", "admin")

    desk = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = desk.new_page()
    errors: list[str] = []
    # The refused thresholds form answers 400 on purpose; the browser reports that as a console error.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "status of 400" not in msg.text
            else None
        ),
    )
    page.goto(f"{live_server}/staff/register/patterns")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Patterns across contexts", level=1).wait_for()
    page.get_by_role("heading", name="Rising at Bus station").wait_for()
    page.get_by_role("heading", name="Shared by 3 contexts: Time of day, Night").wait_for()
    assert page.get_by_role("img", name="Unsafe entries each week").first.is_visible()
    page.get_by_text("Each week's numbers").first.click()
    page.screenshot(path=str(artifacts / "patterns.png"), full_page=True)
    problems = [
        f"patterns: {v['id']} ({v['impact']}) at {[' '.join(n['target']) for n in v['nodes'][:3]]}"
        for v in axe_violations(page)
    ]

    page.get_by_label("Fewest entries for a pattern").fill("2")
    page.get_by_role("button", name="Save thresholds").click()
    page.get_by_text("Please check your answers").wait_for()
    problems += [f"patterns, refused: {v['id']} ({v['impact']})" for v in axe_violations(page)]
    page.get_by_label("Fewest entries for a pattern").fill("6")
    page.get_by_role("button", name="Save thresholds").click()
    page.get_by_text("Saved. The next weekly look uses the new thresholds.").wait_for()

    page.get_by_role("link", name="Stop 2 on the 42 route").first.click()
    page.get_by_role("heading", name="Stop 2 on the 42 route", level=1).wait_for()
    desk.close()
    assert problems == [], problems
    assert errors == [], errors
