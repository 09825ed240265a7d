"""Journey 4 and 5 in a real desktop browser: a statutory user signs in with their organisation
through a real OpenID provider on loopback, filters the register, opens a context,
flags it for the panel, records an action and exports; a moderator checks and publishes the
plain-words version, which then shows on /you-said-we-did and on the reporter's /track page.
axe-core runs on every register page on the way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.e2e.axe import axe_violations
from tests.e2e.sso_steps import set_up_sso, sign_in_at_provider
from tests.factories import PASSWORD, make_context, make_published, make_staff
from tests.oidc.fixtures import OidcProvider
from tests.support import totp_code

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}


def _sign_in(page: Any, base: str, email: str, next_path: str) -> None:
    """The password form, then the six-digit code step (the same steps tests.support.sign_in takes)."""
    page.goto(f"{base}{next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code())
    page.get_by_role("button", name="Continue").click()


def _axe(page: Any, screen: str, problems: list[str]) -> None:
    for violation in axe_violations(page):
        targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
        problems.append(f"{screen}: {violation['id']} ({violation['impact']}) at {targets}")


def test_statutory_user_works_a_context_through_to_you_said_we_did(
    browser: Any, live_server: str, session: Session, artifacts: Path, oidc_provider: OidcProvider
) -> None:
    area = set_up_sso(session, oidc_provider, live_server)
    canal = make_context(session, area, "Canal Walk", neighbourhood="Canalside", guardianship="Boat owners look out for young people.")
    make_context(session, area, "School group chats", kind="online", h3_cell=None, neighbourhood="Online")
    make_context(session, area, "Victoria Park", neighbourhood="Eastside")
    report = make_published(session, area, canal, kind="unsafe", description="No lights on the canal path after four.", categories=["poor_lighting"], time_bands=["evening"])
    make_published(session, area, canal, kind="unsafe", description="People get followed along the towpath.", categories=["followed_harassed"])
    make_published(session, area, canal, kind="safe", description="The boat cafe staff look out for us.", categories=["staff_who_help"])
    moderator = make_staff(session, area, "moderator", email="moderator@brackenford.example")
    problems: list[str] = []

    # bypass_csp lets axe be injected as a script tag; the app's own pages have no inline script anyway.
    desk = browser.new_context(viewport=DESKTOP, accept_downloads=True, bypass_csp=True)
    page = desk.new_page()
    errors: list[str] = []
    # Only our own pages count: the provider's development login screen asks the internet for a font.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and msg.location.get("url", "").startswith(live_server) else None)
    # The statutory user signs in with their organisation, through the real provider on loopback.
    page.goto(f"{live_server}/staff/register")
    page.get_by_role("button", name=re.compile("Sign in with your organisation")).click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    sign_in_at_provider(page, "sam")
    page.wait_for_url(f"{live_server}/staff/register")
    page.get_by_role("heading", name="Context register").wait_for()
    _axe(page, "register list", problems)

    # Filter: with JavaScript on, htmx swaps the results in and pushes the filters into the address.
    page.get_by_label("Neighbourhood").select_option("Canalside")
    page.wait_for_url(re.compile(r"neighbourhood=Canalside"))
    page.locator("#register-results").get_by_role("link", name="Victoria Park").wait_for(state="detached")
    assert page.locator("#register-results").get_by_role("link", name="Canal Walk").is_visible()
    page.get_by_label("Theme").select_option("poor_lighting")
    page.wait_for_url(re.compile(r"theme=poor_lighting"))
    assert page.locator("#register-results").get_by_role("link", name="Canal Walk").is_visible()
    _axe(page, "register list, filtered", problems)

    page.locator("#register-results").get_by_role("link", name="Canal Walk").click()
    page.get_by_role("heading", name="Canal Walk", level=1).wait_for()
    assert page.get_by_role("img", name="Entries per month over the last 12 months, by kind").is_visible()
    assert "No lights on the canal path after four." in page.content()
    _axe(page, "context profile", problems)
    page.screenshot(path=str(artifacts / "register-profile.png"), full_page=True)

    page.get_by_label("Why should the panel look at it? (optional)").fill("Young people feel unsafe after dark")
    page.get_by_role("button", name="Flag for the next panel").click()
    page.get_by_text("Flagged for the next panel").first.wait_for()

    page.get_by_label("What will be done").fill("Repair and add lighting along the path")
    page.get_by_label("Owner organisation").fill("Brackenford Council Highways")
    page.get_by_label("Kind of response").select_option("environment")
    page.get_by_label("Due date").last.fill("2027-01-31")
    page.get_by_label("Draft plain-words summary for You said, we did (a moderator checks and publishes it)").fill(
        "New lights are going in along Canal Walk this winter."
    )
    page.get_by_role("button", name="Record action").click()
    page.get_by_role("heading", name="Repair and add lighting along the path").wait_for()
    assert "waiting for a moderator" in page.content()

    page.goto(f"{live_server}/staff/register/panel")
    page.get_by_role("heading", name=re.compile("Canal Walk")).wait_for()
    assert "Young people feel unsafe after dark" in page.content()
    _axe(page, "panel agenda", problems)
    for path in ("/staff/register/weighting", "/staff/register/map"):
        page.goto(f"{live_server}{path}")
        _axe(page, path, problems)

    page.goto(f"{live_server}/staff/register")
    with page.expect_download() as geojson_download:
        page.get_by_role("link", name="Export contexts (GeoJSON)").click()
    document = json.loads(Path(geojson_download.value.path()).read_text())
    assert document["type"] == "FeatureCollection" and any(f["properties"]["name"] == "Canal Walk" for f in document["features"])
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export entries (CSV)").click()
    assert "No lights on the canal path after four." in Path(csv_download.value.path()).read_text()
    desk.close()

    # A moderator checks the plain words and publishes them.
    desk = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = desk.new_page()
    _sign_in(page, live_server, moderator.email, f"/staff/register/contexts/{canal.id}")
    page.get_by_role("button", name="Check and publish on You said, we did").click()
    page.get_by_text("Published on You said, we did:").wait_for()
    desk.close()

    public = browser.new_context(viewport=DESKTOP)
    page = public.new_page()
    page.goto(f"{live_server}/you-said-we-did")
    page.get_by_text("New lights are going in along Canal Walk this winter.").wait_for()
    page.goto(f"{live_server}/track")
    page.get_by_label("Receipt code").fill(report.receipt_code)
    page.get_by_role("button", name="Check").click()
    page.get_by_text("New lights are going in along Canal Walk this winter.").wait_for()
    public.close()

    assert errors == [], errors
    assert problems == [], "\n".join(problems)
