"""How fast the register answers on a big area: the list and the busiest context's profile, p50 and p95,
warm and on the first request after a restart.

Run against a database loaded with the fictional town, for example on PostgreSQL:

    createdb -h 127.0.0.1 -U postgres bench_register
    export SAFETYMAP_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_register
    export SAFETYMAP_SECRET_KEY=bench-secret-key-that-is-long-enough-for-the-check
    .venv/bin/safetymap db upgrade && .venv/bin/safetymap demo --reports 1000000
    .venv/bin/python bench/register_bench.py --requests 60 --restarts 5

Requests go through the whole app in-process (middleware, dependencies, access logging, templates)
with a demo statutory user's session; only the network hop is left out. "Warm" is the steady state.
"First request after a restart" starts a new Python process each time (a fresh app, connection pool
and template cache) and times its first list request and its first profile request; the database
server itself keeps running (its buffer cache stays warm, as it does when an app server restarts).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import col, select

import app.models  # noqa: F401  (the whole schema on the metadata)
from app.accounts.models import User
from app.accounts.sessions import start_session
from app.areas.models import Area
from app.core.config import load_settings
from app.core.db import Database
from app.core.web import session_serializer, staff_cookie_name
from app.demo import town
from app.main import create_app
from app.register.models import AggregateDimension, Context, ContextAggregate
from app.reports.models import Report, ReportStatus

STATUTORY_EMAIL = next(email for email, _, _, roles in town.STAFF if "statutory" in roles)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class GarbageCollections:
    """Python's garbage collections during the measured requests: how many, and the time spent in the
    full (generation 2) ones, which walk every object in the process (see "The profile's slow tail")."""

    def __init__(self) -> None:
        self.young = 0
        self.full = 0
        self.full_ms: list[float] = []
        self._started = 0.0
        self.on = False

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if not self.on:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif info["generation"] == 2:
            self.full += 1
            self.full_ms.append((time.perf_counter() - self._started) * 1000)
        else:
            self.young += 1


COLLECTIONS = GarbageCollections()
GC_ROWS: list[str] = []


def _measure(label: str, call: Callable[[], int], requests: int, warmup: int) -> tuple[str, float, float, float, float]:
    """Wall-clock p50, p95 and max, and the app process's own CPU time per request at p50 (which the
    other work on a shared machine does not inflate: it excludes the database server and waiting)."""
    for _ in range(warmup):
        status = call()
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    timings, cpu = [], []
    COLLECTIONS.young, COLLECTIONS.full, COLLECTIONS.full_ms, COLLECTIONS.on = 0, 0, [], True
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        status = call()
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    COLLECTIONS.on = False
    full = f"{COLLECTIONS.full}, {statistics.median(COLLECTIONS.full_ms):.0f} ms each (median)" if COLLECTIONS.full else "0"
    GC_ROWS.append(f"| {label} | {COLLECTIONS.young / requests:.1f} | {full} |")
    return label, statistics.median(timings), _percentile(timings, 0.95), max(timings), statistics.median(cpu)


def _setup(settings: object, db: Database) -> tuple[int, int, int, int, str]:
    """The demo area's numbers, its busiest context, and a signed-in statutory user's session token."""
    with db.transaction() as session:
        area = session.exec(select(Area).where(Area.slug == town.AREA["slug"])).first()
        user = session.exec(select(User).where(User.email == STATUTORY_EMAIL)).first()
        if area is None or user is None or area.id is None:
            print("The demo town is not loaded: run `safetymap demo --reports 1000000` first.", file=sys.stderr)
            raise SystemExit(2)
        published = session.exec(select(func.count()).select_from(Report).where(Report.area_id == area.id, Report.status == ReportStatus.PUBLISHED)).one()
        busiest = session.exec(
            select(ContextAggregate.context_id, func.sum(ContextAggregate.count))
            .where(ContextAggregate.area_id == area.id, ContextAggregate.dimension == AggregateDimension.ENTRIES)
            .group_by(col(ContextAggregate.context_id))
            .order_by(func.sum(ContextAggregate.count).desc())
        ).first()
        assert busiest is not None, "no counts: run `safetymap register rebuild-counts`"
        context_id, context_entries = busiest
        contexts = session.exec(select(func.count()).select_from(Context).where(Context.area_id == area.id)).one()
        token = start_session(session, user, area)
    return int(published), int(contexts), int(context_id), int(context_entries), token


def first_requests(token: str, context_id: int) -> dict[str, float]:
    """In a fresh process: the first list request and the first profile request, in ms."""
    settings = load_settings()
    db = Database(settings)
    web_app = create_app(settings, database=db)
    timings = {}
    with TestClient(web_app) as client:
        client.cookies.set(staff_cookie_name(settings), session_serializer(settings).dumps(token))
        for label, path in (("list", "/staff/register"), ("profile", f"/staff/register/contexts/{context_id}")):
            start = time.perf_counter()
            status = client.get(path).status_code
            timings[label] = (time.perf_counter() - start) * 1000
            if status != 200:
                raise SystemExit(f"{label}: HTTP {status}")
    db.dispose()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first")
    parser.add_argument("--restarts", type=int, default=5, help="fresh processes, each timing its first list and profile request")
    parser.add_argument(
        "--unfreeze", action="store_true",
        help="undo the app's start-up gc.freeze() (app/main.py lifespan): the baseline, full collections walk every start-up object",
    )
    parser.add_argument("--first-requests", nargs=2, metavar=("TOKEN", "CONTEXT_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.first_requests:
        print(json.dumps(first_requests(args.first_requests[0], int(args.first_requests[1]))))
        return 0

    # The app's safeguarding-alert loop would compete with the measured requests for the CPU.
    os.environ.setdefault("SAFETYMAP_ALERT_LOOP_SECONDS", "0")
    settings = load_settings()
    db = Database(settings)
    published, contexts, context_id, context_entries, token = _setup(settings, db)
    with db.session() as session:
        areas = session.exec(select(func.count()).select_from(Area)).one()
        all_reports = session.exec(select(func.count()).select_from(Report)).one()
    print(
        f"Database: {settings.database_url.split('@')[-1]}; {all_reports} reports in {areas} areas; the bench area has {published} published"
        f" entries in {contexts} contexts; its busiest context has {context_entries}."
    )

    results: list[tuple[str, float, float, float, float]] = []
    restarts: dict[str, list[float]] = {"list": [], "profile": []}
    for _ in range(args.restarts):
        out = subprocess.run(  # noqa: S603 (this script, with arguments it made itself)
            [sys.executable, __file__, "--first-requests", token, str(context_id)], check=True, capture_output=True, text=True,
            env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
        for label, value in json.loads(out.stdout.strip().splitlines()[-1]).items():
            restarts[label].append(value)
    web_app = create_app(settings, database=db)
    gc.callbacks.append(COLLECTIONS)
    with TestClient(web_app) as client:  # runs the lifespan, which freezes what start-up built
        frozen_at_start = gc.get_freeze_count()
        if args.unfreeze:
            gc.unfreeze()
        client.cookies.set(staff_cookie_name(settings), session_serializer(settings).dumps(token))
        pages = [
            ("register list (default: last 12 months)", "/staff/register"),
            ("register list, filtered and sorted", "/staff/register?period=3m&kind=place&theme=poor_lighting&sort=unsafe"),
            ("register list, page 20 sorted by name", "/staff/register?sort=name&page=20"),
            ("context profile (busiest context)", f"/staff/register/contexts/{context_id}"),
            ("context profile, entries page 20", f"/staff/register/contexts/{context_id}?entries=20"),
            ("what to change first (weighting)", "/staff/register/weighting"),
            ("panel agenda", "/staff/register/panel"),
            ("map of contexts", "/staff/register/map"),
        ]
        for label, path in pages:
            results.append(_measure(label, lambda path=path: client.get(path).status_code, args.requests, args.warmup))
    db.dispose()
    for label, values in restarts.items():
        if values:
            results.append((f"first {label} request after a restart", statistics.median(values), _percentile(values, 0.95), max(values), float("nan")))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nLoad average at the end: {load:.1f} on {os.cpu_count()} CPUs.")
    print("\n| page | p50 ms | p95 ms | max ms | app CPU ms (p50) |\n| --- | --- | --- | --- | --- |")
    for label, p50, p95, worst, cpu in results:
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {'–' if cpu != cpu else f'{cpu:.1f}'} |")
    print(f"\n{args.requests} measured requests per page after {args.warmup} warm-up requests; {args.restarts} restarts.")
    frozen = f", {frozen_at_start} frozen at start-up" if not args.unfreeze else ", start-up freeze undone"
    print(f"\nGarbage collections during the measured requests ({len(gc.get_objects())} objects tracked at the end{frozen}):")
    print("\n| page | young collections per request | full collections |\n| --- | --- | --- |")
    print("\n".join(GC_ROWS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
