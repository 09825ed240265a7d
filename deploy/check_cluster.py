"""Checks a running `make run-cluster` from the outside, through the proxy.

Usage: .venv/bin/python deploy/check_cluster.py [--proxy http://127.0.0.1:8080]
(database and Redis as the cluster's: SAFETYMAP_DATABASE_URL, default safetymap_cluster)

- /healthz answers 200 through the proxy with database "postgresql" and redis "ok";
- pages are sent uncompressed even when the browser asks for gzip (BREACH), static files gzipped;
- a body over 256 KB is refused with 413 by the proxy;
- a spoofed X-Forwarded-For is replaced by the proxy (the address the app sees is the proxy's view);
- the workshop live wall works across processes: a wall's stream is opened through the proxy, then
  an entry is posted and shown on each app process in turn (straight to its port): whichever
  process holds the stream, one of the entries was accepted by the other one, and both must reach
  the wall within 3 s (pushed through Redis; start the cluster with a long
  SAFETYMAP_WORKSHOP_HEARTBEAT_SECONDS, e.g. 50, so a heartbeat re-read cannot be what delivers it).

Adds a facilitator account (check-*@brackenford.example, paused at the end) and a workshop to the
demo area. Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import threading
import time
from pathlib import Path

import httpx
import pyotp
from pydantic import SecretStr
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.accounts.models import User  # noqa: E402
from app.accounts.service import StaffIdentity, create_user  # noqa: E402
from app.areas.models import Area  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.core.types import utcnow  # noqa: E402
from app.workshops import service as workshops  # noqa: E402
from app.workshops.schemas import WorkshopCreate  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CARD = re.compile(r'id="wall-entry-(\d+)"')
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/safetymap_cluster"
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def seed(database_url: str, password: str, totp: str) -> tuple[str, int, str]:
    db = Database(Settings(database_url=database_url, secret_key=SecretStr("x" * 40)))
    with Session(db.engine, expire_on_commit=False) as session:
        area = session.exec(select(Area).where(Area.slug == "brackenford")).one()
        email = f"check-{secrets.token_hex(4)}@brackenford.example"
        user = create_user(session, email=email, display_name="Cluster check", password=password, area=area, roles=["facilitator"])
        user.totp_secret, user.totp_confirmed_at = totp, utcnow()
        session.commit()
        identity = StaffIdentity(user=user, area=area, roles=frozenset({"facilitator"}), session_id=0)
        workshop = workshops.create_workshop(
            session, area, identity, WorkshopCreate(title="Cluster check", held_on=utcnow().date(), votes_per_person=3), code_hours=1
        )
        assert workshop.id is not None
        result = (email, workshop.id, workshop.join_code)
    db.dispose()
    return result


def pause_account(database_url: str, email: str) -> None:
    db = Database(Settings(database_url=database_url, secret_key=SecretStr("x" * 40)))
    with Session(db.engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        user.is_active = False
        session.commit()
    db.dispose()


class Wall:
    """A wall's event stream read in a thread, as a browser's EventSource would."""

    def __init__(self, cookies: httpx.Cookies, url: str) -> None:
        self.text = ""
        self.status = 0
        self.client = httpx.Client(cookies=cookies, timeout=httpx.Timeout(5, read=120))
        self.closing = False
        self.thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self.thread.start()

    def _read(self, url: str) -> None:
        try:
            with self.client.stream("GET", url, headers={"accept": "text/event-stream"}) as response:
                self.status = response.status_code
                for line in response.iter_lines():
                    self.text += line + "\n"
        except (httpx.HTTPError, RuntimeError):
            if not self.closing:
                raise

    def wait_for(self, entry_id: int, timeout: float) -> float | None:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if entry_id in map(int, CARD.findall(self.text)):
                return time.monotonic() - start
            time.sleep(0.02)
        return None

    def close(self) -> None:
        self.closing = True
        self.client.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy", default="http://127.0.0.1:8080")
    parser.add_argument("--cluster-dir", type=Path, default=Path(os.environ.get("SAFETYMAP_DATA_DIR", "var")) / "cluster")
    args = parser.parse_args()
    proxy = args.proxy
    database_url = os.environ.get("SAFETYMAP_DATABASE_URL") or DEFAULT_DATABASE
    backends = [f"http://127.0.0.1:{p.read_text().strip()}" for p in sorted(args.cluster_dir.glob("app-*.port"))]
    check(len(backends) >= 2, f"two or more app processes: {backends}")

    health = httpx.get(f"{proxy}/healthz", timeout=5)
    check(health.status_code == 200 and health.json()["database"] == "postgresql" and health.json()["redis"] == "ok",
          f"/healthz through the proxy: {health.status_code} {health.text}")
    page = httpx.get(f"{proxy}/report", headers={"accept-encoding": "gzip"}, timeout=5)
    check(page.status_code == 200 and "content-encoding" not in page.headers, "a page is sent uncompressed although gzip was offered")
    static = re.search(r'href="(/static/css/[^"]+)"', page.text)
    assert static
    css = httpx.get(f"{proxy}{static.group(1)}", headers={"accept-encoding": "gzip"}, timeout=5)
    check(css.headers.get("content-encoding") == "gzip", "a static file is gzipped")
    big = httpx.post(f"{proxy}/report", content=b"a" * 300_000, headers={"content-type": "application/x-www-form-urlencoded"}, timeout=10)
    check(big.status_code == 413, f"a 300 KB body is refused: {big.status_code}")
    check("server: nginx" in "\n".join(f"{k}: {v}" for k, v in page.headers.items()).lower() and "nginx/" not in page.headers.get("server", ""),
          "nginx does not show its version")

    password, totp = secrets.token_urlsafe(16), pyotp.random_base32()
    email, workshop_id, code = seed(database_url, password, totp)
    try:
        with httpx.Client(base_url=proxy, timeout=10) as staff, httpx.Client(timeout=10) as phone:
            form = staff.get("/staff/sign-in")
            sent = staff.post("/staff/sign-in", data={"email": email, "password": password, "csrf_token": CSRF.search(form.text).group(1), "next": "/staff/"})  # type: ignore[union-attr]
            step = staff.get(sent.headers["location"])
            done = staff.post(sent.headers["location"], data={"code": pyotp.TOTP(totp).now(), "csrf_token": CSRF.search(step.text).group(1)})  # type: ignore[union-attr]
            check(done.status_code == 303, "the facilitator signs in through the proxy")
            joined = phone.get(f"{proxy}/workshops/join?code={code}")
            phone.post(f"{proxy}/workshops/join", data={"code": code, "csrf_token": CSRF.search(joined.text).group(1)})  # type: ignore[union-attr]

            wall = Wall(staff.cookies, f"{proxy}/staff/workshops/{workshop_id}/events?view=wall&after=0")
            time.sleep(1.0)
            check(wall.status == 200, f"the wall's stream opens through the proxy: {wall.status}")
            for n, base in enumerate(backends, 1):
                session_page = phone.get(f"{base}/workshops/session")
                token = CSRF.search(session_page.text).group(1)  # type: ignore[union-attr]
                posted = phone.post(f"{base}/workshops/session/entries", data={
                    "csrf_token": token, "submission_token": secrets.token_urlsafe(18), "kind": "unsafe",
                    "location_text": "the canal path", "description": f"The canal path has no lights (check {n}).",
                })
                console = staff.get(f"{base}/staff/workshops/{workshop_id}")
                entry_id = int(re.findall(r'id="waiting-(\d+)"', console.text)[-1])
                shown = staff.post(f"{base}/staff/workshops/{workshop_id}/entries/{entry_id}/check",
                                   data={"csrf_token": CSRF.search(console.text).group(1), "decision": "show"})  # type: ignore[union-attr]
                seconds = wall.wait_for(entry_id, timeout=3)
                check(posted.status_code == 303 and shown.status_code == 303 and seconds is not None,
                      f"entry {entry_id} accepted and shown by {base} reached the wall opened through the proxy"
                      + (f" in {seconds:.2f} s" if seconds is not None else " (not within 3 s)"))
            wall.close()
    finally:
        pause_account(database_url, email)
    print("PASS" if not failures else f"FAIL: {len(failures)} checks")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
