"""Load and race run: gunicorn + PostgreSQL, concurrent inbound deliveries racing block/unblock/release.

    .venv/bin/python -m bench.load_race            # 20,000 messages, 500 contacts, 8 clients

Creates a throwaway database (dropped at the end unless --keep-db), starts
gunicorn on a loopback port, and runs:
- N sender threads delivering inbound messages (a share are repeat deliveries
  of an earlier message id), retrying 503s and connection errors with the same
  message id, as a channel would;
- one supervisor thread blocking (with and without closing open tickets),
  unblocking (Unblock All and Delete All) and releasing blocked tickets at
  random through the staff API.
Afterwards it checks, from the database alone plus what the clients were told:
every acknowledged message is stored exactly once, in the ticket it was
acknowledged with, or was deleted by a Delete All / ticket deletion that
counted it; every message routed while its contact was blocked went to a
blocked ticket (or to a ticket a supervisor let through or that the block left
open); no orphan rows and no broken counters. Exit status 1 if any check fails.
"""

import argparse
import base64
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
RESULTS = ROOT / "bench" / "results"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
HOT_CONTACTS = 100  # the supervisor acts on these; they also get half the traffic

SETUP = """
import json, os
from django.contrib.auth.models import Group
from accounts.models import ApiToken
from accounts.roles import SUPERVISORS
from contacts.models import Channel, Contact, ContactIdentity
from django.contrib.auth import get_user_model
from settings_app.models import SystemSettings

known = int(os.environ["BENCH_KNOWN_CONTACTS"])
channel = Channel(name="WhatsApp load", kind="whatsapp", requests_per_minute=0, messages_per_minute=0)
channel_token = channel.set_new_token()
channel.save()
user = get_user_model().objects.create_user("load-supervisor", first_name="Load")
user.groups.add(Group.objects.get(name=SUPERVISORS))
_, staff_token = ApiToken.issue(user=user, name="load")
SystemSettings.load()
SystemSettings.objects.update(block_contacts_enabled=True, bot_enabled=True)
contacts = Contact.objects.bulk_create(Contact(name=f"Customer {i}", phone=f"+62800{i:05d}") for i in range(known))
ContactIdentity.objects.bulk_create(
    ContactIdentity(contact=c, channel=channel, external_id=c.phone) for c in contacts
)
print(json.dumps({"channel": channel.pk, "channel_token": channel_token, "staff_token": staff_token,
                  "contacts": {c.phone: c.pk for c in contacts}}))
"""


@dataclass
class Stats:
    """What the clients saw; appended to from several threads (list.append and Counter += are enough here)."""

    acks: dict = field(default_factory=lambda: defaultdict(list))  # message id -> [response json]
    latencies: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    refused: list = field(default_factory=list)  # (message id, status, body) for 4xx
    unacknowledged: list = field(default_factory=list)
    admin: Counter = field(default_factory=Counter)
    admin_results: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status) -> None:
        with self.lock:
            self.statuses[status] += 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SECURE_HSTS_SECONDS="0",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="blockdesk.settings",
    )
    return env


def create_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    for _ in range(10):
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.OperationalError:
            time.sleep(1)


def setup_app(env: dict, known_contacts: int) -> dict:
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env={**env, "BENCH_KNOWN_CONTACTS": str(known_contacts)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    server = subprocess.Popen(
        [GUNICORN, "blockdesk.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not come up; see {log}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def plan_messages(total: int, contacts: int, known: int, repeat_ratio: float, rng: random.Random) -> list:
    """(message id, contact address) sends; a share repeat an earlier id (a channel's redelivery)."""
    unique = int(total * (1 - repeat_ratio))
    phones = [f"+62800{i:05d}" for i in range(contacts)]  # the first `known` exist already
    hot = phones[:HOT_CONTACTS]
    plan = []
    for n in range(unique):
        phone = rng.choice(hot) if rng.random() < 0.5 else rng.choice(phones)
        plan.append((f"load.{n}", phone))
    repeats = [plan[rng.randrange(unique)] for _ in range(total - unique)]
    sends = plan + repeats
    rng.shuffle(sends)
    return sends


def sender(base: str, token: str, sends: list, stats: Stats, deadline: float) -> None:
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
            started = time.perf_counter()
            try:
                response = session.post(f"{base}/api/v1/inbound/messages", json=body, headers=headers, timeout=30)
            except requests.RequestException:
                stats.count("connection error")
                time.sleep(backoff)
                backoff = min(backoff * 2, 2)
                continue
            elapsed = time.perf_counter() - started
            stats.count(response.status_code)
            if response.status_code in (200, 201):
                stats.latencies.append(elapsed)
                result = response.json()
                result["acked_at"] = time.time()
                stats.acks[message_id].append(result)
                break
            if response.status_code >= 500:
                if response.status_code == 503 and "application/json" not in response.headers.get("Content-Type", ""):
                    stats.count("503 not JSON")
                retry_after = float(response.headers.get("Retry-After", backoff))
                time.sleep(min(retry_after, backoff))
                backoff = min(backoff * 2, 2)
                continue
            stats.refused.append((message_id, response.status_code, response.text[:200]))
            break


def supervisor(base: str, token: str, contact_ids: list, stats: Stats, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    blocked: set = set()
    while not stop.is_set():
        action = rng.choices(["block", "unblock_all", "delete_all", "release"], weights=[4, 2, 2, 2])[0]
        try:
            if action == "block":
                contact = rng.choice(contact_ids)
                keep_open = rng.random() < 0.25
                response = session.post(
                    f"{base}/api/v1/contacts/{contact}/block",
                    json={"reason": "spam", "note": "load run", "close_open_tickets": not keep_open},
                    timeout=30,
                )
                if response.status_code in (200, 409):
                    blocked.add(contact)
            elif action in ("unblock_all", "delete_all"):
                if not blocked:
                    continue
                contact = rng.choice(sorted(blocked))
                response = session.post(
                    f"{base}/api/v1/contacts/{contact}/unblock", json={"tickets": action}, timeout=30
                )
                if response.status_code in (200, 409):
                    blocked.discard(contact)
                if response.status_code == 200:
                    stats.admin_results.append((action, contact, response.json()))
            else:
                listing = session.get(f"{base}/api/v1/tickets", params={"status": "blocked", "limit": 50}, timeout=30)
                stats.admin[f"list {listing.status_code}"] += 1
                items = listing.json().get("items", []) if listing.status_code == 200 else []
                if not items:
                    continue
                ticket = rng.choice(items)["id"]
                response = session.post(f"{base}/api/v1/tickets/{ticket}/unblock", timeout=30)
        except requests.RequestException:
            stats.admin[f"{action} connection error"] += 1
            time.sleep(0.2)
            continue
        stats.admin[f"{action} {response.status_code}"] += 1
        time.sleep(rng.uniform(0.01, 0.05))


def percentile(values: list, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def verify(database_url: str, channel_id: int, stats: Stats) -> dict:
    """Check the database against what the clients were told; return figures and the list of failures."""
    failures = []
    with psycopg.connect(database_url) as conn:
        q = conn.execute
        messages = {
            row[0]: row[1:]
            for row in q(
                "SELECT m.external_id, m.id, m.ticket_id, m.created_at, t.contact_id, t.created_at, t.status "
                "FROM tickets_message m JOIN tickets_ticket t ON t.id = m.ticket_id "
                "WHERE m.channel_id = %s AND m.direction = 'in'",
                [channel_id],
            )
        }
        duplicates = q(
            "SELECT count(*) FROM (SELECT external_id FROM tickets_message WHERE direction = 'in' "
            "GROUP BY channel_id, external_id HAVING count(*) > 1) d"
        ).fetchone()[0]
        tickets = {row[0] for row in q("SELECT id FROM tickets_ticket")}
        address_of = dict(q("SELECT contact_id, external_id FROM contacts_contactidentity").fetchall())
        blocks = defaultdict(list)
        # A timed block is over at its end even before anyone lifts it (routing treats it so): in force until
        # the earlier of the two (PostgreSQL's LEAST skips a null).
        for contact_id, blocked_at, lifted_at in q(
            "SELECT contact_id, blocked_at, LEAST(lifted_at, ends_at) FROM contacts_block"
        ):
            blocks[contact_id].append((blocked_at, lifted_at))
        released = defaultdict(list)
        for ticket_id, at in q("SELECT ticket_id, at FROM contacts_auditentry WHERE action = 'ticket_released'"):
            released[ticket_id].append(at)
        deleted_by_blocks = q("SELECT coalesce(sum(messages_deleted), 0) FROM contacts_block").fetchone()[0]
        deleted_by_tickets = q(
            "SELECT coalesce(sum(messages), 0) FROM contacts_auditentry WHERE action = 'ticket_deleted'"
        ).fetchone()[0]
        orphans = {
            "messages without ticket": "SELECT count(*) FROM tickets_message m "
            "LEFT JOIN tickets_ticket t ON t.id = m.ticket_id WHERE t.id IS NULL",
            "messages on another channel than their ticket": "SELECT count(*) FROM tickets_message m "
            "JOIN tickets_ticket t ON t.id = m.ticket_id WHERE m.channel_id <> t.channel_id",
            "tickets whose message_count is wrong": "SELECT count(*) FROM tickets_ticket t WHERE t.message_count <> "
            "(SELECT count(*) FROM tickets_message m WHERE m.ticket_id = t.id)",
            "contacts without identity": "SELECT count(*) FROM contacts_contact c WHERE NOT EXISTS "
            "(SELECT 1 FROM contacts_contactidentity i WHERE i.contact_id = c.id)",
            "blocked contacts without a current block": "SELECT count(*) FROM contacts_contact c WHERE c.is_blocked "
            "AND NOT EXISTS (SELECT 1 FROM contacts_block b WHERE b.contact_id = c.id AND b.lifted_at IS NULL)",
            "current blocks of unblocked contacts": "SELECT count(*) FROM contacts_block b JOIN contacts_contact c "
            "ON c.id = b.contact_id WHERE b.lifted_at IS NULL AND NOT c.is_blocked",
            "blocked tickets of unblocked contacts": "SELECT count(*) FROM tickets_ticket t JOIN contacts_contact c "
            "ON c.id = t.contact_id WHERE t.status = 'blocked' AND NOT c.is_blocked",
            "blocks without their audit entry": "SELECT count(*) FROM contacts_block b WHERE NOT EXISTS "
            "(SELECT 1 FROM contacts_auditentry a WHERE a.block_id = b.id AND a.action = 'blocked')",
            "lifted blocks without a matching unblock audit entry": "SELECT count(*) FROM contacts_block b "
            "WHERE b.lifted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contacts_auditentry a WHERE a.block_id = b.id "
            "AND a.action = CASE b.lifted_with WHEN 'expired' THEN 'block_expired' ELSE b.lifted_with END "
            "AND a.messages = b.messages_deleted AND a.tickets = b.tickets_released + b.tickets_deleted)",
            "more than one open ticket per contact and channel": "SELECT count(*) FROM (SELECT 1 FROM tickets_ticket "
            "WHERE status <> 'resolved' GROUP BY contact_id, channel_id HAVING count(*) > 1) d",
        }
        orphan_counts = {label: q(sql).fetchone()[0] for label, sql in orphans.items()}

    def blocked_at_time(contact_id, when):
        for start, end in blocks.get(contact_id, ()):
            if start <= when and (end is None or when < end):
                return start
        return None

    stored_once = lost = deleted_acked = inconsistent = leaked = resurrected = 0
    for message_id, results in stats.acks.items():
        first = results[0]
        if any(r["message"] != first["message"] or r["ticket"] != first["ticket"] for r in results):
            inconsistent += 1
        row = messages.get(message_id)
        if row is None:
            if first["ticket"] not in tickets and first["status"] == "blocked":
                deleted_acked += 1  # its blocked ticket was deleted (Delete All or Delete ticket)
            else:
                lost += 1
                failures.append(f"{message_id}: acknowledged but not stored ({first})")
            continue
        pk, ticket_id, created_at, contact_id, ticket_created_at, _ = row
        stored_once += 1
        if pk != first["message"] and first["ticket"] not in tickets and first["status"] == "blocked":
            # Its first copy went with a deleted blocked ticket; a later repeat delivery stored it again.
            resurrected += 1
            failures.append(f"{message_id}: deleted by Delete All, then stored again by a repeat delivery")
            continue
        if pk != first["message"] or ticket_id != first["ticket"] or contact_id != first["contact"]:
            failures.append(f"{message_id}: stored as message {pk} in ticket {ticket_id}, acknowledged as {first}")
        if address_of.get(contact_id) is None:
            failures.append(f"{message_id}: its contact {contact_id} has no identity")
        block_start = blocked_at_time(contact_id, created_at)
        if block_start is not None and first["status"] != "blocked":
            let_through = ticket_created_at < block_start or any(at <= created_at for at in released[ticket_id])
            if not let_through:
                leaked += 1
                failures.append(f"{message_id}: routed to a {first['status']} ticket while its contact was blocked")
        if block_start is None and first["status"] == "blocked":
            failures.append(f"{message_id}: routed to a blocked ticket while its contact was not blocked")
    stored_unacked = len(set(messages) - set(stats.acks))
    if deleted_acked > deleted_by_blocks + deleted_by_tickets:
        failures.append(f"{deleted_acked} acknowledged messages gone, but blocks account for only {deleted_by_blocks}")
    for label, count in orphan_counts.items():
        if count:
            failures.append(f"{label}: {count}")
    if duplicates:
        failures.append(f"duplicated message ids: {duplicates}")
    admin_deleted = sum(result["messages_deleted"] for action, _, result in stats.admin_results)
    if admin_deleted != deleted_by_blocks:
        failures.append(f"Delete All answers said {admin_deleted} messages deleted; Block rows say {deleted_by_blocks}")
    return {
        "acknowledged_ids": len(stats.acks),
        "stored_once": stored_once,
        "deleted_by_delete_all_or_ticket_delete": deleted_acked,
        "messages_deleted_per_block_rows": deleted_by_blocks,
        "messages_deleted_per_ticket_audit": deleted_by_tickets,
        "lost": lost,
        "duplicated": duplicates,
        "stored_but_never_acknowledged": stored_unacked,
        "repeat_answers_inconsistent": inconsistent,
        "deleted_then_stored_again_by_a_repeat": resurrected,
        "blocked_contact_messages_leaked_to_queues": leaked,
        "orphans_and_counters": orphan_counts,
        "failures": failures,
    }


def run(args, during=None) -> int:
    """Run the load; `during(base_url, stop_event)` runs in a thread beside it (the outage script uses it)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    db_name = f"bd_reliab_{args.name}_{os.getpid()}"
    database_url = create_database(db_name)
    env = app_env(database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = None
    try:
        known = args.contacts * 9 // 10  # the rest are created by their first message, racing
        setup = setup_app(env, known)
        server = start_gunicorn(env, port, args.workers, RESULTS / f"{args.name}-gunicorn.log")
        sends = plan_messages(args.messages, args.contacts, known, args.repeats, rng)
        stats = Stats()
        deadline = time.monotonic() + args.max_seconds
        chunks = [sends[i :: args.clients] for i in range(args.clients)]
        threads = [
            threading.Thread(target=sender, args=(base, setup["channel_token"], chunk, stats, deadline))
            for chunk in chunks
        ]
        stop = threading.Event()
        hot_ids = [setup["contacts"][f"+62800{i:05d}"] for i in range(HOT_CONTACTS)]
        admin = threading.Thread(target=supervisor, args=(base, setup["staff_token"], hot_ids, stats, stop, args.seed))
        extra = threading.Thread(target=during, args=(base, stop)) if during else None
        started = time.monotonic()
        for thread in [*threads, admin, *([extra] if extra else [])]:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stop.set()
        admin.join()
        if extra:
            extra.join()
        health = requests.get(f"{base}/healthz", timeout=5).json()
        report = verify(database_url, setup["channel"], stats)
        five_xx = {str(k): v for k, v in stats.statuses.items() if isinstance(k, int) and k >= 500}
        summary = {
            "command": " ".join(sys.argv),
            "messages_sent": len(sends),
            "unique_message_ids": len({m for m, _ in sends}),
            "contacts": args.contacts,
            "clients": args.clients,
            "gunicorn_workers": args.workers,
            "seconds": round(elapsed, 1),
            "throughput_per_second": round(len(sends) / elapsed, 1),
            "latency_ms": {f"p{p}": round(percentile(stats.latencies, p) * 1000, 1) for p in (50, 95, 99)}
            | {"max": round(max(stats.latencies, default=0) * 1000, 1)},
            "acknowledged_sends": len(stats.latencies),
            "http_statuses": {str(k): v for k, v in sorted(stats.statuses.items(), key=lambda kv: str(kv[0]))},
            "5xx": five_xx,
            "5xx_other_than_503": sum(v for k, v in five_xx.items() if k != "503"),
            "refused_4xx": len(stats.refused),
            "unacknowledged_at_deadline": len(stats.unacknowledged),
            "supervisor_actions": dict(sorted(stats.admin.items())),
            "health_after": health,
            **report,
        }
        if stats.refused:
            summary["refused_examples"] = stats.refused[:5]
        failures = report["failures"]
        if stats.unacknowledged:
            failures.append(f"{len(stats.unacknowledged)} messages never acknowledged before the deadline")
        if summary["5xx_other_than_503"]:
            failures.append(f"5xx other than 503: {five_xx}")
        summary["failures"] = failures[:50]
        summary["result"] = "PASS" if not failures else "FAIL"
        out = RESULTS / f"{args.name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(summary, indent=2, default=str))
        print(json.dumps({k: v for k, v in summary.items() if k != "failures"}, indent=2, default=str))
        for failure in failures[:20]:
            print("FAIL:", failure)
        print(f"{summary['result']} — full results in {out.relative_to(ROOT)}")
        return 0 if not failures else 1
    finally:
        if server is not None:
            stop_gunicorn(server)
        if not args.keep_db:
            drop_database(db_name)


def parser(name: str, messages: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=messages)
    p.add_argument("--contacts", type=int, default=500)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    p.add_argument("--repeats", type=float, default=0.1, help="share of sends that repeat an earlier message id")
    p.add_argument("--max-seconds", type=float, default=900, help="stop sending after this long")
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--keep-db", action="store_true", help="keep the throwaway database for inspection")
    p.set_defaults(name=name)
    return p


if __name__ == "__main__":
    sys.exit(run(parser("load_race", 20_000).parse_args()))
