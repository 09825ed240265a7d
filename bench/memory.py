"""Memory of one app worker under 10 minutes of mixed load: start, peak, end and the late slope.

Usage (from the repository root):
    .venv/bin/python bench/memory.py                                  # PostgreSQL (throwaway database), 10 minutes
    .venv/bin/python bench/memory.py --database sqlite --minutes 1    # a short check
    .venv/bin/python bench/memory.py --reports 2000 --reporters 8 --staff 2 --interval 10

One `safetymap serve` worker on loopback (one process, as bench/no_loss.py starts them) on a database
of its own: `safetymap db upgrade` and `safetymap demo --reports N` (default 2,000), on SQLite in a
temporary folder or on a PostgreSQL database made through --postgres-admin and dropped afterwards.
For --minutes, asyncio clients keep it busy with a mix:

- reporters walk the whole report form screen by screen and send it (bench/no_loss.py's Reporter:
  place searches, "me too", words of their own on every report), and look their receipt up on /track
  (after 60 tries in the hour /track answers 429, its own limit for one address: counted as answered);
- public visitors open the map (/map) and /api/v1/cells, whole and for a window of months;
- staff signed in as the demo statutory user open the register list (with filters and pages) and
  the profiles of the busiest contexts (entries pages too), and the demo moderator opens the
  moderation queue. Their sessions are made directly in the database, as bench/register_bench.py
  does, so no password or sign-in code is needed.

Every --interval seconds the worker's resident set size is read from /proc/<pid>/status (VmRSS, and
its anonymous part RssAnon; the worker is the `safetymap serve` process itself: one worker, no
reloader). --malloc-arena-max sets glibc's MALLOC_ARENA_MAX for the worker, to compare. At the end: RSS at the
start of the load, the peak, the end, and the least-squares slope over the last half of the run
(the last 5 minutes of a 10-minute run) in MB per minute, with every sample listed. Target: under
150 MB per worker after 10 minutes, and no steady growth. Exit status 0 when the end RSS is under the
target and the late slope under 1 MB/min, 1 otherwise, 2 when the app could not be set up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.no_loss import (  # noqa: E402
    POSTGRES_ADMIN,
    AppProcess,
    Backends,
    Reporter,
    Stats,
    app_env,
    free_port,
    prepare,
    throwaway_database,
)

TARGET_MB = 150.0
SLOPE_LIMIT_MB_PER_MIN = 1.0
STATUTORY_EMAIL = "panel@brackenford.example"
MODERATOR_EMAIL = "moderator@brackenford.example"
CONTEXT_LINK = re.compile(r'href="/staff/register/contexts/(\d+)')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident set (VmRSS) and its anonymous part (RssAnon: heap and stacks, what is
    really its own; the rest is mapped files such as shared libraries, shared with other processes)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["RssAnon"]


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) in MB per minute."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [t for t, _ in samples], [m for _, m in samples]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return 0.0 if spread == 0 else sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread * 60


def staff_cookies(env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """A signed staff cookie for the demo statutory user and the demo moderator, made in the database."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from sqlmodel import select

        from app.accounts.models import User
        from app.accounts.sessions import start_session
        from app.areas.models import Area
        from app.core.config import load_settings
        from app.core.db import Database
        from app.core.web import session_serializer, staff_cookie_name
        from app.demo import town

        settings = load_settings()
        db = Database(settings)
        cookies = {}
        with db.transaction() as session:
            area = session.exec(select(Area).where(Area.slug == town.AREA["slug"])).one()
            for role, email in (("statutory", STATUTORY_EMAIL), ("moderator", MODERATOR_EMAIL)):
                user = session.exec(select(User).where(User.email == email)).one()
                token = start_session(session, user, area)
                cookies[role] = (staff_cookie_name(settings), session_serializer(settings).dumps(token))
        db.dispose()
        return cookies
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Mix:
    requests: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def note(self, label: str, ok: bool) -> None:
        self.requests[label] = self.requests.get(label, 0) + 1
        if not ok:
            self.errors[label] = self.errors.get(label, 0) + 1

    def count(self, label: str, response: httpx.Response | None) -> httpx.Response | None:
        self.note(label, response is not None and response.status_code < 400)
        return response


async def _get(client: httpx.AsyncClient, mix: Mix, label: str, url: str) -> httpx.Response | None:
    try:
        return mix.count(label, await client.get(url))
    except httpx.HTTPError:
        return mix.count(label, None)


async def reporter_loop(base: str, stats: Stats, mix: Mix, rng: random.Random, t0: float, until: float) -> None:
    """Report flows (the whole form, then Send), each followed by a look at the receipt on /track."""
    while time.monotonic() < until:
        reporter = Reporter(Backends([base]), stats, rng, t0, until, think=(0.2, 1.0), timeout=30)
        done = stats.flows_done
        try:
            await reporter.flow()
            sent = stats.flows_done > done
            if sent or time.monotonic() < until:  # a flow the end of the run cut short is not a failure
                mix.note("report flow", sent)
            if sent:
                code = next(reversed(stats.acks.values()))
                page = await reporter.client.get(base + "/track")
                token = CSRF.search(page.text)
                data = {"code": code, "csrf_token": token.group(1) if token else ""}
                # 429 is /track's own limit (60 tries an hour a connection, and every client here is
                # 127.0.0.1): the page that says so is the right answer, not a failure.
                looked = await reporter.client.post(base + "/track", data=data)
                mix.note("/track", looked.status_code in (200, 429))
        except httpx.HTTPError:
            if time.monotonic() < until:
                mix.note("report flow", False)
        finally:
            await reporter.client.aclose()
        await asyncio.sleep(rng.uniform(0.5, 2.0))


async def public_loop(base: str, mix: Mix, rng: random.Random, until: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.monotonic() < until:
            await _get(client, mix, "/map", "/map")
            await _get(client, mix, "/api/v1/cells", "/api/v1/cells")
            month = f"2026-{rng.randint(1, 12):02d}"
            await _get(client, mix, "/api/v1/cells", f"/api/v1/cells?from={month}&to={month}")
            await asyncio.sleep(rng.uniform(0.5, 2.0))


async def staff_loop(base: str, cookies: dict[str, tuple[str, str]], mix: Mix, rng: random.Random, until: float) -> None:
    statutory = httpx.AsyncClient(base_url=base, timeout=60, cookies=dict([cookies["statutory"]]))
    moderator = httpx.AsyncClient(base_url=base, timeout=60, cookies=dict([cookies["moderator"]]))
    lists = ["/staff/register", "/staff/register?sort=unsafe", "/staff/register?period=3m&kind=place", "/staff/register?sort=name&page=2"]
    try:
        contexts: list[str] = []
        while time.monotonic() < until:
            page = await _get(statutory, mix, "/staff/register", rng.choice(lists))
            if page is not None and page.status_code == 200:
                contexts = list(dict.fromkeys(CONTEXT_LINK.findall(page.text)))[:10] or contexts
            if contexts:
                context = rng.choice(contexts[:5])
                await _get(statutory, mix, "/staff/register/contexts/{id}", f"/staff/register/contexts/{context}")
                await _get(statutory, mix, "/staff/register/contexts/{id}", f"/staff/register/contexts/{context}?entries={rng.randint(1, 5)}")
            await _get(moderator, mix, "/staff/moderation", "/staff/moderation")
            await asyncio.sleep(rng.uniform(0.5, 2.0))
    finally:
        await statutory.aclose()
        await moderator.aclose()


async def sampler(pid: int, interval: float, t0: float, until: float, samples: list[tuple[float, float]], anon: list[float]) -> None:
    while True:
        now = time.monotonic()
        rss, own = memory_mb(pid)
        samples.append((now - t0, rss))
        anon.append(own)
        print(f"  {now - t0:6.0f} s  RSS {rss:7.1f} MB  (anonymous {own:6.1f} MB)", flush=True)
        if now >= until:
            return
        await asyncio.sleep(min(interval, max(until - now, 0.01)))


async def drive(
    app: AppProcess, args: argparse.Namespace, cookies: dict[str, tuple[str, str]],
) -> tuple[list[tuple[float, float]], list[float], Mix, Stats]:
    assert app.process is not None
    rng = random.Random(args.seed)
    stats, mix = Stats(), Mix()
    samples: list[tuple[float, float]] = []
    anon: list[float] = []
    t0 = time.monotonic()
    until = t0 + args.minutes * 60
    tasks = [
        *(reporter_loop(app.base, stats, mix, random.Random(rng.random()), t0, until) for _ in range(args.reporters)),
        *(public_loop(app.base, mix, random.Random(rng.random()), until) for _ in range(args.public)),
        *(staff_loop(app.base, cookies, mix, random.Random(rng.random()), until) for _ in range(args.staff)),
    ]
    await asyncio.gather(sampler(app.process.pid, args.interval, t0, until, samples, anon), *tasks)
    return samples, anon, mix, stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--postgres-admin", default=POSTGRES_ADMIN, help="PostgreSQL admin URL (a throwaway database is made and dropped)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument("--reports", type=int, default=2000, help="demo reports loaded first")
    parser.add_argument("--reporters", type=int, default=6, help="clients walking the report form")
    parser.add_argument("--public", type=int, default=3, help="clients on the public map and /api/v1/cells")
    parser.add_argument("--staff", type=int, default=2, help="staff clients (register list, profiles, moderation queue)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--malloc-arena-max", type=int, help="MALLOC_ARENA_MAX for the worker (glibc's per-thread heaps)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.database, Path(tmp), args.postgres_admin) as url:
        folder = Path(tmp)
        env = app_env(url, folder, None) | {"SAFETYMAP_ALERT_LOOP_SECONDS": "60"}
        if args.malloc_arena_max:
            env["MALLOC_ARENA_MAX"] = str(args.malloc_arena_max)
        app = AppProcess(free_port(), env, folder / "app.log")
        try:
            prepare(env, args.reports)
            cookies = staff_cookies(env)
            app.start()
            app.wait_ready()
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            app.stop()
            return 2
        assert app.process is not None
        print(
            f"database: {args.database}, {args.reports} demo reports; one `safetymap serve` worker (pid {app.process.pid});"
            f" {args.reporters} reporters, {args.public} public clients, {args.staff} staff clients for {args.minutes:g} min"
            f"{f'; MALLOC_ARENA_MAX={args.malloc_arena_max}' if args.malloc_arena_max else ''}"
            f"; {os.cpu_count()} cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.strftime('%Y-%m-%d %H:%M %Z')}",
            flush=True,
        )
        try:
            samples, anon, mix, stats = asyncio.run(drive(app, args, cookies))
        finally:
            app.stop()
    start, peak, end = samples[0][1], max(m for _, m in samples), samples[-1][1]
    half = samples[-1][0] / 2
    late = [s for s in samples if s[0] >= half]
    slope = slope_mb_per_min(late)
    print("\nrequests (errors):", ", ".join(f"{label} {n} ({mix.errors.get(label, 0)})" for label, n in sorted(mix.requests.items())))
    print(f"reports acknowledged: {stats.flows_done}; screens {sum(stats.screens.values())}; sends p50 "
          f"{statistics.median(stats.send_seconds) * 1000 if stats.send_seconds else float('nan'):.0f} ms")
    print(f"RSS: start {start:.1f} MB, peak {peak:.1f} MB, end {end:.1f} MB; slope over the last {samples[-1][0] - half:.0f} s"
          f" {slope:+.2f} MB/min (target: end < {TARGET_MB:.0f} MB, slope < {SLOPE_LIMIT_MB_PER_MIN} MB/min)")
    print(f"anonymous part: start {anon[0]:.1f} MB, peak {max(anon):.1f} MB, end {anon[-1]:.1f} MB")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = end < TARGET_MB and slope < SLOPE_LIMIT_MB_PER_MIN and not mix.errors
    print("target met" if ok else "target NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
