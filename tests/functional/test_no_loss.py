"""No acknowledged report is lost and none is stored twice while an app process is SIGKILLed mid-run.

A short run of bench/no_loss.py (see bench/README.md, "No loss"): reporters walk the real form
against `safetymap serve` processes (1 on SQLite; 2 on PostgreSQL sharing Redis), one process is
killed and started again, failed sends are repeated with the same submission token, and every
receipt a reporter was shown must be in the database exactly once. With CI=true a missing
PostgreSQL or Redis fails the test instead of skipping it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import redis

from bench.no_loss import REDIS, Plan, run_local
from tests.conftest import IN_CI, POSTGRES_ADMIN_URL


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_no_acknowledged_report_is_lost_or_doubled_when_a_process_is_killed(database: str) -> None:
    if database == "postgresql":
        try:
            psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
        except psycopg.OperationalError as exc:
            _unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
        try:
            redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            _unavailable(f"Redis is not reachable at {REDIS}: {exc}")

    # In a thread of its own: the bench starts its own event loop, and a worker that has run a browser
    # test keeps Playwright's loop running in its main thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        outcome = pool.submit(
            run_local, database, Plan(reporters=8, seconds=12, kill_at=0.3, grace=20), postgres_admin=POSTGRES_ADMIN_URL
        ).result()
    report = "\n".join(outcome.lines())
    assert outcome.lost == 0 and outcome.doubled == 0, report
    assert outcome.found == outcome.acknowledged > 0, report
    # The kill really happened, the process came back, and it took reports again.
    assert outcome.stats.kill_at is not None and outcome.stats.back_at is not None, report
    assert outcome.acks_after_restart > 0, report
