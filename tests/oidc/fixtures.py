"""The `oidc_provider` fixture: a real OpenID provider (npm oidc-provider) on loopback.

One provider per test session (and xdist worker), started with Node and stopped at the end. Tests
register their own client with it (dynamic registration) and drive its development login screen,
either with httpx here or in Chromium. Nothing about the provider is mocked.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

SCRIPT = Path(__file__).with_name("provider.mjs")
ROOT = Path(__file__).resolve().parents[2]
_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.I)


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str


@dataclass
class OidcProvider:
    issuer: str
    port: int

    def register_client(self, *, redirect_uris: list[str], post_logout_redirect_uris: list[str]) -> RegisteredClient:
        response = httpx.post(
            f"{self.issuer}/reg",
            json={
                "client_name": "Safety Map (tests)",
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return RegisteredClient(client_id=body["client_id"], client_secret=body["client_secret"])

    def authorize(self, authorize_url: str, *, login: str, returns_to: str) -> str:
        """Plays the person at the provider: signs in as `login`, agrees, and returns the URL the
        provider sends the browser back to (which starts with `returns_to`)."""
        with httpx.Client(follow_redirects=False, timeout=10) as browser:
            response = browser.get(authorize_url)
            for _ in range(12):
                if response.is_redirect:
                    url = urljoin(str(response.url), response.headers["location"])
                    if url.startswith(returns_to):
                        return url
                    response = browser.get(url)
                    continue
                action = _FORM_ACTION.search(response.text)
                assert response.status_code == 200 and action, f"provider answered {response.status_code}: {response.text[:500]}"
                target = urljoin(str(response.url), unescape(action.group(1)))
                if 'name="prompt" value="login"' in response.text:
                    response = browser.post(target, data={"prompt": "login", "login": login, "password": "any password"})
                else:
                    response = browser.post(target, data={"prompt": "consent"})
        raise AssertionError("the provider never sent the browser back")


def _start_provider(node: str, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    with log_path.open("wb") as log:
        # Node's warnings (runtime version, development-only features) go to the log file.
        process = subprocess.Popen(  # noqa: S603  (a fixed script from this repository)
            [node, str(SCRIPT)], cwd=ROOT, stdout=subprocess.PIPE, stderr=log
        )
    assert process.stdout is not None
    deadline = time.monotonic() + 20
    line = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            break
        if process.poll() is not None:
            break
    match = re.match(rb"port (\d+)", line)
    if not match:
        process.kill()
        process.wait()
        raise RuntimeError(f"the OpenID provider did not start; see {log_path}")
    return process, int(match.group(1))


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        message = "Node.js and node_modules/oidc-provider are needed for the single sign-on tests (npm ci)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    process, port = _start_provider(node, tmp_path_factory.mktemp("oidc") / "provider.log")
    try:
        yield OidcProvider(issuer=f"http://127.0.0.1:{port}", port=port)
    finally:
        assert process.stdout is not None
        process.stdout.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
