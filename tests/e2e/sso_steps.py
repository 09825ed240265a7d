"""Single sign-on in a browser test: the area's settings for the loopback provider, and its login screen."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.areas.models import Area
from tests.factories import make_area, make_oidc_config
from tests.oidc.fixtures import OidcProvider


def set_up_sso(session: Session, provider: OidcProvider, base: str, area: Area | None = None) -> Area:
    area = area or make_area(session)
    client = provider.register_client(redirect_uris=[f"{base}/staff/sign-in/oidc/callback"], post_logout_redirect_uris=[f"{base}/staff/sign-in"])
    make_oidc_config(session, area, issuer=provider.issuer, client_id=client.client_id, client_secret=client.client_secret)
    return area


def sign_in_at_provider(page: Any, login: str) -> None:
    """The provider's development login screen: any password, then consent."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
