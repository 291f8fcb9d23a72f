"""Multi-node run: the load-and-race run over two app instances and two task workers while the switches flip.

    .venv/bin/python -m bench.multi_node             # 10,000 messages, 500 contacts, 8 clients

One throwaway PostgreSQL database and the local Redis (CACHE_URL: shared cache,
inbound limit counts); two gunicorn masters on two loopback ports (2 sync
workers each) and two `manage.py run_worker` processes. The senders of
bench/load_race.py spread their deliveries over both instances, its supervisor
blocks, unblocks and releases through the first, and an administrator flips the
BOT and blocking switches through either instance (PATCH /api/v1/settings)
every FLIP_EVERY_S. Afterwards, on top of load_race's checks (nothing lost or
duplicated, nothing of a blocked contact leaked, no orphans or broken counters):

- every message that opened a BOT or Unassigned ticket went where the BOT switch
  in force when it was accepted sends it: a message whose request ran wholly
  between two flips must be `bot` while the BOT was on and `unassigned` while it
  was off (a request overlapping a flip may go either way: counted apart);
- every block was made while blocking was on (from the audit trail of the
  switch and the Block rows' times; a block within a flip's round trip is
  counted apart), and every block refused with 403 came while it was off.
Exit status 1 if any check fails. Results in bench/results/multi_node-*.json.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import requests

from . import load_race
from .instances import AppInstance

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REDIS_CACHE_URL = "rediscache://127.0.0.1:6379/12"
FLIP_EVERY_S = 0.7

ADMIN = """
from django.contrib.auth import get_user_model
from accounts.models import ApiToken
admin = get_user_model().objects.create_superuser("multi-node-admin", "admin@example.com", None)
print(ApiToken.issue(user=admin, name="flips")[1])
"""


class Timeline:
    """When each switch flip was requested and answered (client clock), in order."""

    def __init__(self):
        self.flips: list[tuple[str, bool, float, float]] = []  # (switch, value, sent, answered)
        self.blocks: list[tuple[int, float, float]] = []  # (status, sent, answered) of the blocker's blocks
        self.failures: list[str] = []

    def state_during(self, switch: str, start: float, end: float, initial: bool) -> bool | None:
        """The switch's value over [start, end] if no flip of it overlapped that span, else None."""
        value = initial
        for name, new, sent, answered in self.flips:
            if name != switch:
                continue
            if answered <= start:
                value = new
            elif sent < end:
                return None  # a flip ran while the request did
        return value


def flipper(bases: list[str], token: str, timeline: Timeline, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    state = {"bot_enabled": True, "block_contacts_enabled": True}
    n = 0
    while not stop.wait(FLIP_EVERY_S):
        switch = rng.choice(sorted(state))
        value = not state[switch]
        base = bases[n % len(bases)]
        n += 1
        sent = time.time()
        try:
            response = session.patch(f"{base}/api/v1/settings", json={switch: value}, timeout=30)
        except requests.RequestException as exc:
            timeline.failures.append(f"flip {switch}={value} on {base}: {exc}")
            continue
        answered = time.time()
        if response.status_code != 200:
            timeline.failures.append(f"flip {switch}={value} on {base}: {response.status_code}")
            continue
        state[switch] = value
        timeline.flips.append((switch, value, sent, answered))


def blocker(bases: list[str], token: str, contact_ids: list, timeline: Timeline, stop: threading.Event) -> None:
    """Block a contact and unblock it again (Unblock All), through either instance, remembering when each block ran."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    n = 0
    while not stop.is_set():
        base, contact = bases[n % len(bases)], contact_ids[n % len(contact_ids)]
        n += 1
        sent = time.time()
        try:
            response = session.post(f"{base}/api/v1/contacts/{contact}/block", json={"reason": "spam"}, timeout=30)
            answered = time.time()
            timeline.blocks.append((response.status_code, sent, answered))
            if response.status_code == 200:
                session.post(f"{base}/api/v1/contacts/{contact}/unblock", json={"tickets": "unblock_all"}, timeout=30)
        except requests.RequestException as exc:
            timeline.failures.append(f"block on {base}: {exc}")
        time.sleep(0.05)


def sender(base: str, token: str, sends: list, stats: load_race.Stats, spans: dict, deadline: float) -> None:
    """load_race's sender, remembering when each acknowledged request started."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    for message_id, phone in sends:
        body = {
            "message_id": message_id,
            "contact": {"id": phone, "name": f"Customer {phone[-5:]}", "phone": phone},
            "text": f"Hello from {phone}, message {message_id}",
        }
        backoff = 0.2
        while True:
            if time.monotonic() > deadline:
                stats.unacknowledged.append(message_id)
                return
            sent = time.time()
            try:
                response = session.post(f"{base}/api/v1/inbound/messages", json=body, headers=headers, timeout=30)
            except requests.RequestException:
                stats.count("connection error")
                time.sleep(backoff)
                backoff = min(backoff * 2, 2)
                continue
            stats.count(response.status_code)
            if response.status_code in (200, 201):
                answered = time.time()
                stats.latencies.append(answered - sent)
                result = response.json()
                stats.acks[message_id].append(result)
                spans.setdefault(message_id, (sent, answered))
                break
            if response.status_code >= 500:
                time.sleep(min(float(response.headers.get("Retry-After", backoff)), backoff))
                backoff = min(backoff * 2, 2)
                continue
            stats.refused.append((message_id, response.status_code, response.text[:200]))
            break


def check_switches(database_url: str, stats: load_race.Stats, spans: dict, timeline: Timeline) -> dict:
    """Routing and blocking against the switches in force; figures and failures."""
    failures = []
    with psycopg.connect(database_url) as conn:
        first_of_ticket = {
            row[0]
            for row in conn.execute(
                "SELECT m.external_id FROM tickets_message m JOIN (SELECT min(id) AS first FROM tickets_message "
                "WHERE direction = 'in' GROUP BY ticket_id) f ON f.first = m.id"
            )
        }
    routed = Counter()
    for message_id, results in stats.acks.items():
        first = results[0]
        if message_id not in first_of_ticket or first["status"] not in ("bot", "unassigned") or first["duplicate"]:
            continue
        bot_on = timeline.state_during("bot_enabled", *spans[message_id], initial=True)
        if bot_on is None:
            routed["opened during a BOT flip (either is right)"] += 1
        elif first["status"] == ("bot" if bot_on else "unassigned"):
            routed[f"opened as {first['status']}, as the switch said"] += 1
        else:
            routed["opened against the switch"] += 1
            failures.append(f"{message_id}: opened as {first['status']} while the BOT was {'on' if bot_on else 'off'}")
    blocking = Counter()
    for status, sent, answered in timeline.blocks:
        if status not in (200, 403):
            blocking[f"block answered {status}"] += 1
            continue
        on = timeline.state_during("block_contacts_enabled", sent, answered, initial=True)
        outcome = "made" if status == 200 else "refused"
        if on is None:
            blocking[f"block {outcome} during a blocking flip (either is right)"] += 1
        elif on == (status == 200):
            blocking[f"block {outcome} while blocking was {'on' if on else 'off'}"] += 1
        else:
            blocking[f"block {outcome} while blocking was {'on' if on else 'off'}: WRONG"] += 1
            failures.append(f"a block {outcome} ({sent:.3f}–{answered:.3f}) while blocking was {on}")
    return {"routing_vs_bot_switch": dict(routed), "blocks_vs_blocking_switch": dict(blocking), "failures": failures}


def run(args) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    db_name = f"bd_multinode_{os.getpid()}"
    database_url = load_race.create_database(db_name)
    env = load_race.app_env(database_url) | {"CACHE_URL": REDIS_CACHE_URL}
    workers = []
    try:
        known = args.contacts * 9 // 10
        setup = load_race.setup_app(env, known)
        admin_token = (
            subprocess.run(
                [load_race.PYTHON, "manage.py", "shell", "-c", ADMIN],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        log = (RESULTS / "multi_node-workers.log").open("w")
        for _ in range(2):
            workers.append(
                subprocess.Popen(
                    [load_race.PYTHON, "manage.py", "run_worker"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
        with AppInstance(env, workers=args.workers) as one, AppInstance(env, workers=args.workers) as two:
            bases = [one.base, two.base]
            sends = load_race.plan_messages(args.messages, args.contacts, known, args.repeats, rng)
            stats, spans, timeline = load_race.Stats(), {}, Timeline()
            deadline = time.monotonic() + args.max_seconds
            chunks = [sends[i :: args.clients] for i in range(args.clients)]
            threads = [
                threading.Thread(
                    target=sender, args=(bases[i % 2], setup["channel_token"], chunk, stats, spans, deadline)
                )
                for i, chunk in enumerate(chunks)
            ]
            stop = threading.Event()
            hot_ids = [setup["contacts"][f"+62800{i:05d}"] for i in range(load_race.HOT_CONTACTS)]
            admin = threading.Thread(
                target=load_race.supervisor, args=(one.base, setup["staff_token"], hot_ids, stats, stop, args.seed)
            )
            flips = threading.Thread(target=flipper, args=(bases, admin_token, timeline, stop, args.seed))
            # Its own contacts, away from the supervisor's: its blocks answer 200 or 403, not 409.
            own = [
                setup["contacts"][f"+62800{i:05d}"] for i in range(load_race.HOT_CONTACTS, 2 * load_race.HOT_CONTACTS)
            ]
            blocks = threading.Thread(target=blocker, args=(bases, setup["staff_token"], own, timeline, stop))
            started = time.monotonic()
            for thread in [*threads, admin, flips, blocks]:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            stop.set()
            for thread in (admin, flips, blocks):
                thread.join()
            served = {"instance 1": Counter(one.served_by()), "instance 2": Counter(two.served_by())}
        report = load_race.verify(database_url, setup["channel"], stats)
        switches = check_switches(database_url, stats, spans, timeline)
        failures = report.pop("failures") + switches.pop("failures") + timeline.failures
        if stats.unacknowledged:
            failures.append(f"{len(stats.unacknowledged)} messages never acknowledged before the deadline")
        five_xx = {str(k): v for k, v in stats.statuses.items() if isinstance(k, int) and k >= 500}
        if any(k != "503" for k in five_xx):
            failures.append(f"5xx other than 503: {five_xx}")
        summary = {
            "command": " ".join(["python -m bench.multi_node", *sys.argv[1:]]),
            "instances": 2,
            "gunicorn_workers_each": args.workers,
            "task_workers": len(workers),
            "redis": REDIS_CACHE_URL,
            "messages_sent": len(sends),
            "unique_message_ids": len({m for m, _ in sends}),
            "contacts": args.contacts,
            "clients": args.clients,
            "seconds": round(elapsed, 1),
            "throughput_per_second": round(len(sends) / elapsed, 1),
            "latency_ms": {f"p{p}": round(load_race.percentile(stats.latencies, p) * 1000, 1) for p in (50, 95, 99)},
            "http_statuses": {str(k): v for k, v in sorted(stats.statuses.items(), key=lambda kv: str(kv[0]))},
            "refused_4xx": len(stats.refused),
            "requests_per_worker_pid": {name: dict(c) for name, c in served.items()},
            "flips": Counter(f"{name}={'on' if value else 'off'}" for name, value, _, _ in timeline.flips),
            "supervisor_actions": dict(sorted(stats.admin.items())),
            **report,
            **switches,
        }
        summary["failures"] = failures[:50]
        summary["result"] = "PASS" if not failures else "FAIL"
        out = RESULTS / f"multi_node-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(summary, indent=2, default=str))
        print(json.dumps({k: v for k, v in summary.items() if k != "failures"}, indent=2, default=str))
        for failure in failures[:20]:
            print("FAIL:", failure)
        print(f"{summary['result']} — full results in {out.relative_to(ROOT)}")
        return 0 if not failures else 1
    finally:
        for worker in workers:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        load_race.drop_database(db_name)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=10_000)
    p.add_argument("--contacts", type=int, default=500)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers of each instance")
    p.add_argument("--repeats", type=float, default=0.1, help="share of sends that repeat an earlier message id")
    p.add_argument("--max-seconds", type=float, default=900, help="stop sending after this long")
    p.add_argument("--seed", type=int, default=11)
    return p


if __name__ == "__main__":
    sys.exit(run(parser().parse_args()))
