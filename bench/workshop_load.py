"""A full room: 60 phones posting entries and 3 live walls connected for a minute.

Usage (from the repository root):
    python bench/workshop_load.py [--participants 60] [--walls 3] [--seconds 60]
    python bench/workshop_load.py --postgres postgresql://postgres@127.0.0.1:5432/postgres \
        --redis redis://127.0.0.1:6379/0 --processes 2

Starts the app on loopback (`uvicorn app.main:create_app --factory`): by default one process on a
throwaway SQLite file; with --postgres, a throwaway PostgreSQL database (created through that admin
URL, dropped afterwards) served by --processes processes that share --redis for the live fan-out.
Seeds an area, a facilitator and a workshop straight into the database, then for --seconds:

- every participant joins with the code (spread over the processes) and posts an entry every few
  seconds, as a phone would (one POST each, CSRF token and submission token as the page sends);
- a facilitator loop checks every waiting entry onto the wall as fast as it can (a person would be
  slower; the point is to push every entry through the live stream);
- at the end, about one participant in seven takes back an entry that is on the wall, so walls must
  also remove cards;
- the walls (spread over the processes) read the event stream; one of them drops its connection
  half-way and reconnects with Last-Event-ID, as a wall does after a wifi blip.

At the end every wall's view (cards added and removed, in stream order) must equal what the
database has on the wall: no entry lost, none shown twice. Exit status 0 when that holds, 1 when it
does not, 2 when the app could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pyotp
from pydantic import SecretStr
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.accounts.service import StaffIdentity, create_user  # noqa: E402
from app.areas.models import Area  # noqa: E402
from app.core import migrate  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.core.types import utcnow  # noqa: E402
from app.workshops import service as workshops  # noqa: E402
from app.workshops.models import WallStatus, WorkshopEntry  # noqa: E402
from app.workshops.schemas import WorkshopCreate  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-to-pass-the-check"  # noqa: S105  (a throwaway app on loopback)
PASSWORD = "correct horse battery staple"  # noqa: S105
TOTP_SECRET = pyotp.random_base32()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ADD = re.compile(r'<hx-partial hx-target="#wall-[a-z]+" hx-swap="beforeend"><article class="wall-card[^"]*" id="wall-entry-(\d+)"')
MINE = re.compile(r'<li class="card my-entry" data-entry="(\d+)">(.*?)</li>', re.S)
REMOVE = re.compile(r'<hx-partial hx-target="#wall-entry-(\d+)" hx-swap="delete">')
WORDS = [
    "The underpass by the station is dark and people get shouted at.",
    "The youth club closed, so there is nowhere to go after school.",
    "The bus stop on the high street feels safe because the shop is open late.",
    "Older lads wait by the park gates in the evening.",
    "The canal path has no lights and nobody is around.",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stats:
    posted: int = 0
    post_seconds: list[float] = field(default_factory=list)
    post_errors: int = 0
    shown: dict[int, float] = field(default_factory=dict)  # entry id -> when its "show" committed
    withdrawn: int = 0


@dataclass
class WallView:
    name: str
    cards: list[int] = field(default_factory=list)
    doubles: list[int] = field(default_factory=list)
    seen_at: dict[int, float] = field(default_factory=dict)
    last_id: str = ""
    messages: int = 0
    reconnects: int = 0

    def apply(self, data: str) -> None:
        # Partials apply in stream order: removes and adds interleave as in the browser.
        events = sorted(
            [(m.start(), "add", int(m.group(1))) for m in ADD.finditer(data)]
            + [(m.start(), "remove", int(m.group(1))) for m in REMOVE.finditer(data)]
        )
        for _pos, action, entry_id in events:
            if action == "add":
                if entry_id in self.cards:
                    self.doubles.append(entry_id)
                else:
                    self.cards.append(entry_id)
                    self.seen_at.setdefault(entry_id, time.monotonic())
            elif entry_id in self.cards:
                self.cards.remove(entry_id)


@contextlib.contextmanager
def database(postgres: str | None) -> Iterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"safetymap_bench_{os.getpid()}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{postgres.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str) -> tuple[str, int, str]:
    migrate.upgrade(url)
    db = Database(Settings(database_url=url, secret_key=SecretStr(SECRET)))
    with Session(db.engine, expire_on_commit=False) as session:
        area = Area(slug="benchford", name="Benchford", min_lat=52.5, min_lng=-2.1, max_lat=52.7, max_lng=-1.9)
        session.add(area)
        session.commit()
        user = create_user(session, email="facilitator@benchford.example", display_name="Facilitator", password=PASSWORD, area=area, roles=["facilitator"])
        user.totp_secret, user.totp_confirmed_at = TOTP_SECRET, utcnow()
        session.commit()
        identity = StaffIdentity(user=user, area=area, roles=frozenset({"facilitator"}), session_id=0)
        workshop = workshops.create_workshop(
            session, area, identity, WorkshopCreate(title="Load test", held_on=utcnow().date(), votes_per_person=3), code_hours=2
        )
        assert workshop.id is not None
        result = (user.email, workshop.id, workshop.join_code)
    db.dispose()
    return result


def start(port: int, url: str, redis_url: str | None, folder: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "SAFETYMAP_ENV": "test", "SAFETYMAP_DATABASE_URL": url, "SAFETYMAP_SECRET_KEY": SECRET,
        "SAFETYMAP_DATA_DIR": str(folder), "SAFETYMAP_BASE_URL": f"http://127.0.0.1:{port}",
        "SAFETYMAP_ALERT_LOOP_SECONDS": "0", "SAFETYMAP_LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["SAFETYMAP_REDIS_URL"] = redis_url
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--timeout-graceful-shutdown", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("app process exited")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError("app process did not start")


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/staff/sign-in")
    response = await client.post("/staff/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": CSRF.search(page.text).group(1), "next": "/staff/"})  # type: ignore[union-attr]
    step = await client.get(response.headers["location"])
    done = await client.post(response.headers["location"], data={"code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": CSRF.search(step.text).group(1)})  # type: ignore[union-attr]
    if done.status_code != 303:
        raise RuntimeError("facilitator could not sign in")


async def participant(base: str, code: str, until: float, stats: Stats, rng: random.Random) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = await client.get(f"/workshops/join?code={code}")
        await client.post("/workshops/join", data={"code": code, "csrf_token": CSRF.search(page.text).group(1)})  # type: ignore[union-attr]
        page = await client.get("/workshops/session")
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        await asyncio.sleep(rng.uniform(0, 5))
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                response = await client.post("/workshops/session/entries", data={
                    "csrf_token": token, "submission_token": secrets.token_urlsafe(18), "kind": rng.choice(["safe", "unsafe", "structural"]),
                    "location_text": "near the high street", "description": rng.choice(WORDS), "time_bands": ["evening"],
                })
            except httpx.HTTPError:
                stats.post_errors += 1
                continue
            if response.status_code == 303:
                stats.posted += 1
                stats.post_seconds.append(time.monotonic() - started)
            else:
                stats.post_errors += 1
            await asyncio.sleep(rng.uniform(6, 14))
        if rng.random() < 0.15:
            # Some people take one of theirs back after it went up on the wall.
            page = await client.get("/workshops/session")
            for entry_id, block in MINE.findall(page.text):
                if "On the wall" in block:
                    response = await client.post(f"/workshops/session/entries/{entry_id}/withdraw", data={"csrf_token": token})
                    stats.withdrawn += response.status_code == 303
                    break


async def facilitator(base: str, cookies: httpx.Cookies, workshop_id: int, until: float, stats: Stats) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30) as client:
        while time.monotonic() < until + 4:
            console = await client.get(f"/staff/workshops/{workshop_id}")
            token = CSRF.search(console.text).group(1)  # type: ignore[union-attr]
            for entry_id in map(int, re.findall(r'id="waiting-(\d+)"', console.text)):
                response = await client.post(f"/staff/workshops/{workshop_id}/entries/{entry_id}/check", data={"csrf_token": token, "decision": "show"})
                if response.status_code == 303:
                    stats.shown[entry_id] = time.monotonic()
            await asyncio.sleep(0.5)


async def wall(base: str, cookies: httpx.Cookies, workshop_id: int, view: WallView, drop_at: float | None) -> None:
    """Reads the stream until cancelled; reconnects (with Last-Event-ID) whenever it drops."""
    url = f"{base}/staff/workshops/{workshop_id}/events?view=wall&after=0"
    while True:
        headers = {"accept": "text/event-stream"} | ({"last-event-id": view.last_id} if view.last_id else {})
        data: list[str] = []
        pending_id = ""
        try:
            async with httpx.AsyncClient(cookies=cookies, timeout=httpx.Timeout(10, read=60)) as client, \
                    client.stream("GET", url, headers=headers) as response:
                async for line in response.aiter_lines():
                    if line.startswith("id: "):
                        pending_id = line[4:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                    elif line == "" and data:
                        # As EventSource does: an event counts (and its id becomes the one to resume
                        # from) only once it has fully arrived; a half-read event is read again.
                        view.apply("\n".join(data))
                        view.last_id = pending_id or view.last_id
                        view.messages += 1
                        data = []
                    if drop_at is not None and time.monotonic() > drop_at:
                        break
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
        if drop_at is not None and time.monotonic() > drop_at:
            drop_at = None  # drop once, then reconnect with Last-Event-ID
            view.reconnects += 1
            await asyncio.sleep(1)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, url: str, bases: list[str], email: str, workshop_id: int, code: str) -> int:
    rng = random.Random(args.seed)
    stats = Stats()
    views = [WallView(f"wall {n + 1}") for n in range(args.walls)]
    started = time.monotonic()
    until = started + args.seconds
    async with httpx.AsyncClient(base_url=bases[0], timeout=30) as staff:
        await sign_in(staff, email)
        cookies = staff.cookies
    walls = [
        asyncio.create_task(wall(bases[n % len(bases)], cookies, workshop_id, view, started + args.seconds / 2 if n == 0 else None))
        for n, view in enumerate(views)
    ]
    await asyncio.sleep(1)
    tasks = [asyncio.create_task(participant(bases[n % len(bases)], code, until, stats, random.Random(rng.random()))) for n in range(args.participants)]
    tasks.append(asyncio.create_task(facilitator(bases[0], cookies, workshop_id, until, stats)))
    await asyncio.gather(*tasks)

    # Every wall must catch up with the last event the database numbered, then they are done.
    db = Database(Settings(database_url=url, secret_key=SecretStr(SECRET)))
    with db.session() as session:
        last_event = session.exec(select(workshops.Workshop.event_seq).where(workshops.Workshop.id == workshop_id)).one()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(view.last_id != str(last_event) for view in views):
        await asyncio.sleep(0.1)
    for task in walls:
        task.cancel()
    await asyncio.gather(*walls, return_exceptions=True)
    with db.session() as session:
        on_wall = sorted(session.exec(select(WorkshopEntry.id).where(WorkshopEntry.wall_status == WallStatus.ON_WALL).order_by(col(WorkshopEntry.id))).all())
        total = len(session.exec(select(WorkshopEntry.id)).all())
    db.dispose()

    print(f"\n{args.participants} participants, {args.walls} walls, {args.seconds}s, {len(bases)} app process(es) on {'PostgreSQL' if args.postgres else 'SQLite'}{' + Redis' if args.redis else ''}")
    print(f"entries posted: {stats.posted} ({stats.post_errors} errors); POST p50 {percentile(stats.post_seconds, 50) * 1000:.0f} ms, p95 {percentile(stats.post_seconds, 95) * 1000:.0f} ms")
    print(f"entries in the database: {total}; checked onto the wall: {len(stats.shown)}; withdrawn after showing: {stats.withdrawn}; on the wall at the end: {len(on_wall)}")
    print(f"events numbered: {last_event}; walls caught up: {', '.join(v.last_id for v in views)}")
    ok = stats.post_errors == 0 and total == stats.posted - stats.withdrawn
    for view in views:
        lost = sorted(set(on_wall) - set(view.cards))
        extra = sorted(set(view.cards) - set(on_wall))
        delays = [view.seen_at[e] - stats.shown[e] for e in view.seen_at if e in stats.shown]
        print(f"{view.name}: {view.messages} messages, {view.reconnects} reconnect(s); cards {len(view.cards)}; lost {len(lost)}; shown twice {len(view.doubles)}; "
              f"extra {len(extra)}; show-to-wall p50 {percentile(delays, 50) * 1000:.0f} ms, p95 {percentile(delays, 95) * 1000:.0f} ms")
        ok = ok and not lost and not view.doubles and not extra
    print("OK: no entry lost or shown twice" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--walls", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--postgres", help="admin URL; a throwaway database is made through it")
    parser.add_argument("--redis", help="Redis URL for the live fan-out between processes")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    if args.processes > 1 and not args.postgres:
        parser.error("several processes need --postgres (SQLite serves one host)")
    with database(args.postgres) as url, tempfile.TemporaryDirectory() as folder:
        email, workshop_id, code = seed(url)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            ports = [_free_port() for _ in range(args.processes)]
            for n, port in enumerate(ports):
                processes.append(start(port, url, args.redis, Path(folder) / str(n)))
        except RuntimeError as exc:
            print(f"could not start the app: {exc}", file=sys.stderr)
            for process in processes:
                process.kill()
                process.wait()
            return 2
        try:
            return asyncio.run(run(args, url, [f"http://127.0.0.1:{p}" for p in ports], email, workshop_id, code))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    sys.exit(main())
