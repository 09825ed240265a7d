"""Two app processes on loopback sharing PostgreSQL and Redis: an entry accepted by one process
reaches a wall connected to the other, pushed through Redis (the heartbeat is set far longer than
the test waits, so a database re-read at heartbeat time cannot be what delivers it). A wall that
reconnects with Last-Event-ID gets exactly what it missed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from pydantic import SecretStr
from sqlmodel import Session

from app.core import migrate
from app.core.config import Settings
from app.core.db import Database
from tests.conftest import IN_CI, POSTGRES_ADMIN_URL, TEST_SECRET
from tests.factories import make_area, make_staff, make_workshop
from tests.support import csrf_from, free_port, sign_in

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SAFETYMAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CARD = re.compile(r'id="wall-entry-(\d+)"')


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def shared_postgres(worker_id: str) -> Iterator[str]:
    name = f"safetymap_live_{worker_id}_{os.getpid()}".replace("-", "_")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    migrate.upgrade(url)
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared_redis() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def _start(port: int, database_url: str, redis_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "SAFETYMAP_ENV": "test",
        "SAFETYMAP_DATABASE_URL": database_url,
        "SAFETYMAP_REDIS_URL": redis_url,
        "SAFETYMAP_SECRET_KEY": TEST_SECRET,
        "SAFETYMAP_DATA_DIR": str(data_dir),
        "SAFETYMAP_BASE_URL": f"http://127.0.0.1:{port}",
        "SAFETYMAP_ALERT_LOOP_SECONDS": "0",
        "SAFETYMAP_WORKSHOP_HEARTBEAT_SECONDS": "50",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--timeout-graceful-shutdown", "2"]
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app process exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError("app process did not start")


class Wall:
    """A wall's event stream read in a thread, as a browser's EventSource would, with its own connection."""

    def __init__(self, staff: httpx.Client, url: str, last_event_id: str | None = None) -> None:
        self.text = ""
        self.last_id = ""
        self.status = 0
        self._client = httpx.Client(cookies=staff.cookies, timeout=httpx.Timeout(5, read=60))
        self._closing = False
        headers = {"accept": "text/event-stream"} | ({"last-event-id": last_event_id} if last_event_id else {})
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                pending = ""
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        pending = line[4:]
                    elif line == "" and pending:
                        self.last_id = pending  # an event's id counts once the whole event has arrived
                    self.text += line + "\n"
        except (httpx.HTTPError, RuntimeError):
            if not self._closing:
                raise

    def cards(self) -> list[int]:
        return [int(i) for i in CARD.findall(self.text)]

    def wait_for_card(self, entry_id: int, timeout: float = 10) -> float:
        start = time.monotonic()
        while entry_id not in self.cards():
            if time.monotonic() - start > timeout:
                raise AssertionError(f"entry {entry_id} did not reach the wall (status {self.status}); got {self.text[-500:]!r}")
            time.sleep(0.02)
        return time.monotonic() - start

    def close(self) -> None:
        self._closing = True
        self._client.close()
        self._thread.join(timeout=5)


def _add_and_show(participant: httpx.Client, staff: httpx.Client, base: str, workshop_id: int, words: str, session: Session) -> int:
    page = participant.get(f"{base}/workshops/session/add")  # the entry's first screen holds its token
    token = re.search(r'name="submission_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    sent = participant.post(f"{base}/workshops/session/entries", data={
        "csrf_token": csrf_from(page.text), "submission_token": token, "kind": "unsafe",
        "location_text": "the canal path", "description": words,
    })
    assert sent.status_code == 303, sent.text[:300]
    console = staff.get(f"{base}/staff/workshops/{workshop_id}")
    entry_id = int(re.findall(r'id="waiting-(\d+)"', console.text)[-1])
    shown = staff.post(f"{base}/staff/workshops/{workshop_id}/entries/{entry_id}/check", data={"csrf_token": csrf_from(console.text), "decision": "show"})
    assert shown.status_code == 303
    return entry_id


def test_an_entry_accepted_by_one_process_reaches_a_wall_on_the_other(shared_postgres: str, shared_redis: str, tmp_path: Path) -> None:
    db = Database(Settings(database_url=shared_postgres, secret_key=SecretStr(TEST_SECRET)))
    with Session(db.engine, expire_on_commit=False) as session:
        area = make_area(session)
        facilitator = make_staff(session, area, "facilitator")
        workshop = make_workshop(session, area, facilitator)
        email, workshop_id, code = facilitator.email, workshop.id, workshop.join_code
    db.dispose()
    assert workshop_id is not None

    port_a, port_b = free_port(), free_port()
    processes = [_start(port_a, shared_postgres, shared_redis, tmp_path / "a"), _start(port_b, shared_postgres, shared_redis, tmp_path / "b")]
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    try:
        with httpx.Client(base_url=a, follow_redirects=False) as staff, httpx.Client(follow_redirects=False) as participant, \
                Session(Database(Settings(database_url=shared_postgres, secret_key=SecretStr(TEST_SECRET))).engine) as session:
            sign_in(staff, email)  # type: ignore[arg-type]  # an httpx.Client drives the app as a TestClient does
            page = participant.get(f"{a}/workshops/join")
            assert participant.post(f"{a}/workshops/join", data={"code": code, "csrf_token": csrf_from(page.text)}).status_code == 303

            wall = Wall(staff, f"{b}/staff/workshops/{workshop_id}/events?view=wall&after=0")
            time.sleep(0.5)  # the wall is listening before anything happens
            first = _add_and_show(participant, staff, a, workshop_id, "The canal path has no lights.", session)
            seconds = wall.wait_for_card(first)
            assert seconds < 5, f"took {seconds:.1f}s: pushed through Redis, not found at a heartbeat"
            seen = wall.last_id
            wall.close()

            # While that wall is away, another entry goes up through process A.
            second = _add_and_show(participant, staff, a, workshop_id, "Nobody is around the lock at night.", session)
            again = Wall(staff, f"{b}/staff/workshops/{workshop_id}/events?view=wall&after=0", last_event_id=seen)
            again.wait_for_card(second)
            time.sleep(0.3)
            assert again.cards() == [second]  # what it missed, and nothing it had already
            again.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


