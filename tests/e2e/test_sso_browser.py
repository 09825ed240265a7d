"""Staff sign-in in a real browser: with their organisation through the real OpenID provider on
loopback, and with a password and a TOTP code set up on first sign-in. Every page of ours on the way
is checked with axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from tests.e2e.axe import axe_violations
from tests.e2e.sso_steps import set_up_sso, sign_in_at_provider
from tests.factories import PASSWORD, make_area, make_staff
from tests.oidc.fixtures import OidcProvider
from tests.support import totp_code

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 900}


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    # bypass_csp lets axe be injected as a script tag; our pages carry no inline script anyway.
    context = browser.new_context(viewport=DESK, bypass_csp=True)
    yield context
    context.close()


def _accessible(page: Any, screen: str) -> None:
    problems = [f"{screen}: {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in axe_violations(page)]
    assert problems == []


def test_statutory_user_signs_in_with_their_organisation_and_lands_on_the_register(
    desk: Any, live_server: str, session: Session, oidc_provider: OidcProvider, artifacts: Path
) -> None:
    set_up_sso(session, oidc_provider, live_server)
    page = desk.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and msg.location.get("url", "").startswith(live_server) else None)
    page.goto(f"{live_server}/staff/register")
    assert "/staff/sign-in" in page.url
    _accessible(page, "sign-in with organisation")
    page.get_by_role("button", name=re.compile("Sign in with your organisation")).click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    sign_in_at_provider(page, "sam")
    page.wait_for_url(f"{live_server}/staff/register")
    page.get_by_role("link", name="Register").wait_for()
    assert page.get_by_text("Sam Okafor").is_visible()
    page.screenshot(path=str(artifacts / "sso-register.png"), full_page=True)
    user = session.exec(select(User).where(User.email == "sam.okafor@brackenford-council.example")).one()
    assert user.password_hash is None

    # Signing out ends our session and the provider's, and comes back to our sign-in page.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{live_server}/staff/sign-in")
    page.goto(f"{live_server}/staff/register")
    assert "/staff/sign-in" in page.url
    assert errors == [], errors


def test_someone_whose_groups_give_no_role_is_told_plainly(desk: Any, live_server: str, session: Session, oidc_provider: OidcProvider) -> None:
    set_up_sso(session, oidc_provider, live_server)
    page = desk.new_page()
    page.goto(f"{live_server}/staff/sign-in")
    page.get_by_role("button", name=re.compile("Sign in with your organisation")).click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    sign_in_at_provider(page, "nora")
    page.get_by_role("heading", name="We could not sign you in").wait_for()
    assert "none of your groups gives you a role" in page.content()
    _accessible(page, "refused")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_refused")).one().detail["reason"] == "oidc_no_role"


def test_a_new_admin_sets_up_their_code_then_reaches_the_sign_in_settings(desk: Any, live_server: str, session: Session) -> None:
    area = make_area(session)
    admin = make_staff(session, area, "admin", totp_secret=None)
    page = desk.new_page()
    page.goto(f"{live_server}/staff/admin/sign-in")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Set up your sign-in code").wait_for()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    _accessible(page, "set up code")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Six-digit code from your authenticator app").fill("000000" if totp_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Confirm and sign in").click()
    page.get_by_role("alert").filter(has_text="did not work").wait_for()
    _accessible(page, "set up code, wrong code")
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm and sign in").click()
    page.get_by_role("heading", name="Sign-in with your organisation").wait_for()
    _accessible(page, "sign-in settings")

    page.get_by_label("Issuer").fill("https://login.brackenford-council.example")
    page.get_by_label("Client ID").fill("safety-map")
    page.get_by_label("Client secret").fill("a-secret-from-the-provider")
    page.get_by_label("Email domains allowed to sign in").fill("brackenford-council.example")
    page.get_by_label("Groups and the roles they give").fill("efh-panel = statutory")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()
    assert "a-secret-from-the-provider" not in page.content()

    # Next time, the code page (not the set-up page) follows the password.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Enter your code").wait_for()
    _accessible(page, "code")
