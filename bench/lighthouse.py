"""Lighthouse scores for the public pages, offline, against Debian Chromium on loopback.

Usage (from the repository root):
    python bench/lighthouse.py [--runs 3] [--keep DIR] [--verbose]

Starts the app with a throwaway SQLite database and the demo town (as bench/page_weight.py does),
then runs npm `lighthouse` (node_modules, v13) with its default mobile settings (a mid-range phone,
simulated slow 4G and a 4x slower CPU) for /, /report and /track, and prints the performance,
accessibility and best-practices scores: the median of `--runs` runs, since the machines are shared
and noisy. `--verbose` lists every audit that did not score full marks. No network is needed:
Chromium is started with background networking off and the pages load nothing from elsewhere.

Targets: performance 95+, accessibility 100, best practices 95+. Exit status 1 when a median is
below target, 2 when the app, node or Chromium could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_weight import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, demo_server

LIGHTHOUSE = REPO_ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
PAGES = ("/", "/report", "/track")
CATEGORIES = ("performance", "accessibility", "best-practices")
ATTEMPTS = 3
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 95}


def run_lighthouse(url: str, output: Path) -> dict[str, Any]:
    env = os.environ | {"CHROME_PATH": CHROMIUM}
    command = [
        "node", str(LIGHTHOUSE), url,
        "--quiet",
        "--output=json", f"--output-path={output}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
    ]
    for attempt in range(1, ATTEMPTS + 1):
        # On a busy machine Lighthouse now and then loses its trace (NO_NAVSTART) and asks to be run
        # again; a run that fails twice more is reported as a failure.
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False, timeout=300)  # noqa: S603
        if done.returncode == 0:
            break
        if attempt == ATTEMPTS:
            raise subprocess.CalledProcessError(done.returncode, command)
        print(f"Lighthouse failed on {url}; running it again ({attempt}/{ATTEMPTS - 1})", file=sys.stderr)
    result: dict[str, Any] = json.loads(output.read_text())
    return result


METRICS = {
    "first-contentful-paint": "FCP", "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT", "cumulative-layout-shift": "CLS",
}


def scores(report: dict[str, Any]) -> dict[str, int]:
    return {name: round((report["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}


def metrics(report: dict[str, Any]) -> dict[str, float]:
    return {label: float(report["audits"][audit_id]["numericValue"]) for audit_id, label in METRICS.items()}


def shortfalls(report: dict[str, Any]) -> dict[str, str]:
    """Audits in the three categories that did not get full marks, for finding out why."""
    found = {}
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit.get("scoreDisplayMode") in {"binary", "numeric", "metricSavings"} and audit.get("score") is not None and audit["score"] < 1:
                value = audit.get("displayValue") or ""
                found[f"{name}: {ref['id']}"] = f"score {audit['score']:.2f} {value}".rstrip()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median is reported")
    parser.add_argument("--keep", type=Path, help="folder to keep the JSON reports in")
    parser.add_argument("--verbose", action="store_true", help="list audits without full marks")
    args = parser.parse_args(argv)

    if not shutil.which("node") or not LIGHTHOUSE.exists():
        print("node or node_modules/lighthouse is missing (run `npm ci`)", file=sys.stderr)
        return 2
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (Debian package: chromium)", file=sys.stderr)
        return 2

    results: dict[str, list[dict[str, int]]] = {}
    timings: dict[str, list[dict[str, float]]] = {}
    notes: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="safetymap-lighthouse-") as scratch:
        out_dir = args.keep or Path(scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            with demo_server() as base:
                for path in PAGES:
                    results[path] = []
                    for run in range(args.runs):
                        name = "home" if path == "/" else path.strip("/")
                        report = run_lighthouse(f"{base}{path}", out_dir / f"{name}-{run + 1}.json")
                        results[path].append(scores(report))
                        timings.setdefault(path, []).append(metrics(report))
                        if report.get("runWarnings"):
                            print(f"{path}: {'; '.join(report['runWarnings'])}", file=sys.stderr)
                        for audit, detail in shortfalls(report).items():
                            notes.setdefault(path, {}).setdefault(audit, detail)  # the first run's words
        except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            print(f"Could not run: {exc}", file=sys.stderr)
            return 2

    print(f"Lighthouse {_lighthouse_version()} on {_chromium_version()}, mobile defaults, median of {args.runs} run(s)")
    print(f"{'page':10} {'performance':>12} {'accessibility':>14} {'best-practices':>15}   (all runs)")
    below = False
    for path, runs in results.items():
        medians = {name: int(statistics.median(run[name] for run in runs)) for name in CATEGORIES}
        below |= any(medians[name] < TARGETS[name] for name in CATEGORIES)
        all_runs = "; ".join("/".join(str(run[name]) for name in CATEGORIES) for run in runs)
        print(f"{path:10} {medians['performance']:>12} {medians['accessibility']:>14} {medians['best-practices']:>15}   ({all_runs})")
        middle = {label: statistics.median(run[label] for run in timings[path]) for label in METRICS.values()}
        print(f"{'':10} FCP {middle['FCP'] / 1000:.1f} s, LCP {middle['LCP'] / 1000:.1f} s, TBT {middle['TBT']:.0f} ms, CLS {middle['CLS']:.2f}")
        if args.verbose:
            for audit, detail in notes.get(path, {}).items():
                print(f"    {audit} {detail}")
    print(f"Targets: performance {TARGETS['performance']}+, accessibility {TARGETS['accessibility']}, best practices {TARGETS['best-practices']}+: {'BELOW' if below else 'met'}.")
    return 1 if below else 0


def _lighthouse_version() -> str:
    package = json.loads((REPO_ROOT / "node_modules" / "lighthouse" / "package.json").read_text())
    return str(package["version"])


def _chromium_version() -> str:
    try:
        answer = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    except OSError:
        return "Chromium"
    return answer.stdout.strip() or "Chromium"


if __name__ == "__main__":
    sys.exit(main())
