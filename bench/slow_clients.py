"""Slow clients: 50 sockets trickle headers and bodies while /healthz and the inbound API must keep answering.

    .venv/bin/python -m bench.slow_clients                  # deploy/: nginx + gunicorn, 60 s
    .venv/bin/python -m bench.slow_clients --direct         # the same straight at gunicorn: why the proxy is there
    .venv/bin/python -m bench.slow_clients --db sqlite --seconds 10   # what the CI test runs

Starts gunicorn with deploy/gunicorn.conf.py (4 sync workers) on a loopback
port and, unless --direct, Debian's nginx on another with
deploy/nginx/blockdesk-proxy.conf inside a plain-http server block, both on a
throwaway database. Then for --seconds: half of the attack sockets send a
request line and headers one byte per second and never finish them; the
other half send complete headers of an inbound POST announcing a 1 MB body
and trickle it one byte per second. A socket the server closes is opened
again at once, so the attack always holds --sockets sockets. Beside it one
client probes `GET /healthz` and `POST /api/v1/inbound/messages` (a new
message each time) four times a second with a 5-second timeout. Passes when
both probes answer every time with p95 under 1 s; prints a JSON summary on
its last line. Exit status 1 otherwise.
"""

import argparse
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from .load_race import (
    GUNICORN,
    PYTHON,
    ROOT,
    app_env,
    create_database,
    drop_database,
    free_port,
    percentile,
    stop_gunicorn,
)

NGINX = os.environ.get("BLOCKDESK_NGINX", "/usr/sbin/nginx")
PROXY_SNIPPET = ROOT / "deploy" / "nginx" / "blockdesk-proxy.conf"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
INBOUND = "/api/v1/inbound/messages"
PROBE_TIMEOUT_S = 5.0
PROBE_INTERVAL_S = 0.25
TRICKLE_INTERVAL_S = 1.0
P95_LIMIT_S = 1.0
ANNOUNCED_BODY = 1_000_000
_message_ids = itertools.count(1)

SETUP = """
from contacts.models import Channel
channel = Channel(name="Slow clients", kind="whatsapp", requests_per_minute=0, messages_per_minute=0)
token = channel.set_new_token()
channel.save()
print(token)
"""

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream blockdesk {{ server 127.0.0.1:{app_port}; }}
    server {{
        listen 127.0.0.1:{port};
        server_name _;
        include {snippet};
    }}
}}
"""


class Attack:
    """Holds `sockets` sockets open, each trickling one byte a second of a request it never completes."""

    def __init__(self, port: int, sockets: int, token: str, deadline: float):
        self.port, self.token, self.deadline = port, token, deadline
        self.reopened = 0
        self.bytes_sent = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._hold, args=(i,), daemon=True) for i in range(sockets)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _opening(self, i: int) -> tuple[bytes, bytes]:
        """What a socket sends at once, then the bytes it trickles."""
        if i % 2 == 0:  # headers that never end
            head = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{i}: ".encode()
            return head, b"a" * 4000
        head = (
            f"POST {INBOUND} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {ANNOUNCED_BODY}\r\n\r\n"
        ).encode()
        return head, b"{" + b" " * 4000

    def _hold(self, i: int) -> None:
        head, trickle = self._opening(i)
        first = True
        while time.monotonic() < self.deadline:
            if not first:
                with self.lock:
                    self.reopened += 1
            first = False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    sock.sendall(head)
                    for byte in trickle:
                        if time.monotonic() >= self.deadline:
                            return
                        time.sleep(TRICKLE_INTERVAL_S)
                        sock.sendall(bytes([byte]))
                        with self.lock:
                            self.bytes_sent += 1
            except OSError:
                time.sleep(0.1)


def probe(base: str, token: str, deadline: float, results: dict) -> None:
    """GET /healthz and POST one new inbound message, in turn, until the deadline."""
    session = requests.Session()
    n = 0
    while time.monotonic() < deadline:
        n += 1
        name = "healthz" if n % 2 else "inbound"
        started = time.monotonic()
        try:
            if name == "healthz":
                ok = session.get(f"{base}/healthz", timeout=PROBE_TIMEOUT_S).status_code == 200
            else:
                k = next(_message_ids)
                body = {"message_id": f"slow.{k}", "contact": {"id": f"+6281{k % 20:08d}"}, "text": f"Probe {k}"}
                answer = session.post(
                    f"{base}{INBOUND}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=PROBE_TIMEOUT_S
                )
                ok = answer.status_code == 201
        except requests.RequestException:
            ok = False
        elapsed = time.monotonic() - started
        results[name]["latencies"].append(elapsed)
        if not ok:
            results[name]["failures"] += 1
        time.sleep(max(0.0, PROBE_INTERVAL_S - elapsed))


def measure(base: str, token: str, seconds: float, attack: Attack | None) -> dict:
    results = {name: {"latencies": [], "failures": 0} for name in ("healthz", "inbound")}
    deadline = time.monotonic() + seconds
    if attack:
        attack.deadline = deadline
        attack.start()
        time.sleep(1.5)  # every attack socket connected and trickling before the first probe
    probe(base, token, deadline, results)
    if attack:
        attack.join()
    return {
        name: {
            "probes": len(r["latencies"]),
            "failures": r["failures"],
            "p50_ms": round(percentile(r["latencies"], 50) * 1000, 1),
            "p95_ms": round(percentile(r["latencies"], 95) * 1000, 1),
            "max_ms": round(max(r["latencies"], default=0) * 1000, 1),
        }
        for name, r in results.items()
    }


def wait_for(url: str, what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{what} did not come up; see {log}")


def start_nginx(tmp: Path, port: int, app_port: int) -> subprocess.Popen:
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, app_port=app_port, snippet=PROXY_SNIPPET))
    check = subprocess.run([NGINX, "-t", "-q", "-e", str(tmp / "error.log"), "-c", str(conf)], capture_output=True)
    if check.returncode:
        raise SystemExit(f"nginx rejected the configuration: {check.stderr.decode()}")
    return subprocess.Popen(
        [NGINX, "-e", str(tmp / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "nginx.out").open("w"),
        start_new_session=True,
    )


def run(args) -> int:
    if not args.direct and not Path(NGINX).exists():
        raise SystemExit(f"No nginx at {NGINX}: apt-get install -y nginx (or run with --direct)")
    tmp = Path(tempfile.mkdtemp(prefix="bd-slow-"))
    tmp.chmod(0o755)  # nginx's workers run as an unprivileged user when started by root
    db_name = f"bd_slow_clients_{os.getpid()}"
    database_url = create_database(db_name) if args.db == "postgres" else f"sqlite:///{tmp / 'db.sqlite3'}"
    env = app_env(database_url) | {"WEB_CONCURRENCY": str(args.workers), "TRUSTED_PROXY_COUNT": "1"}
    app_port, proxy_port = free_port(), free_port()
    gunicorn = nginx = None
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        token = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        log = tmp / "gunicorn.log"
        gunicorn = subprocess.Popen(
            [GUNICORN, "-c", str(GUNICORN_CONFIG), "-b", f"127.0.0.1:{app_port}", "blockdesk.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(f"http://127.0.0.1:{app_port}/healthz", "gunicorn", log)
        port = app_port
        if not args.direct:
            nginx = start_nginx(tmp, proxy_port, app_port)
            wait_for(f"http://127.0.0.1:{proxy_port}/healthz", "nginx", tmp / "error.log")
            port = proxy_port
        base = f"http://127.0.0.1:{port}"
        quiet = measure(base, token, 3.0, None)
        attack = Attack(port, args.sockets, token, deadline=0.0)
        under_attack = measure(base, token, args.seconds, attack)
        failures = [
            f"{name}: {r['failures']} of {r['probes']} probes failed or timed out"
            for name, r in under_attack.items()
            if r["failures"]
        ] + [
            f"{name}: p95 {r['p95_ms']} ms is not under {P95_LIMIT_S * 1000:.0f} ms"
            for name, r in under_attack.items()
            if r["p95_ms"] >= P95_LIMIT_S * 1000
        ]
        summary = {
            "topology": "gunicorn alone" if args.direct else "nginx + gunicorn",
            "database": args.db,
            "gunicorn_workers": args.workers,
            "attack_sockets": args.sockets,
            "seconds": args.seconds,
            "attack_bytes_trickled": attack.bytes_sent,
            "attack_sockets_reopened": attack.reopened,
            "quiet": quiet,
            "under_attack": under_attack,
            "failures": failures,
            "result": "FAIL" if failures else "PASS",
        }
        print(json.dumps(summary))
        return 1 if failures else 0
    finally:
        for server in (nginx, gunicorn):
            if server is not None:
                stop_gunicorn(server)
        if args.db == "postgres":
            drop_database(db_name)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0, help="how long the attack lasts")
    p.add_argument("--sockets", type=int, default=50, help="slow sockets held open")
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    p.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--direct", action="store_true", help="no nginx: the slow sockets go straight to gunicorn")
    return run(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
