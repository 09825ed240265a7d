"""How fast the register answers on a big area: the list and a context profile, p50 and p95.

Run against a database loaded with the fictional town, for example on PostgreSQL:

    export SAFETYMAP_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/safetymap_bench
    export SAFETYMAP_SECRET_KEY=bench-secret-key-that-is-long-enough-for-the-check
    .venv/bin/safetymap db upgrade && .venv/bin/safetymap demo --reports 200000
    .venv/bin/python bench/register_bench.py --requests 60

Requests go through the whole app in-process (middleware, dependencies, access logging, templates)
with a demo statutory user's session; only the network hop is left out. "Warm" is the steady state;
"cold" is the first list request after something in the register changed (the per-area aggregates
are rebuilt then; see app.register.service.area_aggregates).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import col, select

import app.models  # noqa: F401  (the whole schema on the metadata)
from app.accounts.models import User
from app.accounts.service import start_session
from app.areas.models import Area
from app.core.config import load_settings
from app.core.db import Database
from app.core.types import utcnow
from app.core.web import session_serializer, staff_cookie_name
from app.demo import town
from app.main import create_app
from app.register.models import Context
from app.reports.models import Report, ReportStatus

STATUTORY_EMAIL = next(email for email, _, _, roles in town.STAFF if "statutory" in roles)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _measure(label: str, call: Callable[[], int], requests: int, warmup: int) -> tuple[str, float, float, float]:
    for _ in range(warmup):
        status = call()
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    return label, statistics.median(timings), _percentile(timings, 0.95), max(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first")
    parser.add_argument("--cold", type=int, default=10, help="list requests right after a change in the register")
    args = parser.parse_args(argv)

    settings = load_settings()
    db = Database(settings)
    with db.transaction() as session:
        area = session.exec(select(Area).where(Area.slug == town.AREA["slug"])).first()
        user = session.exec(select(User).where(User.email == STATUTORY_EMAIL)).first()
        if area is None or user is None or area.id is None:
            print("The demo town is not loaded: run `safetymap demo --reports 200000` first.", file=sys.stderr)
            return 2
        published = session.exec(select(func.count()).select_from(Report).where(Report.area_id == area.id, Report.status == ReportStatus.PUBLISHED)).one()
        busiest = session.exec(
            select(Report.context_id, func.count())
            .where(Report.area_id == area.id, Report.status == ReportStatus.PUBLISHED, col(Report.context_id).is_not(None))
            .group_by(col(Report.context_id))
            .order_by(func.count().desc())
        ).first()
        assert busiest is not None
        context_id, context_entries = busiest
        contexts = session.exec(select(func.count()).select_from(Context).where(Context.area_id == area.id)).one()
        token = start_session(session, user, area)
    print(f"Database: {settings.database_url.split('@')[-1]}; {published} published entries in {contexts} contexts; busiest context has {context_entries}.")

    web_app = create_app(settings, database=db)
    results = []
    with TestClient(web_app) as client:
        client.cookies.set(staff_cookie_name(settings), session_serializer(settings).dumps(token))
        pages = [
            ("register list (default: last 12 months)", "/staff/register"),
            ("register list, filtered and sorted", "/staff/register?period=3m&kind=place&theme=poor_lighting&sort=unsafe"),
            ("context profile (busiest context)", f"/staff/register/contexts/{context_id}"),
            ("context profile, entries page 20", f"/staff/register/contexts/{context_id}?entries=20"),
            ("what to change first (weighting)", "/staff/register/weighting"),
            ("panel agenda", "/staff/register/panel"),
            ("map of contexts", "/staff/register/map"),
        ]
        for label, path in pages:
            results.append(_measure(label, lambda path=path: client.get(path).status_code, args.requests, args.warmup))
        cold = []
        for _ in range(args.cold):
            with db.transaction() as session:
                context = session.get(Context, context_id)
                assert context is not None
                context.updated_at = utcnow()
                session.add(context)
            start = time.perf_counter()
            assert client.get("/staff/register").status_code == 200
            cold.append((time.perf_counter() - start) * 1000)
        results.append(("register list, cold (after a change)", statistics.median(cold), _percentile(cold, 0.95), max(cold)))
    db.dispose()

    print("\n| page | p50 ms | p95 ms | max ms |\n| --- | --- | --- | --- |")
    for label, p50, p95, worst in results:
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
    print(f"\n{args.requests} measured requests per page after {args.warmup} warm-up requests; cold: {args.cold} requests.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
