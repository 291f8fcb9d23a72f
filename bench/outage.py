"""Database outage run: the load/race run of load_race.py, with PostgreSQL stopped and started in the middle.

    .venv/bin/python -m bench.outage               # 12,000 messages; PostgreSQL down ~6 s after 8 s

While PostgreSQL is down the API must answer 503 with a JSON body (never
another 5xx); the clients retry with the same message ids; at the end nothing
is lost or duplicated (the same checks as load_race.py) and gunicorn, never
restarted, serves again (health after the run is ok).

CAREFUL: this stops the machine's shared PostgreSQL cluster. The script waits
until no pytest process is running (--wait-idle seconds), keeps the downtime
short (--down-seconds, at most 10) and always starts the cluster again.
"""

import subprocess
import sys
import threading
import time

import requests

from bench.load_race import parser, run

CLUSTER = ["15", "main"]
PG_CTL = ["pg_ctlcluster", "--skip-systemctl-redirect"]
timeline: list = []


def cluster_online() -> bool:
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    return any(line.split()[:2] == CLUSTER and "online" in line for line in out.splitlines())


def start_cluster() -> None:
    if not cluster_online():
        subprocess.run([*PG_CTL, *CLUSTER, "start"], check=False)
    for _ in range(60):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            return
        time.sleep(0.5)


def wait_until_no_tests_run(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        busy = [line for line in ps.splitlines() if "pytest" in line and "grep" not in line]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise SystemExit("pytest is still running (it may use PostgreSQL); not stopping the cluster:\n" + ps)
        print(f"waiting for {len(busy)} pytest process(es) to finish…", flush=True)
        time.sleep(5)


def make_outage(after: float, down: float):
    def outage(base: str, stop: threading.Event) -> None:
        if stop.wait(after):
            return
        health = []
        stopped = time.monotonic()
        try:
            timeline.append(("stopping PostgreSQL", time.time()))
            subprocess.run([*PG_CTL, *CLUSTER, "stop", "-m", "fast"], check=True)
            timeline.append(("PostgreSQL stopped", time.time()))
            while time.monotonic() - stopped < down:
                try:
                    response = requests.get(f"{base}/healthz", timeout=3)
                    health.append(response.status_code)
                except requests.RequestException:
                    health.append("connection error")
                time.sleep(1)
        finally:
            start_cluster()
            timeline.append(("PostgreSQL started", time.time()))
            timeline.append((f"/healthz while down: {health}", time.time()))
            timeline.append((f"downtime {time.monotonic() - stopped:.1f} s", time.time()))

    return outage


def main() -> int:
    p = parser("outage", 12_000)
    p.add_argument("--down-after", type=float, default=8, help="seconds into the run before stopping PostgreSQL")
    p.add_argument("--down-seconds", type=float, default=6, help="how long PostgreSQL stays down (max 10)")
    p.add_argument("--wait-idle", type=float, default=300, help="how long to wait for running pytest to end")
    args = p.parse_args()
    args.down_seconds = min(args.down_seconds, 10)
    wait_until_no_tests_run(args.wait_idle)
    try:
        status = run(args, during=make_outage(args.down_after, args.down_seconds))
    finally:
        start_cluster()
        for event, at in timeline:
            print(time.strftime("%H:%M:%S", time.localtime(at)), event)
    if not any(event == "PostgreSQL stopped" for event, _ in timeline):
        # A run that ended before the outage began tested nothing about outages.
        print("FAIL — the run ended before PostgreSQL was stopped: raise --messages or lower --down-after")
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
