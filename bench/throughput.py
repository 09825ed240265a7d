"""Throughput budget: the real report send and GET /report, each against a bare FastAPI endpoint.

Usage (from the repository root):
    .venv/bin/python bench/throughput.py                        # SQLite, a throwaway file
    .venv/bin/python bench/throughput.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/throughput.py --seconds 8 --rounds 3 --connections 1,20
    .venv/bin/python bench/throughput.py --baseline /tmp/before   # also the app from another copy of the tree
    .venv/bin/python bench/throughput.py --fresh-words            # every send's words are new (no repeat)

Two uvicorn servers on loopback, started the way `safetymap serve` starts one (one process, no proxy
headers, no server header, no uvicorn access log), on the same database and the same engine
settings (app.core.db: WAL, BEGIN IMMEDIATE and synchronous=FULL on SQLite; the same pool on
PostgreSQL):

- the real app (`app.main:create_app`);
- a bare FastAPI app (`bench.throughput:bare_app`) with two plain `def` routes: POST /send does one
  INSERT in one write transaction (`Database.transaction`), and GET /page renders a Jinja template
  whose output is the same size as the real GET /report page;
- with --baseline DIR, also the real app from DIR (a copy of the repository before a change: its
  `app/`, `templates/`, `static/` and `locales/`), on the same database, so that before and after
  are measured side by side in the same run.

The send is the same ordinary report each time (a new submission token), as a phone sends it right
after its check screen graded the same words; --fresh-words adds a different word to every send's
description, so that nothing triage has seen before helps (the words of a send arriving at a process
that did not show its check screen).

Pairs run interleaved in one run (real, bare, real, bare, ... for each connection count and round),
so both see the same machine. Each cell runs for --seconds with that many connections kept busy by
an httpx asyncio client (bounded: a deadline, loopback only). For each cell: requests per second,
p50/p95 latency, and the server process's CPU per request (from /proc/<pid>/stat). At the end the
ratios the budget asks for (bench/README.md, "Throughput"): real/bare for the send and for
GET /report, and throughput at the most connections over that at one. The load client shares the
machine's cores with the server (and PostgreSQL): on a 2-core machine, that bounds the figures.

Exit status 0 when the budget holds, 1 when it does not, 2 when a server could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402
from fastapi.responses import HTMLResponse, PlainTextResponse  # noqa: E402
from jinja2 import Environment  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.core.config import load_settings  # noqa: E402
from app.core.db import Database  # noqa: E402

BUDGET_SEND = 0.3  # real send >= 0.3 of the bare insert (aim 0.6)
BUDGET_PAGE = 0.3  # GET /report >= 0.3 of the bare same-sized template
BUDGET_SCALING = 3.0  # throughput at the most connections >= 3x that at one
BARE_TEMPLATE = (
    "<!doctype html><html lang=\"en\"><head><title>{{ title }}</title></head><body><main>"
    "{% for row in rows %}<p class=\"row\" id=\"row-{{ loop.index }}\">{{ row }}</p>\n{% endfor %}</main></body></html>"
)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# An ordinary report (not a possible disclosure, so no alert): the send most people make.
ANSWERS = {
    "step": "check", "go": "send", "kind": "unsafe", "location_text": "the path behind the leisure centre",
    "time_bands": "evening", "days": "weekends", "feeling": "2",
    "description": "It is very dark along the path at night and the lights by the bins have not worked for weeks.",
    "what_would_help": "Fix the lights and cut back the hedges.", "reporter_role": "young_person", "age_band": "14_15",
}


def bare_app() -> FastAPI:
    """The yardstick: FastAPI with nothing of ours but the database settings."""
    settings = load_settings()
    db = Database(settings)
    page_bytes = int(os.environ.get("BENCH_PAGE_BYTES", "20000"))
    template = Environment(autoescape=True).from_string(BARE_TEMPLATE)
    rows = [f"Row {i}: words of about the same length as a report screen's questions & hints." for i in range(10_000)]
    count = 1
    while len(template.render(title="Bare", rows=rows[:count])) < page_bytes:
        count += 1
    chosen = rows[:count]
    app = FastAPI()

    @app.post("/send")
    def send() -> PlainTextResponse:
        with db.transaction() as session:
            session.execute(text("INSERT INTO bench_insert (body) VALUES (:body)"), {"body": secrets.token_urlsafe(18)})
        return PlainTextResponse("ok", status_code=201)

    @app.get("/page")
    def page() -> HTMLResponse:
        return HTMLResponse(template.render(title="Bare", rows=chosen))

    return app


# --- Setting up -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(postgres_admin: str | None) -> Iterator[str]:
    """A migrated throwaway database with one area and the demo town's gazetteer."""
    from app.core import migrate

    if postgres_admin is None:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/throughput.db"
            migrate.upgrade(url)
            _seed(url, "CREATE TABLE bench_insert (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            yield url
        return
    import psycopg

    name = f"safetymap_throughput_{os.getpid()}"
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    try:
        migrate.upgrade(url)
        _seed(url, "CREATE TABLE bench_insert (id SERIAL PRIMARY KEY, body TEXT NOT NULL)")
        yield url
    finally:
        with psycopg.connect(postgres_admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(url: str, bare_table: str) -> None:
    from pydantic import SecretStr

    from app.areas.models import Area, Place
    from app.core.config import Settings
    from app.demo import town

    db = Database(Settings(database_url=url, secret_key=SecretStr("x" * 40)))
    with db.transaction() as session:
        area = Area(**town.AREA)
        session.add(area)
        session.flush()
        for name, kind, lat, lng in town.PLACES:
            session.add(Place(area_id=area.id, name=name, kind=kind, lat=lat, lng=lng))
        session.execute(text(bare_table))
    db.dispose()


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def start(name: str, target: str, env: dict[str, str], log: Path, cwd: Path = ROOT) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1", "--port", str(port),
        "--no-proxy-headers", "--no-server-header", "--no-access-log", "--log-level", "warning",
    ]
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} server exited: see {log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return Server(name, port, process)
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{name} server did not start within 30 s: see {log}")


# --- Load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    label: str
    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    cpu_ms: float  # server CPU per request
    errors: int


LoadRequest = tuple[Server, str, str, dict[str, str] | None]  # server, method, path, form (None: GET)


def is_real(server: Server) -> bool:
    return server.name != "bare"


async def _load(
    server: Server, method: str, path: str, connections: int, seconds: float, body: dict[str, str] | None, fresh_words: bool,
) -> Cell:
    base = f"http://127.0.0.1:{server.port}"
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        form = dict(body or {})
        if body is not None and is_real(server):
            page = await client.get("/report")  # the CSRF cookie, and the token the page carries
            found = TOKEN.search(page.text)
            assert found, "GET /report has no CSRF token"
            form["csrf_token"] = found.group(1)
        cpu_before, started = server.cpu_seconds(), time.perf_counter()
        deadline = started + seconds

        async def one_connection() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                data = form | {"submission_token": secrets.token_urlsafe(18)} if body is not None else None
                if data is not None and fresh_words:
                    data["description"] = f"{data['description']} {secrets.token_hex(4)}"
                t0 = time.perf_counter()
                response = await client.request(method, path, data=data)
                latencies.append(time.perf_counter() - t0)
                # The real send answers with the receipt page (200); anything else is a failed send.
                if response.status_code >= 300 or (is_real(server) and body is not None and 'class="receipt-code"' not in response.text):
                    errors += 1

        await asyncio.gather(*(one_connection() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        cpu = server.cpu_seconds() - cpu_before
    latencies.sort()
    done = len(latencies)
    return Cell(
        label=f"{server.name} {method} {path}", connections=connections, rps=done / elapsed,
        p50_ms=statistics.median(latencies) * 1000, p95_ms=latencies[int(0.95 * (done - 1))] * 1000,
        cpu_ms=cpu / max(done, 1) * 1000, errors=errors,
    )


def load(
    server: Server, method: str, path: str, connections: int, seconds: float, body: dict[str, str] | None = None, fresh_words: bool = False,
) -> Cell:
    return asyncio.run(_load(server, method, path, connections, seconds, body, fresh_words))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL (a throwaway database is made and dropped)")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each cell")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the median round is reported")
    parser.add_argument("--connections", default="1,20", help="connection counts, comma separated")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also run the real app from this copy of the repository (before a change)")
    parser.add_argument("--fresh-words", action="store_true", help="a different description on every send")
    args = parser.parse_args()
    counts = [int(c) for c in args.connections.split(",")]

    with database(args.postgres) as url, tempfile.TemporaryDirectory() as folder:
        env = os.environ | {
            "SAFETYMAP_ENV": "development", "SAFETYMAP_DATA_DIR": folder, "SAFETYMAP_DATABASE_URL": url,
            "SAFETYMAP_SECRET_KEY": secrets.token_urlsafe(32), "SAFETYMAP_REPORT_RATE_LIMIT": "1000000000",
            "SAFETYMAP_ALERT_LOOP_SECONDS": "0", "SAFETYMAP_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
        }
        servers: list[Server] = []
        try:
            real = start("real", "app.main:create_app", env, Path(folder) / "real.log")
            servers.append(real)
            page_bytes = len(httpx.get(f"http://127.0.0.1:{real.port}/report").content)
            bare = start("bare", "bench.throughput:bare_app", env | {"BENCH_PAGE_BYTES": str(page_bytes)}, Path(folder) / "bare.log")
            servers.append(bare)
            if args.baseline:
                before_dir = args.baseline.resolve()
                before = start("before", "app.main:create_app", env | {"PYTHONPATH": str(before_dir)}, Path(folder) / "before.log", cwd=before_dir)
                servers.append(before)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            for server in servers:
                server.process.terminate()
                server.process.wait(timeout=10)
            return 2
        try:
            bare_bytes = len(httpx.get(f"http://127.0.0.1:{bare.port}/page").content)
            print(
                f"database: {url.split(':', 1)[0]}; GET /report {page_bytes} bytes, bare page {bare_bytes} bytes; {os.cpu_count()} cores;"
                f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.strftime('%Y-%m-%d %H:%M %Z')}"
                + ("; fresh words on every send" if args.fresh_words else "")
            )
            sides = ("real", "bare", "before")[: len(servers)]
            pairs: list[tuple[str, list[LoadRequest]]] = [
                ("send", [(server, "POST", "/report" if is_real(server) else "/send", ANSWERS) for server in servers]),
                ("page", [(server, "GET", "/report" if is_real(server) else "/page", None) for server in servers]),
            ]
            results: dict[tuple[str, str, int], list[Cell]] = {}
            for round_number in range(args.rounds):
                for connections in counts:
                    for name, requests in pairs:
                        for side, (server, method, path, body) in zip(sides, requests, strict=True):
                            cell = load(server, method, path, connections, args.seconds, body, args.fresh_words)
                            results.setdefault((name, side, connections), []).append(cell)
                            print(
                                f"round {round_number + 1}  {cell.label:22} x{connections:<3} {cell.rps:8.1f} req/s  "
                                f"p50 {cell.p50_ms:7.1f} ms  p95 {cell.p95_ms:7.1f} ms  cpu {cell.cpu_ms:6.2f} ms/req"
                                + (f"  ERRORS {cell.errors}" if cell.errors else ""),
                                flush=True,
                            )
        finally:
            for server in servers:
                server.process.terminate()
                server.process.wait(timeout=10)

    def median(name: str, side: str, connections: int) -> Cell:
        cells = sorted(results[(name, side, connections)], key=lambda c: c.rps)
        return cells[len(cells) // 2]

    ok = all(c.errors == 0 for cells in results.values() for c in cells)
    print("\nmedian round:")
    for name, target in (("send", BUDGET_SEND), ("page", BUDGET_PAGE)):
        for connections in counts:
            r, b = median(name, "real", connections), median(name, "bare", connections)
            ratio = r.rps / b.rps
            ok &= ratio >= target
            print(
                f"  {name:4} x{connections:<3} real {r.rps:7.1f} req/s (p50 {r.p50_ms:.1f} ms, p95 {r.p95_ms:.1f} ms, {r.cpu_ms:.2f} ms CPU)"
                f"  bare {b.rps:7.1f} req/s (p50 {b.p50_ms:.1f} ms, p95 {b.p95_ms:.1f} ms, {b.cpu_ms:.2f} ms CPU)"
                f"  ratio {ratio:.2f} (budget >= {target})"
            )
            if "before" in sides:
                old = median(name, "before", connections)
                print(
                    f"  {name:4} x{connections:<3} before {old.rps:7.1f} req/s (p50 {old.p50_ms:.1f} ms, p95 {old.p95_ms:.1f} ms, {old.cpu_ms:.2f} ms CPU)"
                    f"  ratio to bare {old.rps / b.rps:.2f}; after / before {r.rps / old.rps:.2f}x, CPU {r.cpu_ms / old.cpu_ms:.2f}x"
                )
        if len(counts) > 1:
            low, high = median(name, "real", counts[0]), median(name, "real", counts[-1])
            scaling = high.rps / low.rps
            bare_scaling = median(name, "bare", counts[-1]).rps / median(name, "bare", counts[0]).rps
            ok &= scaling >= BUDGET_SCALING
            print(f"  {name:4} x{counts[-1]} / x{counts[0]}: real {scaling:.2f}x, bare {bare_scaling:.2f}x (budget >= {BUDGET_SCALING}x)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("budget holds" if ok else "budget NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
