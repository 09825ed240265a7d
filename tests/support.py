"""Helpers for driving the app over HTTP the way a browser does (CSRF token from the page, cookies)."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pyotp
from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import PASSWORD, TOTP_SECRET

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


_SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')


def totp_code(secret: str = TOTP_SECRET, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or that many 30-second steps later)."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=steps_ahead)


def secret_from(html: str) -> str:
    match = _SECRET_ON_PAGE.search(html)
    assert match, "set-up page shows no TOTP secret"
    return match.group(1).replace(" ", "")


def sign_in(
    client: TestClient, email: str, password: str = PASSWORD, *, totp_secret: str = TOTP_SECRET, area: str | None = None
) -> Response:
    """The whole staff sign-in: password, then a TOTP code (setting one up first if the page asks),
    then, for someone with roles in several areas, choosing `area` (a slug) on the page that asks.

    Returns the response that starts the session (or that moves it into the chosen area). Codes
    are single use, so a second sign-in of the same person within one 30-second step uses the next
    step's code, which the server's drift allowance accepts.
    """
    token = page_token(client, "/staff/sign-in")
    response = client.post("/staff/sign-in", data={"email": email, "password": password, "csrf_token": token, "next": "/staff/"})
    assert response.status_code == 303, response.text[:500]
    step_path = response.headers["location"]
    page = client.get(step_path)
    assert page.status_code == 200, page.text[:500]
    secret = secret_from(page.text) if step_path.endswith("/set-up-code") else totp_secret
    for steps_ahead in (0, 1):
        response = client.post(step_path, data={"code": totp_code(secret, steps_ahead=steps_ahead), "csrf_token": csrf_from(page.text)})
        if response.status_code == 303:
            if response.headers["location"].startswith("/staff/sign-in/area"):
                assert area, "this person has roles in several areas: pass area= to sign_in"
                return choose_area(client, area, response.headers["location"])
            return response
        assert response.status_code == 401, response.text[:500]
    raise AssertionError("the TOTP step refused both the current and the next code")


def choose_area(client: TestClient, area: str, path: str = "/staff/sign-in/area") -> Response:
    """Picks an area on the page that lists the person's areas (after sign-in, or the switcher at /staff/area)."""
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    assert f'name="area" value="{area}"' in page.text, f"{area} is not offered"
    next_path = re.search(r'name="next" value="([^"]*)"', page.text)
    action = path.split("?", 1)[0]
    data = {"area": area, "csrf_token": csrf_from(page.text), "next": next_path.group(1) if next_path else "/staff/"}
    response = client.post(action, data=data)
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


def free_port() -> int:
    """A loopback port nothing listens on right now, for a test server or a peer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_T = TypeVar("_T")


def run_in_own_loop(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """asyncio.run in a fresh thread: a worker that has run a browser test keeps Playwright's event
    loop running in its main thread, where asyncio.run would refuse to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
