"""A person's roles are per area: they choose an area after sign-in, switch between their own
areas only, and one area's single sign-on never reaches into another area."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import AreaOidcConfig, Membership, OidcDomain, StaffSession, User
from app.audit.models import AuditEvent
from tests.factories import make_area, make_context, make_oidc_config, make_staff
from tests.functional.test_sso import _callback_for, _configure, _settings_form
from tests.oidc.fixtures import OidcProvider
from tests.support import choose_area, csrf_from, sign_in

SAM = "sam.okafor@brackenford-council.example"


def _add_role(session: Session, user: User, area: object, role: str) -> None:
    session.add(Membership(user_id=user.id, area_id=area.id, role=role))  # type: ignore[attr-defined]
    session.commit()


def _roles(session: Session, user: User) -> set[tuple[int, str]]:
    rows = session.exec(select(Membership.area_id, Membership.role).where(Membership.user_id == user.id)).all()
    return {(area_id, role) for area_id, role in rows}


def test_someone_with_roles_in_several_areas_chooses_after_signing_in(client: TestClient, session: Session) -> None:
    home = make_area(session, "brackenford")
    # Sorts first by name: it used to be where everyone with both landed.
    first = make_area(session, "aardvale")
    user = make_staff(session, home, "moderator")
    _add_role(session, user, first, "statutory")
    response = sign_in(client, user.email, area="brackenford")
    assert response.headers["location"] == "/staff/"
    assert client.get("/staff/moderation").status_code == 200
    chosen = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.area_chosen")).one()
    assert chosen.area_id == home.id


def test_before_choosing_no_staff_page_opens(client: TestClient, session: Session) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "aardvale")
    user = make_staff(session, home, "moderator")
    _add_role(session, user, other, "statutory")
    token = csrf_from(client.get("/staff/sign-in").text)
    client.post("/staff/sign-in", data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token})
    page = client.get("/staff/sign-in/code")
    from tests.support import totp_code

    done = client.post("/staff/sign-in/code", data={"code": totp_code(), "csrf_token": csrf_from(page.text)})
    assert done.headers["location"].startswith("/staff/sign-in/area")
    assert client.get("/staff/moderation").status_code == 303
    assert client.get("/staff/sign-in").headers["location"].startswith("/staff/sign-in/area")
    choices = client.get("/staff/sign-in/area").text
    assert 'value="brackenford"' in choices and 'value="aardvale"' in choices
    # An area where they have no role is not theirs to choose.
    make_area(session, "northwick")
    refused = client.post("/staff/sign-in/area", data={"area": "northwick", "csrf_token": csrf_from(choices)})
    assert refused.status_code == 404
    assert session.exec(select(StaffSession)).one().area_id is None


def test_the_switcher_moves_between_the_persons_own_areas_and_nowhere_else(web_app: FastAPI, client: TestClient, session: Session) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "aardvale")
    stranger = make_area(session, "northwick")
    make_context(session, home, "Brackenford Canal Walk")
    make_context(session, other, "Aardvale Bus Station")
    user = make_staff(session, home, "moderator")
    _add_role(session, user, other, "statutory")
    sign_in(client, user.email, area="brackenford")
    page = client.get("/staff/register")
    assert 'href="/staff/area"' in page.text
    assert "Brackenford Canal Walk" in page.text and "Aardvale Bus Station" not in page.text
    old_cookie = dict(client.cookies)

    assert choose_area(client, "aardvale", "/staff/area").headers["location"] == "/staff/"
    page = client.get("/staff/register")
    assert "Aardvale Bus Station" in page.text and "Brackenford Canal Walk" not in page.text
    # Only the roles held in this area count here.
    assert client.get("/staff/moderation").status_code == 403
    # The session token changed with the area: the old cookie opens nothing.
    with TestClient(web_app, follow_redirects=False, cookies=old_cookie) as old:
        assert old.get("/staff/register").status_code == 303

    # An area where they have no role cannot be switched to.
    token = csrf_from(page.text)
    assert client.post("/staff/area", data={"area": "northwick", "csrf_token": token}).status_code == 404
    assert client.post("/staff/area", data={"area": "nowhere", "csrf_token": token}).status_code == 404
    assert "Aardvale Bus Station" in client.get("/staff/register").text
    assert stranger.id not in {event.area_id for event in session.exec(select(AuditEvent)).all()}
    switched = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.area_switched")).one()
    assert switched.area_id == other.id and switched.detail["from_area_id"] == home.id


def test_someone_with_one_area_sees_no_switcher(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "moderator").email)
    assert 'href="/staff/area"' not in client.get("/staff/moderation").text


def test_single_sign_on_stays_in_its_area_and_touches_no_other(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "northwick")
    sam = make_staff(session, other, "admin", email=SAM)
    _configure(session, oidc_provider, home)
    assert client.get(_callback_for(client, oidc_provider, "sam")).status_code == 303
    # Brackenford's provider set Sam's Brackenford roles, and nothing of Northwick's.
    assert _roles(session, sam) == {(other.id, "admin"), (home.id, "statutory")}
    assert session.exec(select(StaffSession)).one().area_id == home.id
    page = client.get("/staff/register")
    assert page.status_code == 200 and 'href="/staff/area"' not in page.text
    switcher = client.get("/staff/area")
    assert switcher.status_code == 200 and "speaks for this area only" in switcher.text
    assert 'value="northwick"' not in switcher.text
    assert client.post("/staff/area", data={"area": "northwick", "csrf_token": csrf_from(page.text)}).status_code == 404
    assert client.get("/staff/admin/sign-in").status_code == 403


def test_a_role_removed_at_the_organisation_ends_sessions_in_that_area_only(web_app: FastAPI, session: Session, oidc_provider: OidcProvider) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "northwick")
    sam = make_staff(session, home, "moderator", email=SAM)
    _add_role(session, sam, other, "admin")
    _configure(session, oidc_provider, home, role_mapping={"efh-panel": ["statutory"]})
    with TestClient(web_app, follow_redirects=False) as in_home, TestClient(web_app, follow_redirects=False) as in_other:
        sign_in(in_home, SAM, area="brackenford")
        sign_in(in_other, SAM, area="northwick")
        with TestClient(web_app, follow_redirects=False) as sso:
            assert sso.get(_callback_for(sso, oidc_provider, "sam")).status_code == 303
            assert sso.get("/staff/register").status_code == 200
        # Moderator was taken away in Brackenford: that session has ended; Northwick's goes on.
        assert in_home.get("/staff/moderation").status_code == 303
        assert in_other.get("/staff/admin/sign-in").status_code == 200
    assert _roles(session, sam) == {(other.id, "admin"), (home.id, "statutory")}
    ended = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sessions_ended")).one()
    assert ended.detail == {"reason": "role_removed", "count": 1} and ended.area_id == home.id


def test_an_email_domain_belongs_to_one_area_only(client: TestClient, session: Session) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "northwick")
    make_oidc_config(session, home, issuer="https://login.brackenford-council.example", client_id="b", client_secret="s", allowed_domains="brackenford-council.example, police.example")
    sign_in(client, make_staff(session, other, "admin").email)
    response = client.post("/staff/admin/sign-in", data=_settings_form(client, allowed_domains="northwick.example, police.example"))
    assert response.status_code == 400
    assert "Another area&#39;s sign-in already lets in people at police.example" in response.text
    assert "An email domain can belong to one area only" in response.text
    assert session.exec(select(AreaOidcConfig).where(AreaOidcConfig.area_id == other.id)).all() == []
    owners = {row.domain: row.area_id for row in session.exec(select(OidcDomain)).all()}
    assert owners == {"brackenford-council.example": home.id, "police.example": home.id}
    # Without the other area's domain it saves, and the domains it names are Northwick's.
    assert client.post("/staff/admin/sign-in", data=_settings_form(client, allowed_domains="northwick.example")).status_code == 303
    session.expire_all()
    assert session.get(OidcDomain, "northwick.example").area_id == other.id  # type: ignore[union-attr]
    # Dropping a domain from the settings gives it up.
    assert client.post("/staff/admin/sign-in", data=_settings_form(client, allowed_domains="nw.example")).status_code == 303
    assert session.get(OidcDomain, "northwick.example") is None


def test_a_domain_another_area_owns_is_refused_at_sign_in(client: TestClient, session: Session, oidc_provider: OidcProvider) -> None:
    """Settings saved before domains were exclusive may still list one another area owns."""
    home = make_area(session, "brackenford")
    first = make_area(session, "aardvale")
    make_oidc_config(session, first, issuer="https://login.aardvale.example", client_id="a", client_secret="s")
    _configure(session, oidc_provider, home, allowed_domains="")
    config = session.exec(select(AreaOidcConfig).where(AreaOidcConfig.area_id == home.id)).one()
    config.allowed_domains = "brackenford-council.example"
    session.add(config)
    session.commit()
    response = client.get(_callback_for(client, oidc_provider, "sam"))
    assert response.status_code == 403
    assert session.exec(select(User)).all() == []
    refusal = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_refused").order_by(col(AuditEvent.id))).all()[-1]
    assert refusal.detail["reason"] == "oidc_domain"


@pytest.mark.parametrize("path", ["/staff/sign-in/area", "/staff/area"])
def test_choosing_needs_the_csrf_token(client: TestClient, session: Session, path: str) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "moderator").email)
    assert client.post(path, data={"area": "brackenford"}).status_code == 403
