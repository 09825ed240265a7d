"""How many bytes a phone downloads for the public pages, and whether any of them come from elsewhere.

Usage (from the repository root):
    python bench/page_weight.py [--verbose] [--budget-kb 50]

Starts the app on loopback with a throwaway SQLite database and the demo town (`safetymap db
upgrade`, `safetymap demo --reports 50`, `safetymap serve`), then opens /, /report and /track in
headless Debian Chromium with a phone viewport and an empty cache, and records every response
(HTML, CSS, JS, images, fonts). It also walks the whole report with JavaScript on (every step is an
htmx swap) to show what the rest of the flow costs.

Three numbers per page:
- raw: the bytes of every body, uncompressed;
- wire: what the app actually sent (body bytes on the wire, as Chromium counted them);
- gzip: what a server or proxy that compresses would send, computed here with Python's gzip at
  level 6 for each text body (images that are already compressed count as they are).

The budget (the first load of the report form at most 50 KB compressed) is checked against the
wire bytes when the app compresses its responses, and against the gzip estimate when it does not;
the output says which. Any request to another origin counts as third-party and must be 0 (such
requests are blocked, so the script also works with no network). Exit status: 0 within budget,
1 over budget or any third-party request, 2 when the app or the browser could not start.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SAFETYMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
}
PAGES = ("/", "/report", "/track")
BUDGET_PAGE = "/report"  # "the first load of the report flow"
# Bodies a compressing server would gzip; everything else (PNG, WOFF2, ...) is sent as it is.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> list[str]:
    """The `safetymap` console script, run with this Python so the right virtualenv is used."""
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


@contextlib.contextmanager
def demo_server(reports: int = 50) -> Iterator[str]:
    """The app on a free loopback port, with a temporary SQLite database holding the demo town."""
    with tempfile.TemporaryDirectory(prefix="safetymap-bench-") as data_dir:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYMAP_")}
        env |= {
            "SAFETYMAP_DATA_DIR": data_dir,
            "SAFETYMAP_DATABASE_URL": f"sqlite:///{data_dir}/bench.db",
            "SAFETYMAP_BASE_URL": f"http://127.0.0.1:{port}",
            "SAFETYMAP_ALERT_LOOP_SECONDS": "0",
            "SAFETYMAP_LOG_LEVEL": "WARNING",
        }
        for step in (["db", "upgrade"], ["demo", "--reports", str(reports)]):
            done = subprocess.run(_cli(*step), cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
            if done.returncode:
                tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
                raise RuntimeError(f"`safetymap {' '.join(step)}` failed:\n{tail}")
        server = subprocess.Popen(_cli("serve", "--port", str(port)), cwd=REPO_ROOT, env=env)  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310 (loopback)
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start")
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@dataclass
class Resource:
    url: str
    kind: str
    content_type: str
    raw: int
    wire: int
    gzip: int
    encoded: bool
    headers: int


@dataclass
class PageLoad:
    name: str
    resources: list[Resource] = field(default_factory=list)
    third_party: list[str] = field(default_factory=list)

    @property
    def raw(self) -> int:
        return sum(r.raw for r in self.resources)

    @property
    def wire(self) -> int:
        return sum(r.wire for r in self.resources)

    @property
    def gzip(self) -> int:
        return sum(r.gzip for r in self.resources)

    @property
    def headers(self) -> int:
        return sum(r.headers for r in self.resources)

    @property
    def app_compresses(self) -> bool:
        # The app gzips static files and, on purpose, not pages (a CSRF token beside typed text is
        # what a BREACH-style attack needs), so "compresses" means any text file came encoded.
        return any(r.encoded for r in self.resources if r.content_type.startswith(COMPRESSIBLE))

    @property
    def compressed(self) -> int:
        """The honest "compressed" figure: measured when the app compresses, estimated when not."""
        return self.wire if self.app_compresses else self.gzip


def _gzip_size(body: bytes, content_type: str) -> int:
    if not content_type.startswith(COMPRESSIBLE):
        return len(body)
    return min(len(gzip.compress(body, compresslevel=6, mtime=0)), len(body))


class Recorder:
    """Collects every response of one browser context and blocks anything not from the app."""

    def __init__(self, context: Any, base: str, load: PageLoad) -> None:
        self.origin = urlsplit(base).netloc
        self.load = load
        self.pending: list[Any] = []
        context.route("**/*", self._route)
        context.on("response", self._record)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == self.origin:
            route.continue_()
        else:
            self.load.third_party.append(url)
            route.abort("blockedbyclient")

    def _record(self, response: Any) -> None:
        self.pending.append(response)

    def collect(self) -> None:
        for response in self.pending:
            if response.status in {204, 304} or 300 <= response.status < 400:
                continue
            body = response.body()
            content_type = (response.headers.get("content-type") or "").split(";")[0].strip()
            sizes = response.request.sizes()
            self.load.resources.append(Resource(
                url=response.url,
                kind=response.request.resource_type,
                content_type=content_type,
                raw=len(body),
                wire=max(int(sizes.get("responseBodySize", len(body))), 0),  # 0 when it came from the cache
                gzip=_gzip_size(body, content_type),
                encoded=bool(response.headers.get("content-encoding")),
                headers=max(int(sizes.get("responseHeadersSize", 0)), 0),
            ))
        self.pending.clear()


def measure_page(browser: Any, base: str, path: str) -> PageLoad:
    context = browser.new_context(**PHONE)
    load = PageLoad(path)
    recorder = Recorder(context, base, load)
    page = context.new_page()
    page.goto(f"{base}{path}", wait_until="networkidle")
    recorder.collect()
    context.close()
    return load


def measure_report_walk(browser: Any, base: str) -> PageLoad:
    """Every screen of an unsafe report after the first load, up to "Check and send" (not sent)."""
    context = browser.new_context(**PHONE)
    load = PageLoad("/report, steps 2-7 (htmx)")
    recorder = Recorder(context, base, load)
    page = context.new_page()
    page.goto(f"{base}/report", wait_until="networkidle")
    recorder.pending.clear()  # the first load is measured on its own above
    page.get_by_role("button", name="Somewhere I feel unsafe").click()
    page.wait_for_selector("[data-report-step=where]")
    page.get_by_label("Describe where it is", exact=False).fill("the underpass by the station")
    for step, answer in (("where", None), ("when", "Evening"), ("what", None), ("feel", "A bit unsafe"), ("about", None)):
        page.wait_for_selector(f"[data-report-step={step}]")
        if answer:
            page.get_by_label(answer, exact=False).first.check()
        if step == "what":
            page.get_by_label("Tell us in your own words").fill("Older people shout at us by the gates after dark.")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_selector(f"[data-report-step]:not([data-report-step={step}])")
    page.wait_for_selector("[data-report-step=check]")
    page.wait_for_load_state("networkidle")
    recorder.collect()
    context.close()
    return load


def _kb(n: int) -> str:
    return f"{n / 1024:6.1f} KB"


def print_load(load: PageLoad, verbose: bool) -> None:
    print(f"\n{load.name}")
    if verbose:
        for r in load.resources:
            path = urlsplit(r.url).path
            print(f"  {r.kind:10} {path[:48]:48} raw {_kb(r.raw)}  wire {_kb(r.wire)}  gzip {_kb(r.gzip)}")
    by_kind: dict[str, list[Resource]] = {}
    for r in load.resources:
        by_kind.setdefault(r.kind, []).append(r)
    for kind, items in sorted(by_kind.items()):
        print(f"  {kind:10} {len(items):2} file(s)  raw {_kb(sum(r.raw for r in items))}  wire {_kb(sum(r.wire for r in items))}  gzip {_kb(sum(r.gzip for r in items))}")
    print(f"  {'total':10} {len(load.resources):2} file(s)  raw {_kb(load.raw)}  wire {_kb(load.wire)}  gzip {_kb(load.gzip)}")
    print(f"  {'':10} plus {_kb(load.headers).strip()} of response headers (not in the budget)")
    print(f"  third-party requests: {len(load.third_party)}")
    for url in load.third_party:
        print(f"    {url}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every resource")
    parser.add_argument("--budget-kb", type=float, default=50.0, help="budget for the first load of /report, compressed")
    args = parser.parse_args(argv)

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (Debian package: chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    try:
        with demo_server() as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            loads = [measure_page(browser, base, path) for path in PAGES]
            walk = measure_report_walk(browser, base)
            browser.close()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"Could not start the app: {exc}", file=sys.stderr)
        return 2

    print("Page weight on a phone (360x740), empty cache, demo town, loopback.")
    print("raw = uncompressed bodies; wire = bytes the app sent; gzip = gzip -6 of each text body.")
    for load in (*loads, walk):
        print_load(load, args.verbose)

    budget_load = next(load for load in loads if load.name == BUDGET_PAGE)
    compresses = budget_load.app_compresses
    measured = budget_load.compressed
    print()
    if compresses:
        print("The app gzips its static files and sends pages uncompressed (no BREACH oracle), so the")
        print(f"budget counts the bytes really sent: {BUDGET_PAGE} first load is {_kb(measured).strip()} on the wire.")
    else:
        print("The app does not compress its responses (no Content-Encoding): the compressed figure is")
        print("what a compressing server or proxy would send, estimated with gzip level 6 per file.")
        print(f"{BUDGET_PAGE} first load: {_kb(budget_load.wire).strip()} as sent today, {_kb(measured).strip()} gzip-compressed.")
    budget = int(args.budget_kb * 1024)
    third_party = sum(len(load.third_party) for load in (*loads, walk))
    over = measured > budget
    print(f"Budget {args.budget_kb:g} KB compressed: {'OVER' if over else 'within'} ({measured / budget:.0%} used).")
    print(f"Third-party requests on every page measured: {third_party} (must be 0).")
    return 1 if over or third_party else 0


if __name__ == "__main__":
    sys.exit(main())
