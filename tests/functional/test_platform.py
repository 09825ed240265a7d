"""Platform contracts: health, OpenAPI, security headers, CSRF, languages, every public page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.audit import service as audit
from tests.factories import make_area, make_staff
from tests.support import csrf_from

PUBLIC_PAGES = ["/", "/report", "/track", "/map", "/you-said-we-did", "/help", "/privacy", "/exit-this-page"]


def test_healthz_answers_json_when_the_database_is_up(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    # The test app has no mail server, so safeguarding alerts cannot be emailed: degraded, not ok.
    assert response.json()["status"] == "degraded" and response.json()["mail"] == "not_configured"


def test_openapi_document_is_served(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/api/v1/reports" in document["paths"]
    assert not any(path.startswith("/staff") for path in document["paths"])


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_title_language_exit_and_help(client: TestClient, session: Session, path: str) -> None:
    make_area(session)
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    assert re.search(r"<html lang=\"en\">", html)
    assert re.search(r"<title>[^<]+ – Brackenford</title>", html)
    assert "data-exit-this-page" in html and "Exit this page" in html
    assert 'href="/help"' in html and "Get help now" in html
    # Nothing from a third party loads by default: every script, image and stylesheet is our own.
    loads = re.findall(r'\bsrc="([^"]+)"', html) + re.findall(r'<link\b[^>]*\bhref="([^"]+)"', html)
    assert [url for url in loads if url.startswith("http")] == []
    # Links out only navigate when pressed: the exit link and the help services, nothing else.
    for href in re.findall(r'<a\b[^>]*\bhref="(http[^"]+)"', html):
        assert href in {"https://www.bbc.co.uk/weather", "https://www.childline.org.uk/", "https://www.fearless.org/"}, href


def test_security_headers_are_on_every_response(client: TestClient, session: Session) -> None:
    make_area(session)
    for path in ["/", "/report", "/staff/sign-in", "/healthz"]:
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        for directive in ("default-src 'none'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "permissions-policy" in headers
        assert headers["cache-control"] == "no-store"


def test_static_files_are_cached_and_not_no_store(client: TestClient) -> None:
    response = client.get("/static/css/app.css?v=1")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    # Modules imported without a version are revalidated, so a deploy never leaves a stale one behind.
    unversioned = client.get("/static/js/report-flow.js")
    assert unversioned.headers["cache-control"] == "no-cache"


def test_unsafe_request_without_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    client.get("/staff/sign-in")
    response = client.post("/staff/sign-in", data={"email": user.email, "password": "x"})
    assert response.status_code == 403
    assert "Please try again" in response.text


def test_cross_site_post_is_refused_even_with_a_token(client: TestClient, session: Session) -> None:
    make_area(session)
    token = csrf_from(client.get("/track").text)
    response = client.post("/track", data={"code": "x", "csrf_token": token}, headers={"sec-fetch-site": "cross-site"})
    assert response.status_code == 403


def test_welsh_is_chosen_from_the_browser_language(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.get("/", headers={"accept-language": "cy-GB,cy;q=0.9,en;q=0.5"})
    assert '<html lang="cy">' in response.text
    assert "Gadael y dudalen hon" in response.text


def test_an_explicit_language_choice_beats_the_browser(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.get("/language/en?next=/report", headers={"accept-language": "cy"})
    assert response.status_code == 303 and response.headers["location"] == "/report"
    page = client.get("/report", headers={"accept-language": "cy"})
    assert '<html lang="en">' in page.text


def test_language_switch_never_redirects_off_site(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.get("/language/cy?next=//evil.example/")
    assert response.headers["location"] == "/"


def test_unknown_page_is_a_friendly_404(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_site_without_an_area_says_it_is_not_set_up(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 503
    assert "not set up yet" in response.text


def test_the_audit_log_refuses_updates_and_deletes(session: Session) -> None:
    area = make_area(session)
    event = audit.record(session, "test.event", area_id=area.id)
    session.commit()
    for statement in ("UPDATE audit_event SET action = 'x' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(Exception, match="append-only"):
            session.execute(text(statement), {"id": event.id})
        session.rollback()


def test_static_files_are_compressed_but_pages_are_not(client: TestClient) -> None:
    script = client.get("/static/vendor/htmx.min.js?v=1", headers={"Accept-Encoding": "gzip"})
    assert script.headers.get("content-encoding") == "gzip"
    page = client.get("/report", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in page.headers  # a CSRF token beside typed text: no BREACH oracle
