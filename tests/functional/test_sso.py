"""Signing in with your organisation (OpenID Connect), against a real provider on loopback.

The provider is npm's oidc-provider (tests/oidc/provider.mjs); its development login screen is
driven over HTTP. Its accounts: sam (efh-panel), priya (youth-work-leads), nora (catering only),
olu (email at another organisation), una (email not verified).
"""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts import oidc
from app.accounts.models import AreaOidcConfig, Membership, OidcLoginAttempt, User
from app.areas.models import Area
from app.audit.models import AuditEvent
from tests.factories import make_area, make_oidc_config, make_staff
from tests.oidc.fixtures import OidcProvider
from tests.support import csrf_from, sign_in

CALLBACK = "http://testserver/staff/sign-in/oidc/callback"
SIGNED_OUT = "http://testserver/staff/sign-in"


def _configure(session: Session, provider: OidcProvider, area: Area | None = None, **overrides: Any) -> AreaOidcConfig:
    area = area or make_area(session)
    client = provider.register_client(redirect_uris=[CALLBACK], post_logout_redirect_uris=[SIGNED_OUT])
    values: dict[str, Any] = {"issuer": provider.issuer, "client_id": client.client_id, "client_secret": client.client_secret} | overrides
    return make_oidc_config(session, area, **values)


def _start(client: TestClient, slug: str = "brackenford", next_path: str = "/staff/register") -> httpx.Response:
    token = csrf_from(client.get("/staff/sign-in").text)
    return client.post(f"/staff/sign-in/oidc/{slug}", data={"csrf_token": token, "next": next_path})


def _callback_for(client: TestClient, provider: OidcProvider, login: str) -> str:
    """Starts sign-in in our app, signs in at the provider, and returns our callback path + query."""
    started = _start(client)
    assert started.status_code == 303, started.text[:500]
    authorize_url = started.headers["location"]
    assert authorize_url.startswith(provider.issuer + "/auth?")
    back = provider.authorize(authorize_url, login=login, returns_to=CALLBACK)
    parts = urlsplit(back)
    return f"{parts.path}?{parts.query}"


def _refusals(session: Session) -> list[dict[str, Any]]:
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_refused").order_by(col(AuditEvent.id))).all()
    return [event.detail | {"area_id": event.area_id} for event in events]


def test_sign_in_page_offers_the_organisation_only_where_it_is_set_up(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    assert "Sign in with your organisation" not in client.get("/staff/sign-in").text
    _configure(session, oidc_provider, area)
    page = client.get("/staff/sign-in").text
    assert "Sign in with your organisation" in page
    assert 'action="/staff/sign-in/oidc/brackenford"' in page


def test_the_provider_is_asked_for_code_flow_with_pkce_state_and_nonce(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    _configure(session, oidc_provider)
    started = _start(client)
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 43 and len(query["nonce"][0]) >= 43
    assert query["redirect_uri"] == [CALLBACK]
    assert "openid" in query["scope"][0].split()
    # The verifier stays on the server; only its hash-based challenge travels.
    attempt = session.exec(select(OidcLoginAttempt)).one()
    assert attempt.code_verifier not in started.headers["location"]
    assert "HttpOnly" in started.headers["set-cookie"] and "sm_oidc=" in started.headers["set-cookie"]


def test_statutory_user_signs_in_with_their_organisation_and_gets_roles_from_groups(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    _configure(session, oidc_provider, area)
    response = client.get(_callback_for(client, oidc_provider, "sam"))
    assert response.status_code == 303, response.text[:800]
    assert response.headers["location"] == "/staff/register"
    assert "sm_staff=" in response.headers["set-cookie"]

    user = session.exec(select(User).where(User.email == "sam.okafor@brackenford-council.example")).one()
    assert user.password_hash is None and user.display_name == "Sam Okafor"
    roles = session.exec(select(Membership.role).where(Membership.user_id == user.id, Membership.area_id == area.id)).all()
    assert list(roles) == ["statutory"]
    assert client.get("/staff/register").status_code == 200
    assert client.get("/staff/moderation").status_code == 403
    signed_in = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.signed_in")).one()
    assert signed_in.detail["method"] == "oidc" and signed_in.area_id == area.id


def test_roles_follow_the_groups_at_every_sign_in(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    config = _configure(session, oidc_provider, area)
    assert client.get(_callback_for(client, oidc_provider, "sam")).status_code == 303
    config.role_mapping = {"efh-panel": ["moderator"]}
    session.add(config)
    session.commit()
    assert client.get(_callback_for(client, oidc_provider, "sam")).status_code == 303
    user = session.exec(select(User).where(User.email == "sam.okafor@brackenford-council.example")).one()
    roles = session.exec(select(Membership.role).where(Membership.user_id == user.id)).all()
    assert list(roles) == ["moderator"]
    synced = session.exec(select(AuditEvent).where(AuditEvent.action == "account.roles_synced")).one()
    assert synced.detail == {"before": ["statutory"], "after": ["moderator"]}


def test_an_existing_staff_account_is_matched_by_verified_email(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    existing = make_staff(session, area, "moderator", email="priya.shah@brackenford-council.example")
    _configure(session, oidc_provider, area)
    assert client.get(_callback_for(client, oidc_provider, "priya")).status_code == 303
    assert len(session.exec(select(User)).all()) == 1
    roles = session.exec(select(Membership.role).where(Membership.user_id == existing.id)).all()
    assert list(roles) == ["moderator"]


def test_wrong_issuer_is_refused(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    # localhost reaches the same provider, but the provider calls itself http://127.0.0.1:<port>.
    area = make_area(session)
    _configure(session, oidc_provider, area, issuer=f"http://localhost:{oidc_provider.port}")
    response = _start(client)
    assert response.status_code == 400
    assert "did not identify itself as the one set up for this area" in response.text
    assert _refusals(session) == [{"reason": "oidc_issuer", "method": "oidc", "area_id": area.id}]
    assert session.exec(select(OidcLoginAttempt)).all() == []


def test_a_replayed_state_is_refused(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    _configure(session, oidc_provider, area)
    callback = _callback_for(client, oidc_provider, "sam")
    assert client.get(callback).status_code == 303
    client.cookies.clear()
    replayed = client.get(callback)
    assert replayed.status_code == 400
    assert "already been used" in replayed.text
    assert "sm_staff=" not in replayed.headers.get("set-cookie", "")
    assert _refusals(session)[-1]["reason"] == "oidc_state"


def test_a_callback_carried_to_another_browser_is_refused(web_app: FastAPI, client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    _configure(session, oidc_provider, area)
    callback = _callback_for(client, oidc_provider, "sam")
    with TestClient(web_app, follow_redirects=False) as other_browser:
        refused = other_browser.get(callback)
    assert refused.status_code == 400
    assert _refusals(session) == [{"reason": "oidc_browser", "method": "oidc", "area_id": area.id}]
    # And the state is spent: the browser that started it cannot use it now either.
    assert client.get(callback).status_code == 400


def test_an_expired_id_token_is_refused(client: TestClient, session: Session, oidc_provider: OidcProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    area = make_area(session)
    _configure(session, oidc_provider, area)
    callback = _callback_for(client, oidc_provider, "sam")
    # The provider's ID tokens last 10 minutes; arrive two hours later by our clock.
    monkeypatch.setattr(oidc, "clock", lambda: time.time() + 2 * 3600)
    response = client.get(callback)
    assert response.status_code == 400
    assert "had expired" in response.text
    assert _refusals(session) == [{"reason": "oidc_expired", "method": "oidc", "area_id": area.id}]
    assert session.exec(select(User)).all() == []


def test_a_user_whose_groups_grant_no_role_is_refused_kindly_and_audited(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    _configure(session, oidc_provider, area)
    response = client.get(_callback_for(client, oidc_provider, "nora"))
    assert response.status_code == 403
    assert "none of your groups gives you a role" in response.text
    assert "ask your area administrator" in response.text
    refusal = _refusals(session)[-1]
    assert refusal["reason"] == "oidc_no_role" and refusal["area_id"] == area.id
    assert refusal["groups"] == ["catering", "all-staff"]
    assert session.exec(select(User)).all() == []
    assert client.get("/staff/register").status_code == 303


def test_an_email_outside_the_allowed_domains_is_refused(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    _configure(session, oidc_provider, area)
    response = client.get(_callback_for(client, oidc_provider, "olu"))
    assert response.status_code == 403
    assert "not one of the organisations set up for this area" in response.text
    refusal = _refusals(session)[-1]
    assert refusal["reason"] == "oidc_domain" and refusal["email_domain"] == "elsewhere.example"
    assert "olu" not in str(refusal)
    assert session.exec(select(User)).all() == []


def test_an_unverified_email_is_refused(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    _configure(session, oidc_provider)
    response = client.get(_callback_for(client, oidc_provider, "una"))
    assert response.status_code == 403
    assert _refusals(session)[-1]["reason"] == "oidc_email_unverified"


def test_a_paused_account_cannot_sign_in_with_its_organisation(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory", email="sam.okafor@brackenford-council.example")
    user.is_active = False
    session.add(user)
    session.commit()
    _configure(session, oidc_provider, area)
    assert client.get(_callback_for(client, oidc_provider, "sam")).status_code == 403
    assert _refusals(session)[-1]["reason"] == "oidc_inactive"


def test_sign_out_ends_our_session_and_sends_the_person_to_the_provider(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    _configure(session, oidc_provider)
    assert client.get(_callback_for(client, oidc_provider, "sam")).status_code == 303
    page = client.get("/staff/register")
    response = client.post("/staff/sign-out", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(oidc_provider.issuer + "/session/end?")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == [SIGNED_OUT]
    assert client.get("/staff/register").status_code == 303
    # The provider accepts the request (a wrong client or return address would be an error page)
    # and, once it has ended its own session, sends the person back to our sign-in page.
    with httpx.Client(timeout=10) as browser:
        at_provider = browser.get(location)
        assert at_provider.status_code == 200, at_provider.text[:300]
        action = re.search(r'<form method="post" action="([^"]+)"', at_provider.text)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', at_provider.text))
        assert action, at_provider.text[:300]
        done = browser.post(unescape(action.group(1)), data={k: unescape(v) for k, v in fields.items()} | {"logout": "yes"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == SIGNED_OUT


def test_password_sign_out_still_returns_to_the_sign_in_page(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "statutory").email)
    page = client.get("/staff/register")
    response = client.post("/staff/sign-out", data={"csrf_token": csrf_from(page.text)})
    assert response.headers["location"] == "/staff/sign-in"


def test_an_unknown_or_disabled_area_has_no_organisation_sign_in(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    area = make_area(session)
    config = _configure(session, oidc_provider, area)
    config.enabled = False
    session.add(config)
    session.commit()
    assert _start(client).status_code == 404
    assert _start(client, slug="nowhere").status_code == 404


def test_starting_needs_the_csrf_token(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    _configure(session, oidc_provider)
    client.get("/staff/sign-in")
    assert client.post("/staff/sign-in/oidc/brackenford", data={"next": "/staff/"}).status_code == 403


# --- The admin page -----------------------------------------------------------------------------


def _settings_form(client: TestClient, **fields: str) -> dict[str, str]:
    page = client.get("/staff/admin/sign-in")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_from(page.text),
        "enabled": "yes",
        "organisation_name": "Brackenford Council",
        "issuer": "https://login.brackenford-council.example",
        "client_id": "safety-map",
        "client_secret": "s3cret-from-the-provider-Qx7",
        "scopes": "openid email profile",
        "allowed_domains": "brackenford-council.example, @police.example",
        "groups_claim": "groups",
        "role_mapping": "efh-panel = statutory\nSafety Map admins = admin, moderator",
    }
    return data | fields


def test_an_admin_sets_up_sign_in_and_the_secret_is_never_shown_again(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    response = client.post("/staff/admin/sign-in", data=_settings_form(client))
    assert response.status_code == 303
    config = session.exec(select(AreaOidcConfig)).one()
    assert config.client_secret == "s3cret-from-the-provider-Qx7"
    assert config.allowed_domains == "brackenford-council.example, police.example"
    assert config.role_mapping == {"efh-panel": ["statutory"], "Safety Map admins": ["admin", "moderator"]}
    page = client.get("/staff/admin/sign-in?saved=1").text
    assert "s3cret-from-the-provider-Qx7" not in page
    assert "A secret is saved" in page
    assert "http://testserver/staff/sign-in/oidc/callback" in page
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "sso.configured")).one()
    assert "s3cret" not in str(audit.detail) and audit.detail["secret_replaced"] is True

    # Saving again with the secret left empty keeps it.
    assert client.post("/staff/admin/sign-in", data=_settings_form(client, client_secret="", client_id="safety-map-2")).status_code == 303
    session.expire_all()
    config = session.exec(select(AreaOidcConfig)).one()
    assert config.client_secret == "s3cret-from-the-provider-Qx7" and config.client_id == "safety-map-2"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("issuer", "http://login.brackenford-council.example", "starting with https://"),
        ("issuer", "https://login.example/?tenant=1", "starting with https://"),
        ("allowed_domains", "", "at least one email domain"),
        ("role_mapping", "efh-panel = superuser", "one group per line"),
        ("role_mapping", "", "one group per line"),
        ("client_id", "", "client ID"),
    ],
)
def test_settings_are_checked_before_saving(client: TestClient, session: Session, field: str, value: str, message: str) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    response = client.post("/staff/admin/sign-in", data=_settings_form(client, **{field: value}))
    assert response.status_code == 400
    assert message.lower() in response.text.lower()
    assert "s3cret-from-the-provider-Qx7" not in response.text
    assert session.exec(select(AreaOidcConfig)).all() == []


def test_only_admins_of_the_area_reach_the_settings(client: TestClient, session: Session) -> None:
    area = make_area(session)
    other = make_area(session, slug="northwick")
    make_oidc_config(session, other, issuer="https://login.northwick.example", client_id="nw", client_secret="northwick-secret")
    sign_in(client, make_staff(session, area, "statutory", "moderator").email)
    assert client.get("/staff/admin/sign-in").status_code == 403
    client.cookies.clear()
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/admin/sign-in").text
    assert "login.northwick.example" not in page and "northwick-secret" not in page
