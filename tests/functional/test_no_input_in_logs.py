"""What people type never reaches the log, whatever they send and wherever they send it.

A marker goes through every route that takes a body (anonymous and signed in as an admin with a
valid CSRF token, so handlers really run) as JSON, as a form, as plain text, malformed and too large;
the captured log, tracebacks included, must not contain it. The access log names route templates,
never addresses, query strings or path values.
"""

from __future__ import annotations

import logging
import re
import sys

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.core.logs import NoTracebackFilter, fault_summary
from tests.factories import make_area, make_staff
from tests.functional.test_access_matrix import _walk_routes
from tests.support import csrf_from, sign_in

MARKER = "Zebra-Quill-4471"
FIELDS = (
    "description", "what_would_help", "location_text", "place_query", "code", "text", "name", "email",
    "password", "reason", "public_description", "summary", "note", "title", "label", "question",
)


def _bodies(csrf: str) -> list[dict[str, object]]:
    form = dict.fromkeys(FIELDS, MARKER) | {"csrf_token": csrf, "step": "what", "go": "next"}
    return [
        {"json": dict.fromkeys(FIELDS, MARKER) | {"lat": "NaN", "kind": MARKER}},
        {"content": f'{{"description": "{MARKER}", broken', "headers": {"content-type": "application/json"}},
        {"content": MARKER, "headers": {"content-type": "text/plain"}},
        {"data": form},
        {"content": MARKER * 40_000, "headers": {"content-type": "application/json"}},
    ]


def _fill(path: str) -> str:
    return re.sub(r"{\w+}", "1", path)


def _unsafe_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = set()
    for route in _walk_routes(list(app.routes)):
        for method in getattr(route, "methods", None) or ():
            if method in {"POST", "PUT", "PATCH", "DELETE"}:
                found.add((method, _fill(route.path)))
    return sorted(found)


def _send_everything(client: TestClient, app: FastAPI, csrf: str) -> int:
    sent = 0
    for method, path in _unsafe_routes(app):
        for body in _bodies(csrf):
            client.request(method, f"{path}?q={MARKER}", **body)  # type: ignore[arg-type]
            sent += 1
    return sent


@pytest.fixture
def quiet_client(web_app: FastAPI) -> TestClient:
    # Faults answer a generic page here instead of failing the test: the log is what is checked.
    return TestClient(web_app, follow_redirects=False, raise_server_exceptions=False)


def test_no_marker_reaches_the_log_from_any_route(
    quiet_client: TestClient, web_app: FastAPI, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    area = make_area(session)
    admin = make_staff(session, area, Role.ADMIN, Role.MODERATOR)
    caplog.set_level(logging.DEBUG)
    with quiet_client as client:
        anonymous = _send_everything(client, web_app, csrf_from(client.get("/report").text))
        sign_in(client, admin.email)
        signed_in = _send_everything(client, web_app, csrf_from(client.get("/staff/moderation").text))
    assert anonymous > 50
    assert signed_in == anonymous
    # httpx is the test's own client logging what it sent; everything else is the server.
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in server)
    assert MARKER not in logged
    assert "testclient" not in logged  # the client's address
    assert "q=" not in logged


def test_api_answers_the_documented_error_shape_without_echoing_input(client: TestClient, session: Session) -> None:
    make_area(session)
    for body in _bodies("")[:3]:
        response = client.post("/api/v1/reports", **body)  # type: ignore[arg-type]
        assert response.status_code == 422
        assert MARKER not in response.text
        for error in response.json()["detail"]:
            assert set(error) == {"loc", "msg", "type"}
    too_big = client.post("/api/v1/reports", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert too_big.status_code == 413


def test_access_log_names_route_templates_only(client: TestClient, session: Session, caplog: pytest.LogCaptureFixture) -> None:
    make_area(session)
    caplog.set_level(logging.INFO, logger="safetymap.access")
    response = client.get(f"/workshops/join?code={MARKER}")
    client.get(f"/no-such-page/{MARKER}")
    lines = [r.getMessage() for r in caplog.records if r.name == "safetymap.access"]
    assert any(line.startswith("GET /workshops/join ") for line in lines)
    assert any(line.startswith("GET /no-such-page/… 404") for line in lines)
    assert MARKER not in " ".join(lines)
    assert response.headers["x-request-id"] in " ".join(lines)


def test_a_traceback_logged_by_the_server_keeps_only_its_summary(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.server")
    logger.addFilter(NoTracebackFilter())
    try:
        raise ValueError(f"input was {MARKER}")
    except ValueError:
        logger.exception("Exception in ASGI application")
        summary = fault_summary(sys.exc_info()[1])  # type: ignore[arg-type]
    assert MARKER not in caplog.text
    assert "ValueError at tests/functional/test_no_input_in_logs.py" in summary
    assert summary in caplog.text


def test_head_answers_every_get_page_with_headers_and_no_body(client: TestClient, session: Session) -> None:
    make_area(session)
    for path in ("/", "/report", "/track", "/map", "/you-said-we-did", "/workshops/join", "/healthz", "/staff/sign-in"):
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b""
        assert head.headers.get("content-type") == get.headers.get("content-type")


def test_the_apps_own_log_lines_are_shown_by_a_handler_of_their_own(web_app: FastAPI) -> None:
    """uvicorn configures only its own loggers; without this the access log was never printed."""
    import app.core.logs as logs

    handlers = [h for h in logging.getLogger("safetymap").handlers if isinstance(h, logs._AppHandler)]
    assert len(handlers) == 1
    assert logging.getLogger("safetymap.access").getEffectiveLevel() <= logging.INFO
