"""Twenty people walking the report form at once, against a real server on loopback.

Each reporter is a thread with its own httpx client (its own cookies, as its own phone), going
through every screen the way a browser without JavaScript does, then sending. With the old request
path, blocking database work on the event loop and a write lock held across responses, two reporters
already stalled each other; here all twenty must end with a receipt, with no 5xx and no time-out.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, select

from app.core.config import Settings
from app.reports.models import Report
from tests.factories import make_area, make_place
from tests.support import csrf_from, free_port

REPORTERS = 20
SECONDS = 15  # the whole run; every flow must have finished well inside it
_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')
_RECEIPT = re.compile(r'class="receipt-code"[^>]*>([A-Z0-9-]{14})<')

# (screen, its answers): what a person fills in on each screen before pressing Next.
SCREENS: list[tuple[str, dict[str, str | list[str]]]] = [
    ("kind", {"kind": "unsafe"}),
    ("where", {"location_text": "the path behind the leisure centre"}),
    ("when", {"time_bands": ["evening", "night"], "days": ["weekends"]}),
    ("what", {"description": "Dark along the path and the lights by the bins have been out for weeks."}),
    ("feel", {"feeling": "2", "what_would_help": "Fix the lights."}),
    ("about", {"reporter_role": "young_person", "age_band": "14_15"}),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Twenty phones behind one loopback address: the per-address report limit is not under test here.
    return settings.model_copy(update={"report_rate_limit": 1_000_000})


@pytest.fixture
def live_server(web_app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a loopback port, as `safetymap serve` runs it (in this process)."""
    port = free_port()
    config = uvicorn.Config(
        web_app, host="127.0.0.1", port=port, log_level="warning", access_log=False, proxy_headers=False,
        server_header=False, lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _walk(base: str, deadline: float, problems: list[str]) -> str | None:
    """One reporter: every screen, then Send. Returns the receipt code, or None (and says why)."""
    answers: dict[str, str | list[str]] = {}
    with httpx.Client(base_url=base, timeout=max(deadline - time.monotonic(), 1)) as client:
        try:
            page = client.get("/report")
            if page.status_code != 200:
                problems.append(f"GET /report: {page.status_code}")
                return None
            token = _SUBMISSION.search(page.text)
            assert token
            answers["submission_token"] = token.group(1)
            for screen, given in SCREENS:
                answers |= given
                response = client.post("/report", data={"csrf_token": csrf_from(page.text), "step": screen, "go": "next"} | answers)
                if response.status_code != 200:
                    problems.append(f"{screen}: {response.status_code}")
                    return None
                page = response
            sent = client.post("/report", data={"csrf_token": csrf_from(page.text), "step": "check", "go": "send"} | answers)
        except httpx.TimeoutException:
            problems.append("time-out")
            return None
        if sent.status_code != 200:
            problems.append(f"send: {sent.status_code}")
            return None
        receipt = _RECEIPT.search(sent.text)
        if receipt is None:
            problems.append("send: no receipt on the page")
            return None
        return receipt.group(1)


def test_twenty_reporters_at_once_all_get_a_receipt(live_server: str, session: Session) -> None:
    area = make_area(session)
    make_place(session, area)
    deadline = time.monotonic() + SECONDS
    problems: list[str] = []
    receipts: list[str] = []
    rounds = 0
    # Keep all twenty busy for the whole run: as soon as one flow ends, that reporter starts another.
    with ThreadPoolExecutor(max_workers=REPORTERS) as pool:
        while time.monotonic() < deadline - 5 and not problems:  # leave the last flows time to finish
            results = list(pool.map(lambda _n: _walk(live_server, deadline, problems), range(REPORTERS)))
            receipts += [code for code in results if code]
            rounds += 1
    assert problems == [], problems[:5]
    assert rounds >= 1 and len(receipts) == rounds * REPORTERS
    stored = {report.receipt_code for report in session.exec(select(Report)).all()}
    assert set(receipts) == stored
