"""No report lost, none stored twice: reporters walk the real form while an app process is killed.

Usage (from the repository root):
    python bench/no_loss.py --database sqlite                    # 1 process on a throwaway SQLite file
    python bench/no_loss.py --database postgresql                # 2 processes on a throwaway PostgreSQL
                                                                 # database, sharing Redis
    python bench/no_loss.py --database postgresql --reporters 20 --seconds 20 --check-slo
    python bench/no_loss.py --url http://127.0.0.1:8080 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/safetymap_cluster \\
        --kill-pidfile var/cluster/app-1.pid --reporters 100     # through `make run-cluster`

Each run (without --url) gets its own database: a SQLite file in a temporary folder, or a PostgreSQL
database made through --postgres-admin and dropped afterwards; then `safetymap db upgrade` and
`safetymap demo --reports 20`, and `safetymap serve` processes on loopback ports (separate
processes, one port each; the reporters spread their requests over them in turn, as a proxy would).

For --seconds, each reporter (an asyncio task with its own httpx client, so its own cookies, like a
phone) walks the form screen by screen as a browser without JavaScript does: it reads each screen's
form (hidden answers, CSRF token, submission token, the choices offered), answers what the screen
asks (sometimes searching for a named place, sometimes words), and presses Continue, then Send.
A send that fails (connection refused or reset, a time-out, a 5xx) is sent again with the same
submission token after a short pause, as a phone would; a 400 for a stale form is sent again with
the page's fresh token. Part-way through (--kill-at) one app process is killed with SIGKILL and
started again (with --url: the pid in --kill-pidfile is killed, and the cluster's supervisor is
expected to start it again).

At the end every acknowledged receipt (a 200 page with a receipt code) is looked up in the database,
by receipt code and by submission token: "found" means stored exactly once under the token that was
sent; "lost" means acknowledged but not stored; "doubled" counts receipt codes or submission tokens
stored more than once, and tokens acknowledged with two different receipts. Exit status 1 on any loss
or double (and, with --check-slo, when a flow ended without a receipt, a 5xx or a time-out came
outside the kill window, or the send p95 reached 2 s); 2 when the app could not be set up.

Reporters share one loopback address, so the run raises SAFETYMAP_REPORT_RATE_LIMIT for the
processes it starts (with --url, start the cluster with it raised; see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import psycopg
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
SAFETYMAP = str(Path(sys.executable).with_name("safetymap"))
SECRET = "bench-secret-key-that-is-long-enough-to-pass-the-check"  # noqa: S105  (a throwaway app on loopback)
POSTGRES_ADMIN = os.environ.get("SAFETYMAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("SAFETYMAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STEP = re.compile(r'data-report-step="([a-z_]+)"')
RECEIPT = re.compile(r'class="receipt-code"[^>]*>([A-Z0-9-]+)<')
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SLO_SEND_P95 = 2.0
# An explicit form body keeps repeated names (time_bands, categories) in page order.
FORM = {"content-type": "application/x-www-form-urlencoded"}

PLACE_SEARCHES = ["park", "street", "school", "canal", "station", "kestrel", "heron", "mill"]
WHERE_WORDS = [
    "the alley behind the shops", "the bus stop by the chip shop", "the footbridge over the railway",
    "the car park behind the leisure centre", "the path along the canal", "outside the library",
]
DESCRIPTIONS = [
    "It gets really dark here after about six and there is nobody around.",
    "Older lads hang around here after dark and shout at people walking past.",
    "The lights have been broken for weeks and the path is overgrown.",
    "The staff in the shop are kind and let you wait inside until your bus comes.",
    "There is nothing to do round here so people just hang about on the corner.",
    "People drive too fast along here and there is no crossing near the school.",
]


class ReportForm(HTMLParser):
    """The report screen's form as a browser sees it: hidden inputs, and the choices a screen offers."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.hidden: list[tuple[str, str]] = []
        self.choices: dict[str, list[str]] = {}   # radio, checkbox and named buttons (not "go")
        self.multiple: set[str] = set()            # checkbox groups
        self.texts: set[str] = set()               # text, search inputs and textareas
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "report-form"
            return
        if not self.inside or "name" not in a:
            return
        name, kind = a["name"], a.get("type", "text" if tag == "input" else "")
        if tag == "input" and kind == "hidden":
            self.hidden.append((name, a.get("value", "")))
        elif (tag == "input" and kind in {"radio", "checkbox"}) or (tag == "button" and name != "go"):
            self.choices.setdefault(name, []).append(a.get("value", ""))
            if kind == "checkbox":
                self.multiple.add(name)
        elif (tag == "input" and kind in {"text", "search"}) or tag == "textarea":
            self.texts.add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


@dataclass
class Stats:
    flows_started: int = 0
    flows_done: int = 0
    flows_unfinished: int = 0
    flows_refused: Counter[str] = field(default_factory=Counter)   # "step:status" of a flow that could not go on
    acks: dict[str, str] = field(default_factory=dict)             # submission token -> receipt code
    ack_times: dict[str, float] = field(default_factory=dict)
    ack_doubles: list[str] = field(default_factory=list)            # a token acknowledged with two receipts
    sent_tokens: set[str] = field(default_factory=set)              # every token a Send was pressed for
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[tuple[float, str]] = field(default_factory=list)  # (when, "timeout" | "connect" | "5xx" ...)
    send_retries: int = 0
    screens: Counter[str] = field(default_factory=Counter)          # screens walked, by name
    step_seconds: list[float] = field(default_factory=list)
    send_seconds: list[float] = field(default_factory=list)         # each Send that came back with a receipt
    flow_seconds: list[float] = field(default_factory=list)
    kill_at: float | None = None
    back_at: float | None = None


@dataclass
class Outcome:
    label: str
    reporters: int
    seconds: float
    stats: Stats
    acknowledged: int
    found: int
    lost: int
    doubled: int
    stored_unacknowledged: int
    acks_after_restart: int
    problems_in_kill_window: Counter[str]
    problems_outside: Counter[str]

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.doubled == 0

    def slo_failures(self) -> list[str]:
        s = self.stats
        failures = []
        if s.flows_unfinished or sum(s.flows_refused.values()):
            failures.append(f"{s.flows_unfinished + sum(s.flows_refused.values())} flows ended without a receipt")
        if self.problems_outside.get("5xx") or self.problems_outside.get("timeout"):
            failures.append(f"outside the kill window: {dict(self.problems_outside)}")
        if s.send_seconds and percentile(s.send_seconds, 95) >= SLO_SEND_P95:
            failures.append(f"send p95 {percentile(s.send_seconds, 95):.2f} s >= {SLO_SEND_P95} s")
        return failures

    def lines(self) -> list[str]:
        s = self.stats
        out = [
            f"== {self.label}: {self.reporters} reporters, {self.seconds:.0f} s",
            f"acknowledged {self.acknowledged}  found {self.found}  lost {self.lost}  doubled {self.doubled}"
            f"  (stored but never acknowledged: {self.stored_unacknowledged})",
            f"flows: started {s.flows_started}, ended with a receipt {s.flows_done}, unfinished {s.flows_unfinished},"
            f" refused {dict(s.flows_refused) or 0}; sends repeated {s.send_retries}",
        ]
        if s.kill_at is not None:
            back = f"back after {s.back_at - s.kill_at:.1f} s" if s.back_at else "NOT back"
            out.append(f"kill: SIGKILL at {s.kill_at:.1f} s, {back}; receipts after it came back: {self.acks_after_restart}")
        out.append(f"screens walked {dict(s.screens)}")
        out.append(f"responses {dict(sorted(s.statuses.items()))}; failures in the kill window {dict(self.problems_in_kill_window) or 0},"
                   f" outside it {dict(self.problems_outside) or 0}")
        for name, values in (("send", s.send_seconds), ("screen", s.step_seconds), ("whole report", s.flow_seconds)):
            if values:
                out.append(f"{name:12} p50 {percentile(values, 50):6.3f} s  p95 {percentile(values, 95):6.3f} s"
                           f"  max {max(values):6.3f} s  (n={len(values)})")
        return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


class Backends:
    """The app's addresses; each request goes to the next one in turn (round robin, as a proxy does)."""

    def __init__(self, bases: list[str]) -> None:
        for base in bases:
            host = urlsplit(base).hostname
            if host not in LOOPBACK:
                raise SystemExit(f"{base}: this bench only talks to loopback")
        self.bases = bases
        self._turn = itertools.count()

    def next(self) -> str:
        return self.bases[next(self._turn) % len(self.bases)]


class Reporter:
    def __init__(self, backends: Backends, stats: Stats, rng: random.Random, t0: float, deadline: float,
                 think: tuple[float, float], timeout: float) -> None:
        self.backends, self.stats, self.rng, self.t0, self.deadline, self.think = backends, stats, rng, t0, deadline, think
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=3), follow_redirects=False)

    def _problem(self, kind: str) -> None:
        self.stats.problems.append((time.monotonic() - self.t0, kind))

    async def request(self, method: str, path: str, data: list[tuple[str, str]] | None = None, *, send: bool = False) -> httpx.Response | None:
        """One request, tried again (same body) on a connection failure, a time-out or a 5xx until the deadline."""
        pause = 0.2
        first = True
        while time.monotonic() < self.deadline:
            if not first and send:
                self.stats.send_retries += 1
            first = False
            start = time.monotonic()
            try:
                if method == "GET":
                    response = await self.client.get(self.backends.next() + path)
                else:
                    response = await self.client.post(self.backends.next() + path, content=urlencode(data or []), headers=FORM)
            except httpx.TimeoutException:
                self._problem("timeout")
            except httpx.TransportError as exc:
                self._problem("connect" if isinstance(exc, httpx.ConnectError) else "dropped")
            else:
                seconds = time.monotonic() - start
                self.stats.statuses[response.status_code] += 1
                if response.status_code < 500:
                    (self.stats.send_seconds if send and RECEIPT.search(response.text) else self.stats.step_seconds).append(seconds)
                    return response
                self._problem("5xx")
            await asyncio.sleep(pause * (0.5 + self.rng.random()))
            pause = min(pause * 2, 2.0)
        return None

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think))

    def answers(self, step: str, form: ReportForm) -> list[tuple[str, str]]:
        """What a person would answer on this screen."""
        rng = self.rng
        out: list[tuple[str, str]] = []
        for name, values in form.choices.items():
            values = [v for v in values if v != ""] or values
            if name in form.multiple:
                out += [(name, v) for v in rng.sample(values, k=min(len(values), rng.choice([1, 1, 2])))]
            elif name in {"reporter_role", "age_band"} and rng.random() < 0.3:
                continue  # optional: some people skip it
            elif name == "me_too_context_id":
                out.append((name, rng.choice([*form.choices[name]])))
            elif name != "kind":
                out.append((name, rng.choice(values)))
        if "location_text" in form.texts:
            chose_place = any(n == "place_id" and v for n, v in [*form.hidden, *out])
            if not chose_place or rng.random() < 0.3:  # words alone, or words as well as a place
                out.append(("location_text", rng.choice(WHERE_WORDS)))
        if "description" in form.texts:
            out.append(("description", f"{rng.choice(DESCRIPTIONS)} ({secrets.token_hex(3)})"))
        return out

    async def flow(self) -> None:
        stats, rng = self.stats, self.rng
        stats.flows_started += 1
        began = time.monotonic()
        page = await self.request("GET", "/report")
        searched = False
        sent_token = ""
        for _ in range(30):  # a report is 7 or 8 screens; a search or a stale form adds one
            if page is None:
                stats.flows_unfinished += 1
                return
            receipt = RECEIPT.search(page.text)
            if receipt and page.status_code == 200:
                if sent_token in stats.acks and stats.acks[sent_token] != receipt.group(1):
                    stats.ack_doubles.append(sent_token)
                stats.acks.setdefault(sent_token, receipt.group(1))
                stats.ack_times.setdefault(sent_token, time.monotonic() - self.t0)
                stats.flows_done += 1
                stats.flow_seconds.append(time.monotonic() - began)
                return
            match = STEP.search(page.text)
            if not match or page.status_code not in (200, 400):
                stats.flows_refused[f"{match.group(1) if match else '?'}:{page.status_code}"] += 1
                return
            step = match.group(1)
            stats.screens[step] += 1
            form = ReportForm(page.text)
            data = list(form.hidden)
            if page.status_code == 400:
                data.append(("go", "send" if step == "check" else "next"))  # stale token: press the same button again
            elif step == "kind":
                data.append(("kind", rng.choice(form.choices["kind"])))
            elif step == "where" and not searched and "place_query" in form.texts and rng.random() < 0.5:
                searched = True
                data += [("place_query", rng.choice(PLACE_SEARCHES)), ("go", "search")]
            else:
                data += self.answers(step, form)
                data.append(("go", "send" if step == "check" else "next"))
            if dict(data).get("go") == "send":
                sent_token = dict(form.hidden)["submission_token"]
                stats.sent_tokens.add(sent_token)
            await self.pause()
            page = await self.request("POST", "/report", data, send=dict(data).get("go") == "send")
        stats.flows_refused["too-many-screens"] += 1

    async def run(self, until: float) -> None:
        try:
            while time.monotonic() < until:
                await self.flow()
        finally:
            await self.client.aclose()


# --- the app under test -----------------------------------------------------------------------


@dataclass
class AppProcess:
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [SAFETYMAP, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"app on port {self.port} exited: see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"app on port {self.port} did not answer /healthz within {timeout:.0f} s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_database(kind: str, folder: Path, admin_url: str = POSTGRES_ADMIN) -> Iterator[str]:
    """A SQLite file in `folder`, or a fresh PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'safetymap.db'}"
        return
    name = f"safetymap_noloss_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str, folder: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYMAP_")} | {
        "SAFETYMAP_ENV": "development", "SAFETYMAP_DATABASE_URL": database_url, "SAFETYMAP_SECRET_KEY": SECRET,
        "SAFETYMAP_DATA_DIR": str(folder), "SAFETYMAP_LOG_LEVEL": "WARNING",
        # Every reporter comes from 127.0.0.1: one address, so the per-address limit is lifted.
        "SAFETYMAP_REPORT_RATE_LIMIT": "1000000",
    }
    if redis_url:
        env["SAFETYMAP_REDIS_URL"] = redis_url
    return env


def prepare(env: dict[str, str], demo_reports: int = 20) -> None:
    for command in (["db", "upgrade"], ["demo", "--reports", str(demo_reports)]):
        # The demo prints generated staff passwords: keep them off the bench's output.
        done = subprocess.run([SAFETYMAP, *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            raise RuntimeError(f"safetymap {' '.join(command)} failed: {done.stderr[-2000:]}")


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Plan:
    reporters: int = 20
    seconds: float = 20
    kill_at: float | None = 0.4          # fraction of --seconds; None: no kill
    think: tuple[float, float] = (0.05, 0.4)
    timeout: float = 10
    grace: float = 30                     # how long flows still walking at the end may take to finish
    seed: int = 1


async def _drive(plan: Plan, backends: Backends, kill: Callable[[], bool], stats: Stats) -> None:
    t0 = time.monotonic()
    until = t0 + plan.seconds
    deadline = until + plan.grace
    rng = random.Random(plan.seed)
    reporters = [Reporter(backends, stats, random.Random(rng.random()), t0, deadline, plan.think, plan.timeout) for _ in range(plan.reporters)]

    async def killer() -> None:
        assert plan.kill_at is not None
        await asyncio.sleep(plan.seconds * plan.kill_at)
        stats.kill_at = time.monotonic() - t0
        back = await asyncio.to_thread(kill)
        if back:
            stats.back_at = time.monotonic() - t0

    tasks = [asyncio.create_task(r.run(until)) for r in reporters]
    if plan.kill_at is not None:
        tasks.append(asyncio.create_task(killer()))
    await asyncio.gather(*tasks)


def check(stats: Stats, database_url: str, label: str, plan: Plan) -> Outcome:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT receipt_code, submission_token FROM report")).all()
    finally:
        engine.dispose()
    by_receipt = Counter(r[0] for r in rows)
    by_token = Counter(r[1] for r in rows)
    token_of = {r[0]: r[1] for r in rows}
    found = sum(1 for token, receipt in stats.acks.items() if by_receipt[receipt] == 1 and token_of[receipt] == token)
    lost = sum(1 for receipt in stats.acks.values() if by_receipt[receipt] == 0)
    doubled = (
        sum(1 for n in by_receipt.values() if n > 1)
        + sum(1 for n in by_token.values() if n > 1)
        + len(set(stats.ack_doubles))
        # acknowledged under one token, stored under another
        + sum(1 for token, receipt in stats.acks.items() if by_receipt[receipt] == 1 and token_of[receipt] != token)
    )
    stored_unacked = sum(1 for token in stats.sent_tokens - set(stats.acks) if by_token[token])
    window_end = (stats.back_at if stats.back_at is not None else float("inf")) + 2.0
    in_window: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    for when, kind in stats.problems:
        killed = stats.kill_at is not None and stats.kill_at <= when <= window_end
        (in_window if killed else outside)[kind] += 1
    after = sum(1 for when in stats.ack_times.values() if stats.back_at is not None and when > stats.back_at)
    return Outcome(label, plan.reporters, plan.seconds, stats, len(stats.acks), found, lost, doubled, stored_unacked,
                   after, in_window, outside)


def run_local(database: str, plan: Plan, *, processes: int | None = None, redis_url: str | None = REDIS,
              postgres_admin: str = POSTGRES_ADMIN, kill_index: int = 0) -> Outcome:
    """The whole bench on loopback: throwaway database, `processes` app processes, reporters, kill, check."""
    processes = processes or (1 if database == "sqlite" else 2)
    with tempfile.TemporaryDirectory(prefix="safetymap-noloss-") as tmp:
        folder = Path(tmp)
        with throwaway_database(database, folder, postgres_admin) as url:
            env = app_env(url, folder, redis_url if database != "sqlite" else None)
            prepare(env)
            apps = [AppProcess(free_port(), env, folder / f"app-{i}.log") for i in range(processes)]
            try:
                for app in apps:
                    app.start()
                for app in apps:
                    app.wait_ready()
                victim = apps[kill_index % len(apps)]

                def kill() -> bool:
                    victim.kill()
                    victim.start()
                    victim.wait_ready()
                    return True

                stats = Stats()
                backends = Backends([a.base for a in apps])
                asyncio.run(_drive(plan, backends, kill, stats))
                label = f"{database}, {processes} process{'es' if processes > 1 else ''}" + (", Redis" if database != "sqlite" and redis_url else "")
                outcome = check(stats, url, label, plan)
            except BaseException:
                for app in apps:
                    if app.log.exists():
                        sys.stderr.write(f"--- {app.log.name} (last lines)\n" + app.log.read_text()[-3000:])
                raise
            finally:
                for app in apps:
                    app.stop()
            return outcome


def run_remote(urls: list[str], database_url: str, plan: Plan, kill_pidfile: Path | None) -> Outcome:
    """Against a running deployment (e.g. `make run-cluster`): its supervisor must restart what is killed."""
    def kill() -> bool:
        assert kill_pidfile is not None
        old = int(kill_pidfile.read_text())
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError, httpx.HTTPError):
                new = int(kill_pidfile.read_text())
                port = (kill_pidfile.with_suffix(".port")).read_text().strip()
                if new != old and httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    return True
            time.sleep(0.1)
        return False

    if kill_pidfile is None:
        plan.kill_at = None
    stats = Stats()
    asyncio.run(_drive(plan, Backends(urls), kill, stats))
    return check(stats, database_url, f"{', '.join(urls)}", plan)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--processes", type=int, help="app processes (default: 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--reporters", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kill-at", type=float, default=0.4, help="when to SIGKILL a process, as a fraction of --seconds")
    parser.add_argument("--no-kill", action="store_true", help="run without killing anything")
    parser.add_argument("--think", type=float, nargs=2, default=(0.05, 0.4), metavar=("MIN", "MAX"), help="seconds a reporter spends on a screen")
    parser.add_argument("--timeout", type=float, default=10, help="seconds before a request counts as timed out")
    parser.add_argument("--grace", type=float, default=30, help="seconds flows still walking at the end may take")
    parser.add_argument("--postgres-admin", default=POSTGRES_ADMIN, help="admin URL used to create and drop the throwaway database")
    parser.add_argument("--redis", default=REDIS, help="Redis for the PostgreSQL processes ('' for none)")
    parser.add_argument("--url", action="append", help="a running deployment's address on loopback (repeatable): no local app")
    parser.add_argument("--database-url", help="with --url: the deployment's database, for the check")
    parser.add_argument("--kill-pidfile", type=Path, help="with --url: the pid file of the app process to kill (PATH.port holds its port)")
    parser.add_argument("--check-slo", action="store_true", help="also fail when a flow ends without a receipt, on 5xx or time-outs outside the kill window, or send p95 >= 2 s")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plan = Plan(args.reporters, args.seconds, None if args.no_kill else args.kill_at, tuple(args.think), args.timeout, args.grace, args.seed)

    outcomes: list[Outcome] = []
    try:
        if args.url:
            if not args.database_url:
                parser.error("--url needs --database-url to check what was stored")
            outcomes.append(run_remote(args.url, args.database_url, plan, args.kill_pidfile))
        else:
            for database in (["sqlite", "postgresql"] if args.database == "both" else [args.database]):
                outcomes.append(run_local(database, Plan(**plan.__dict__), processes=args.processes,
                                          redis_url=args.redis or None, postgres_admin=args.postgres_admin))
    except (RuntimeError, psycopg.OperationalError) as exc:
        print(f"Could not set up the run: {exc}", file=sys.stderr)
        return 2
    status = 0
    for outcome in outcomes:
        print("\n".join(outcome.lines()))
        failures = [] if outcome.ok else [f"{outcome.lost} lost, {outcome.doubled} doubled"]
        if args.check_slo:
            failures += outcome.slo_failures()
        print("RESULT: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
        status = status or (1 if failures else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
