"""A busy context's page on a laptop (1280x800) in a real browser: what the team needs first is on the
first screen, the contents links go to their sections, chart text is big enough to read, the legend
is painted like the bars, and axe-core finds nothing; then the outcomes page, adding a goal."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core.types import utcnow
from app.register.models import Action, ContextStatusChange, PanelDecision
from app.register.outcomes.models import (
    OutcomeGoal,
    OutcomeGoalAction,
    OutcomeMeasure,
    OutcomeReading,
)
from tests.e2e.axe import axe_violations
from tests.factories import PASSWORD, make_area, make_context, make_published, make_staff
from tests.support import totp_code

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1280, "height": 800}


def _sign_in(page: Any, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()


def _busy_context(session: Session) -> tuple[Any, Any]:
    area = make_area(session, min_cell_count=3)
    user = make_staff(session, area, "statutory", email="sam@brackenford.example")
    underpass = make_context(
        session,
        area,
        "The underpass",
        status="plan_in_place",
        neighbourhood="Eastside",
        strengths="Young people look out for each other.",
        guardianship="The chip shop staff know the young people.",
        environment="Two of the four lights are broken.",
    )
    today = utcnow().date()
    start = today - timedelta(days=40)
    for i in range(30):
        kind = ("unsafe", "unsafe", "safe", "structural")[i % 4]
        made = datetime.combine(today - timedelta(days=3 * i), time(19), tzinfo=UTC)
        make_published(
            session,
            area,
            underpass,
            kind=kind,
            feeling=2 if kind == "unsafe" else 4,
            created_at=made,
            description=f"Entry {i}: it is dark under the bridge after school.",
            categories=["poor_lighting"],
            time_bands=["evening"],
            days=["school_days"],
        )
    session.add(
        ContextStatusChange(
            context_id=underpass.id,
            from_status="on_panel_agenda",
            to_status="plan_in_place",
            changed_by_id=user.id,
            note="Agreed at panel",
        )
    )  # type: ignore[arg-type]
    session.add(
        PanelDecision(
            area_id=area.id,
            context_id=underpass.id,
            panel_date=today - timedelta(days=14),
            decision="Detached youth work on Friday nights, and Highways to fix the lights.",
            to_status="plan_in_place",
        )
    )  # type: ignore[arg-type]
    youth_work = Action(
        area_id=area.id,
        context_id=underpass.id,
        title="Detached youth work on Friday nights",
        owner_organisation="Youth Service",
        response_type="relational",
        status="in_progress",
        due_date=today + timedelta(days=30),
        started_on=start,
    )  # type: ignore[arg-type]
    lights = Action(
        area_id=area.id,
        context_id=underpass.id,
        title="Fix the underpass lights",
        owner_organisation="Highways",
        response_type="environment",
        status="planned",
        due_date=today - timedelta(days=7),
    )  # type: ignore[arg-type]
    session.add_all([youth_work, lights])
    session.commit()
    goal = OutcomeGoal(
        area_id=area.id,
        context_id=underpass.id,
        title="Young people feel safe walking home through the underpass",
        status="in_progress",
        review_date=today - timedelta(days=2),
    )  # type: ignore[arg-type]
    session.add(goal)
    session.commit()
    measure = OutcomeMeasure(
        area_id=area.id,
        goal_id=goal.id,
        what="Share of entries here that feel safe",
        method="entries",
        kind="number",
        unit="%",
        baseline_value=20,
        target_value=60,
    )  # type: ignore[arg-type]
    session.add(measure)
    session.commit()
    session.add_all(
        [
            OutcomeReading(measure_id=measure.id, value=35, observed_on=today - timedelta(days=5)),  # type: ignore[arg-type]
            OutcomeGoalAction(goal_id=goal.id, action_id=youth_work.id),  # type: ignore[arg-type]
            OutcomeGoalAction(goal_id=goal.id, action_id=lights.id),  # type: ignore[arg-type]
        ]
    )
    session.commit()
    return user, underpass


def _problems(page: Any, screen: str) -> list[str]:
    return [
        f"{screen}: {v['id']} ({v['impact']}) at {[' '.join(n['target']) for n in v['nodes'][:3]]}"
        for v in axe_violations(page)
    ]


def test_a_busy_context_page_puts_what_matters_first_and_its_charts_can_be_read(
    browser: Any, live_server: str, session: Session, artifacts: Path
) -> None:
    user, underpass = _busy_context(session)
    desk = browser.new_context(viewport=LAPTOP, bypass_csp=True)
    page = desk.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, live_server, user.email, f"/staff/register/contexts/{underpass.id}")
    page.get_by_role("heading", name="The underpass", level=1).wait_for()
    page.screenshot(path=str(artifacts / "context-page-top.png"))

    # The first screen: status with its date and who changed it, latest actions (overdue marked),
    # the last panel decision and the outcome goals.
    for card, words in (
        ("#overview-status", "changed by Test Staff"),
        ("#overview-actions", "Fix the underpass lights"),
        ("#overview-panel", "Detached youth work on Friday nights, and Highways"),
        ("#overview-goals", "Young people feel safe walking home"),
    ):
        box = page.locator(card).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], (
            card,
            box,
        )
        assert words in page.locator(card).inner_text()
    assert page.locator("#overview-actions .tag--overdue").first.is_visible()
    overdue = page.get_by_role("heading", name="1 goal is overdue for review")
    box = overdue.bounding_box()
    assert box is not None and box["y"] + box["height"] <= LAPTOP["height"]

    # Every contents link goes to its section.
    links = page.locator("nav.page-contents a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 8
    for href in hrefs:
        page.locator(f'nav.page-contents a[href="{href}"]').click()
        page.wait_for_function("(hash) => location.hash === hash", arg=href)
        target = page.locator(str(href))
        box = target.bounding_box()
        assert box is not None and 0 <= box["y"] < LAPTOP["height"], (href, box)
        page.evaluate("window.scrollTo(0, 0)")

    # Chart text is at least 14px as drawn on the screen (its font size times how much the chart is scaled).
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart text')].map((t) => {
            const svg = t.ownerSVGElement;
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return {text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize), drawn: parseFloat(getComputedStyle(t).fontSize) * scale};
        })"""
    )
    assert len(sizes) > 20
    small = [s for s in sizes if s["size"] < 14 or s["drawn"] < 14]
    assert small == [], small[:5]

    # The legend is painted with the same fill as the bars of each series, and unsafe and
    # needs-to-change carry a pattern (hatching, dots), so they differ in greyscale too.
    fills = page.evaluate(
        """() => {
            const fill = (el) => getComputedStyle(el).fill;
            const out = {};
            for (const series of ['safe', 'unsafe', 'structural']) {
                out[series] = {
                    legend: [...document.querySelectorAll(`#months-h ~ figure .legend rect[data-series="${series}"]`)].map(fill),
                    bars: [...document.querySelectorAll(`svg[aria-labelledby^="months-chart"] rect[data-series="${series}"]`)].map(fill),
                    marks: document.querySelectorAll(`#chart-fill-${series} > *`).length,
                };
            }
            return out;
        }"""
    )
    for series, found in fills.items():
        assert found["legend"] and found["bars"], (series, found)
        assert (
            set(found["bars"]) == set(found["legend"])
            and f"#chart-fill-{series}" in found["legend"][0]
        ), (series, found)
    assert (
        fills["unsafe"]["marks"] == 2
        and fills["structural"]["marks"] == 2
        and fills["safe"]["marks"] == 1
    )

    # Before and after the youth work: the note, a chart and its table.
    page.get_by_text("What people told us in the 8 weeks before and after it started").first.click()
    assert page.get_by_text(
        "These are what people told us, not proof that something changed."
    ).first.is_visible()
    # axe with every folded section open, so what is inside them is checked too.
    page.locator(".before-after").first.screenshot(
        path=str(artifacts / "context-page-before-after.png")
    )
    page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
    problems = _problems(page, "context page")
    page.screenshot(path=str(artifacts / "context-page-full.png"), full_page=True)
    page.locator("#actions-h").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "context-page-actions.png"))
    page.locator("#months-h").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "context-page-charts.png"))

    # The outcomes page: add a goal with a review date; it is listed, and the page is axe-clean.
    page.goto(f"{live_server}/staff/register/contexts/{underpass.id}/outcomes")
    page.get_by_role("heading", name="Outcomes for The underpass").wait_for()
    page.locator("#goal-new-title").fill("Young people can find a trusted adult on the route home")
    page.locator("#goal-new-review").fill((utcnow().date() + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Add goal").click()
    page.get_by_role(
        "heading", name="Young people can find a trusted adult on the route home"
    ).wait_for()
    page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
    problems += _problems(page, "outcomes page")
    page.screenshot(path=str(artifacts / "context-outcomes.png"))
    page.locator(".goal").first.screenshot(path=str(artifacts / "context-outcomes-goal.png"))
    desk.close()
    assert errors == [], errors
    assert problems == [], "\n".join(problems)
