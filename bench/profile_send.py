"""Where one report send spends its CPU, in-process: a cProfile of N sends through the whole app.

Usage (from the repository root):
    .venv/bin/python bench/profile_send.py                          # SQLite, a throwaway file
    .venv/bin/python bench/profile_send.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/profile_send.py --sends 400 --top 40 --sort tottime
    .venv/bin/python bench/profile_send.py --no-profile             # CPU per send only, no profiler overhead
    .venv/bin/python bench/profile_send.py --only 'app/|fastapi/' --callers 'find_spec'

The app is the real one (`create_app`, every middleware and dependency), on a throwaway database
seeded as bench/throughput.py seeds its own (one area, the demo town's gazetteer), driven through
httpx's ASGI transport. FastAPI runs plain `def` routes and dependencies in a thread pool, which a
profiler of one thread does not see; here they run inline on the event loop's thread instead
(`anyio.to_thread.run_sync` replaced for this process only), so the one profile holds everything
the server process does for a send except the socket and HTTP parsing, plus the in-process client's
own work (about 2 ms a send here). The same ordinary report as bench/throughput.py sends, each with
its own submission token (--fresh-words: and its own words).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anyio.to_thread  # noqa: E402
import httpx  # noqa: E402

from bench.throughput import ANSWERS, TOKEN, database  # noqa: E402


async def _inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return func(*args)


async def _drive(url: str, sends: int, warmup: int, profile: cProfile.Profile | None, fresh_words: bool) -> tuple[float, float]:
    from app.core.config import load_settings
    from app.main import create_app

    web_app = create_app(load_settings())
    transport = httpx.ASGITransport(app=web_app)
    async with web_app.router.lifespan_context(web_app), httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        page = await client.get("/report")
        found = TOKEN.search(page.text)
        assert found, "GET /report has no CSRF token"
        form = ANSWERS | {"csrf_token": found.group(1)}

        async def send() -> None:
            data = form | {"submission_token": secrets.token_urlsafe(18)}
            if fresh_words:
                data["description"] = f"{data['description']} {secrets.token_hex(4)}"
            response = await client.post("/report", data=data)
            assert response.status_code == 200 and 'class="receipt-code"' in response.text, response.status_code

        for _ in range(warmup):
            await send()
        cpu, wall = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        for _ in range(sends):
            await send()
        if profile is not None:
            profile.disable()
        return (time.process_time() - cpu) / sends * 1000, (time.perf_counter() - wall) / sends * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="PostgreSQL admin URL (a throwaway database is made and dropped)")
    parser.add_argument("--sends", type=int, default=300, help="profiled sends")
    parser.add_argument("--warmup", type=int, default=30, help="unprofiled sends first")
    parser.add_argument("--top", type=int, default=35, help="rows of the profile to print")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime, ...)")
    parser.add_argument("--no-profile", action="store_true", help="time CPU per send only")
    parser.add_argument("--fresh-words", action="store_true", help="a different description on every send (as bench/throughput.py)")
    parser.add_argument("--only", metavar="REGEX", help="print only functions whose file:line(name) matches, e.g. 'app/'")
    parser.add_argument("--callers", metavar="REGEX", help="also print who called the functions matching this")
    args = parser.parse_args()
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    with database(args.postgres) as url, tempfile.TemporaryDirectory() as folder:
        os.environ.update({
            "SAFETYMAP_ENV": "development", "SAFETYMAP_DATA_DIR": folder, "SAFETYMAP_DATABASE_URL": url,
            "SAFETYMAP_SECRET_KEY": secrets.token_urlsafe(32), "SAFETYMAP_REPORT_RATE_LIMIT": "1000000000",
            "SAFETYMAP_ALERT_LOOP_SECONDS": "0", "SAFETYMAP_LOG_LEVEL": "WARNING",
        })
        profile = None if args.no_profile else cProfile.Profile()
        cpu_ms, wall_ms = asyncio.run(_drive(url, args.sends, args.warmup, profile, args.fresh_words))
    print(f"database: {url.split(':', 1)[0]}; {args.sends} sends; {cpu_ms:.2f} ms CPU and {wall_ms:.2f} ms wall per send"
          f"{' (with the profiler)' if profile else ''}; load average {os.getloadavg()[0]:.2f}")
    if profile is not None:
        stats = pstats.Stats(profile)
        stats.sort_stats(args.sort).print_stats(*([args.only] if args.only else []), args.top)
        if args.callers:
            stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
