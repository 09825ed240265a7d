"""Helpers for driving the app over HTTP the way a browser does (CSRF token from the page, cookies)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def page_token(client: TestClient, path: str = "/report") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    return csrf_from(response.text)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    token = page_token(client, "/staff/sign-in")
    response = client.post("/staff/sign-in", data={"email": email, "password": password, "csrf_token": token, "next": "/staff/"})
    assert response.status_code == 303, response.text[:500]
    return response


def report_form(client: TestClient, **fields: str | list[str]) -> dict[str, str | list[str]]:
    page = client.get("/report")
    data: dict[str, str | list[str]] = {
        "csrf_token": csrf_from(page.text),
        "submission_token": _SUBMISSION.search(page.text).group(1),  # type: ignore[union-attr]
        "kind": "unsafe",
        "location_text": "the alley behind the shops",
        "description": "Older lads hang around here after dark and shout at people.",
        "time_bands": ["evening"],
        "categories": ["followed_harassed"],
    }
    data.update(fields)
    return data


RECEIPT = re.compile(r'class="receipt-code"[^>]*>([A-Z0-9-]+)<')


def receipt_from(html: str) -> str:
    match = RECEIPT.search(html)
    assert match, "no receipt code on the page"
    return match.group(1)
