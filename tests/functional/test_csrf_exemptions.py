"""Every route that skips the app-wide CSRF check, and why. A new exemption fails this test until it is
added here, so it is always a visible, reviewed change."""

from __future__ import annotations

from fastapi import FastAPI

from tests.functional.test_access_matrix import _walk_routes

EXPECTED = {
    ("POST", "/api/v1/reports"): "JSON API: authenticates nothing from cookies",
    ("POST", "/api/v1/track"): "JSON API: authenticates nothing from cookies",
    ("POST", "/report"): "checks its own token so that a stale form shows the answers again instead of losing them",
    ("POST", "/workshops/session/entries"): "checks its own token so that a stale form shows the entry again instead of losing it",
}


def test_the_csrf_exemptions_are_exactly_these(web_app: FastAPI) -> None:
    found = {}
    for route in _walk_routes(list(web_app.routes)):
        reason = getattr(getattr(route, "endpoint", None), "csrf_exempt_reason", None)
        if reason:
            for method in route.methods:
                found[(method, route.path)] = reason
    assert found == EXPECTED
