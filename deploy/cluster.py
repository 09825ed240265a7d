"""`make run-cluster`: two or more app processes behind nginx, on PostgreSQL and Redis.

Everything runs as children of this script, with its files under DATA_DIR/cluster (var/cluster):
- PostgreSQL database SAFETYMAP_DATABASE_URL (default: safetymap_cluster on 127.0.0.1:5432, made
  if missing), migrated with `safetymap db upgrade` and loaded with `safetymap demo` (skipped when
  the demo town is already there);
- CLUSTER_APPS (default 2) `safetymap serve` processes on 127.0.0.1, ports CLUSTER_APP_PORT
  (default 8101) and up, sharing SAFETYMAP_REDIS_URL (default redis://127.0.0.1:6379/0) and
  believing X-Forwarded-For from the proxy only (SAFETYMAP_TRUSTED_PROXIES=["127.0.0.1"]);
- nginx from deploy/nginx.conf on 127.0.0.1:CLUSTER_PORT (default 8080), not as a daemon.

An app process that dies is started again (its pid is in cluster/app-N.pid, its port in
cluster/app-N.port). Ctrl-C (or SIGTERM) stops everything; nginx exiting stops everything too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
SAFETYMAP = str(Path(sys.executable).with_name("safetymap"))
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/safetymap_cluster"
TEMPLATE = ROOT / "deploy" / "nginx.conf"


def say(message: str) -> None:
    print(f"[cluster] {message}", flush=True)


def ensure_database(url: str) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    if not plain.startswith("postgresql://"):
        raise SystemExit("run-cluster needs PostgreSQL: several app processes cannot share SQLite")
    base, name = plain.rsplit("/", 1)
    name = name.split("?", 1)[0]
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                admin.execute(f'CREATE DATABASE "{name}"')
                say(f"made database {name}")
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {base}: {exc}") from exc


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise SystemExit("nginx is not installed (Debian: apt-get install nginx-light)")
    return found


def render(template: str, values: dict[str, str]) -> str:
    """deploy/nginx.conf with its @NAME@ placeholders filled in (comment lines are left as they are)."""
    lines = []
    for line in template.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # the header comment names the placeholders: leave it be
            for key, value in values.items():
                line = line.replace(f"@{key}@", value)
        lines.append(line)
    return "".join(lines)


def upstream_lines(servers: list[str]) -> str:
    return "\n        ".join(f"server {server} max_fails=1 fail_timeout=2s;" for server in servers)


def render_nginx(run: Path, listen: str, ports: list[int]) -> Path:
    temp = [run / f"{name}_temp" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")]
    for folder in temp:
        folder.mkdir(parents=True, exist_ok=True)
    user = ""
    if os.geteuid() == 0:
        # As root, nginx's workers drop to an unprivileged user, who must be able to write the temp files.
        user = "user nobody nogroup;"
        for folder in temp:
            os.chown(folder, 65534, 65534)
    text = render(TEMPLATE.read_text(), {
        "USER": user, "RUN": str(run), "LISTEN": listen, "UPSTREAMS": upstream_lines([f"127.0.0.1:{p}" for p in ports]),
        "ERROR_LOG": str(run / "error.log"), "ACCESS_LOG": str(run / "access.log"),
    })
    conf = run / "nginx.conf"
    conf.write_text(text)
    return conf


def compose_conf() -> str:
    """The template as docker-compose.yml's nginx container uses it (official nginx image)."""
    header = "# Rendered from deploy/nginx.conf by `python deploy/cluster.py --print-compose-conf`: edit that file, not this one.\n"
    return header + render(TEMPLATE.read_text(), {
        "USER": "user nginx;", "RUN": "/var/cache/nginx", "LISTEN": "8080", "UPSTREAMS": upstream_lines(["app1:8000", "app2:8000"]),
        "ERROR_LOG": "/dev/stderr", "ACCESS_LOG": "/dev/stdout",
    })


class App:
    def __init__(self, index: int, port: int, env: dict[str, str], folder: Path) -> None:
        self.index, self.port, self.env, self.folder = index, port, env, folder
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.pidfile = folder / f"app-{index}.pid"
        (folder / f"app-{index}.port").write_text(f"{port}\n")

    def start(self) -> None:
        log = (self.folder / f"app-{self.index}.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [SAFETYMAP, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        self.started = time.monotonic()
        self.pidfile.write_text(f"{self.process.pid}\n")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()


def wait_healthy(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def main() -> int:
    if sys.argv[1:] == ["--print-compose-conf"]:
        sys.stdout.write(compose_conf())
        return 0
    data_dir = Path(os.environ.get("SAFETYMAP_DATA_DIR", "var")).resolve()
    run = data_dir / "cluster"
    nginx_run = run / "nginx"
    nginx_run.mkdir(parents=True, exist_ok=True)
    apps_wanted = int(os.environ.get("CLUSTER_APPS", "2"))
    proxy_port = int(os.environ.get("CLUSTER_PORT", "8080"))
    first_port = int(os.environ.get("CLUSTER_APP_PORT", "8101"))
    if apps_wanted < 2:
        raise SystemExit("CLUSTER_APPS must be 2 or more")
    database_url = os.environ.get("SAFETYMAP_DATABASE_URL") or DEFAULT_DATABASE
    env = os.environ | {
        "SAFETYMAP_DATA_DIR": str(data_dir),
        "SAFETYMAP_DATABASE_URL": database_url,
        "SAFETYMAP_REDIS_URL": os.environ.get("SAFETYMAP_REDIS_URL") or "redis://127.0.0.1:6379/0",
        "SAFETYMAP_TRUSTED_PROXIES": json.dumps(["127.0.0.1"]),
        "SAFETYMAP_BASE_URL": os.environ.get("SAFETYMAP_BASE_URL") or f"http://127.0.0.1:{proxy_port}",
    }
    nginx = nginx_binary()
    ensure_database(database_url)
    # Serially, before any app starts: this also makes DATA_DIR/secret_key once, which every process then reads.
    for command in (["db", "upgrade"], ["demo", *os.environ.get("CLUSTER_DEMO_ARGS", "").split()]):
        subprocess.run([SAFETYMAP, *command], cwd=ROOT, env=env, check=True)  # noqa: S603

    ports = [first_port + i for i in range(apps_wanted)]
    apps = [App(i + 1, port, env, run) for i, port in enumerate(ports)]
    conf = render_nginx(nginx_run, f"127.0.0.1:{proxy_port}", ports)
    test = subprocess.run([nginx, "-t", "-q", "-p", str(nginx_run), "-c", str(conf), "-e", str(nginx_run / "error.log")],  # noqa: S603
                          capture_output=True, text=True, check=False)
    if test.returncode:
        raise SystemExit(f"nginx refused {conf}:\n{test.stderr}")

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for app in apps:
        app.start()
    for app in apps:
        if not wait_healthy(f"http://127.0.0.1:{app.port}/healthz"):
            for other in apps:
                other.stop()
            raise SystemExit(f"app {app.index} did not start: see {run}/app-{app.index}.log")
    proxy = subprocess.Popen(  # noqa: S603
        [nginx, "-p", str(nginx_run), "-c", str(conf), "-e", str(nginx_run / "error.log"), "-g", "daemon off;"], cwd=ROOT,
    )
    if not wait_healthy(f"http://127.0.0.1:{proxy_port}/healthz", timeout=15):
        stopping = True
        say(f"nginx did not answer: see {nginx_run}/error.log")
    else:
        say(f"{apps_wanted} app processes (ports {', '.join(map(str, ports))}) behind nginx on http://127.0.0.1:{proxy_port}")
        say(f"logs: {run}/app-N.log and {nginx_run}/access.log, error.log. Ctrl-C stops everything.")

    status = 0
    while not stopping:
        time.sleep(0.5)
        if stopping:  # Ctrl-C in a terminal reaches every child too: that is no failure
            break
        if proxy.poll() is not None:
            say(f"nginx exited with {proxy.returncode}: stopping")
            status = 1
            break
        for app in apps:
            assert app.process is not None
            if app.process.poll() is not None and not stopping:
                code = app.process.returncode
                # A process that dies at once again and again gets a pause, not a tight loop.
                if time.monotonic() - app.started < 5:
                    time.sleep(2)
                say(f"app {app.index} (port {app.port}) exited with {code}: starting it again")
                app.start()

    say("stopping")
    if proxy.poll() is None:
        proxy.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
    for app in apps:
        app.stop()
    for child in [proxy, *(a.process for a in apps if a.process)]:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for app in apps:
        app.pidfile.unlink(missing_ok=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
