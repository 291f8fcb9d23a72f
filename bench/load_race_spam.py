"""Load and race run with spam defence (issue 14 point 8): load_race's run, plus rules, the flood guard and expiries.

    .venv/bin/python -m bench.load_race_spam --name bd_loadspam   # 20,000 messages, 500 contacts, 8 clients

On top of bench.load_race (senders with repeat deliveries, a supervisor
blocking, unblocking and releasing the 100 hot contacts), while the traffic
runs:
- reject rules (phone prefixes of contacts 300-319) are added once a quarter
  of the sends are acknowledged, quarantine rules (a prefix of contacts
  400-409 and the address of contact 420) at half;
- the flood guard blocks by itself (auto-block on, FLOOD_LIMIT messages in 5
  minutes) while a second supervisor unblocks (Unblock All) every contact the
  flood guard blocked, as soon as it sees it: the two race;
- a third supervisor blocks contacts 200-219 with ends a few seconds out;
  routing lifts them at expiry, and the sweep (lift_ended_blocks) runs beside.
Afterwards load_race's checks run on the stored messages (a block counts as
in force from blocked_at until it was lifted or its end came, whichever is
first), and these: a message id answered `rejected` has no row; rule hits
(on the rules and on the overview's day rows) equal the rejected answers plus
the quarantine blocks, each of which a rule decided; every auto-block has its
closed flood flag and its "blocked" audit row with actor "flood guard"; no
timed block outlived its end; and each race really happened (rejections,
quarantines, auto-blocks, flood unblocks and expiries all above zero).
Exit status 1 if any check fails.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests

from . import load_race
from .load_race import PYTHON, RESULTS, ROOT, Stats

HOT, TIMED, REJECTED, QUARANTINED = range(0, 100), range(200, 220), range(300, 320), range(400, 410)
QUARANTINED_ADDRESS = 420
REJECT_PREFIXES = ("+628000030", "+628000031")  # contacts 300-309 and 310-319
QUARANTINE_PREFIX = "+628000040"  # contacts 400-409
FLOOD_LIMIT = 12
SWEEP_EVERY_S = 0.5
FLOOD_GUARD = "flood guard"
# The share of the unique sends each group gets; the rest is spread over every contact.
SHARES = ((HOT, 0.35), (TIMED, 0.12), (REJECTED, 0.12), (QUARANTINED, 0.12))

SETTINGS = """
import os
from settings_app.models import SystemSettings
SystemSettings.objects.update(
    flood_guard_enabled=True, flood_auto_block=True, flood_minutes=5, flood_messages=int(os.environ["FLOOD_LIMIT"])
)
"""

# Rules written directly, as an import would: rules_changed() in the same transaction tells every process.
ADD_RULES = """
import json, os
from django.db import transaction
from contacts.models import BlockRule, Channel
from contacts.rule_match import rules_changed
rules = json.loads(os.environ["RULES"])
with transaction.atomic():
    made = [BlockRule.objects.create(note="load run", **rule) for rule in rules]
    rules_changed()
print(json.dumps([[r.pk, r.action] for r in made]))
"""

# The sweep as the worker runs it, every SWEEP_EVERY_S until the stop file appears, then once more.
SWEEP = """
import json, os, time
from contacts.blocking import lift_ended_blocks
lifted, stop = 0, os.environ["STOP_FILE"]
while not os.path.exists(stop):
    lifted += lift_ended_blocks()
    time.sleep(float(os.environ["SWEEP_EVERY_S"]))
lifted += lift_ended_blocks()
print(json.dumps({"lifted": lifted}))
"""


def phone(i: int) -> str:
    return f"+62800{i:05d}"


def plan_messages(total: int, contacts: int, repeat_ratio: float, rng: random.Random) -> list:
    """(message id, address) sends: each group its share, the rest over every contact; a share repeat an earlier id."""
    unique = int(total * (1 - repeat_ratio))
    everyone = range(contacts)
    plan = []
    for n in range(unique):
        pick, group = rng.random(), everyone
        for members, share in SHARES:
            if pick < share:
                group = members
                break
            pick -= share
        plan.append((f"load.{n}", phone(rng.choice(group))))
    sends = plan + [plan[rng.randrange(unique)] for _ in range(total - unique)]
    rng.shuffle(sends)
    return sends


def shell(env: dict, code: str, **extra) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**env, **{k: str(v) for k, v in extra.items()}},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def rule_adder(env: dict, channel_id: int, sends: int, stats: Stats, rules: dict, stop: threading.Event) -> None:
    """Add the reject rules at a quarter of the sends acknowledged, the quarantine rules at half."""
    steps = [
        (0.25, [{"kind": "phone_prefix", "value": p, "action": "reject"} for p in REJECT_PREFIXES]),
        (
            0.5,
            [
                {"kind": "phone_prefix", "value": QUARANTINE_PREFIX, "action": "quarantine"},
                {
                    "kind": "address",
                    "value": phone(QUARANTINED_ADDRESS),
                    "action": "quarantine",
                    "channel_id": channel_id,
                },
            ],
        ),
    ]
    for share, batch in steps:
        while len(stats.latencies) < share * sends and not stop.is_set():
            time.sleep(0.1)
        if stop.is_set():
            return
        for pk, action in json.loads(shell(env, ADD_RULES, RULES=json.dumps(batch))):
            rules[pk] = action
        stats.admin[f"rules added at {share:.0%}"] += len(batch)


def flood_unblocker(base: str, token: str, database_url: str, stats: Stats, stop: threading.Event) -> None:
    """Unblock All each contact the flood guard blocked, as soon as it shows up: racing the guard's next block."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        while not stop.is_set():
            current = conn.execute(
                "SELECT contact_id FROM contacts_block WHERE lifted_at IS NULL AND actor_name = %s", [FLOOD_GUARD]
            ).fetchall()
            for (contact_id,) in current:
                try:
                    response = session.post(
                        f"{base}/api/v1/contacts/{contact_id}/unblock", json={"tickets": "unblock_all"}, timeout=30
                    )
                except requests.RequestException:
                    stats.admin["flood unblock connection error"] += 1
                    continue
                stats.admin[f"flood unblock {response.status_code}"] += 1
            time.sleep(0.05)


def timed_blocker(base: str, token: str, contact_ids: list, stats: Stats, stop: threading.Event, seed: int) -> None:
    """Block contacts with ends 1-4 seconds out, again and again: the blocks expire while messages arrive."""
    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        until = datetime.now(UTC) + timedelta(seconds=rng.uniform(1, 4))
        body = {"reason": "spam", "note": "timed, load run", "until": until.isoformat()}
        try:
            response = session.post(f"{base}/api/v1/contacts/{rng.choice(contact_ids)}/block", json=body, timeout=30)
        except requests.RequestException:
            stats.admin["timed block connection error"] += 1
            continue
        stats.admin[f"timed block {response.status_code}"] += 1
        time.sleep(rng.uniform(0.05, 0.2))


def without_rejections(stats: Stats) -> tuple[Stats, dict]:
    """The clients' answers but the rejected ones (for load_race.verify), and {message id: rejected answers}."""
    kept, rejected = Stats(), {}
    for message_id, answers in stats.acks.items():
        refused = [a for a in answers if a["status"] == "rejected"]
        if refused:
            rejected[message_id] = answers
        else:
            kept.acks[message_id] = answers
    kept.admin_results = stats.admin_results
    return kept, rejected


def verify_spam(database_url: str, channel_id: int, kept: Stats, rejected: dict, rules: dict) -> dict:
    """The spam defence checks (the module's docstring): figures and failures."""
    failures = []
    with psycopg.connect(database_url) as conn:
        q = conn.execute
        leaked = _leaked_past_closing_blocks(q, channel_id, kept)
        stored = {
            row[0]
            for row in q(
                "SELECT external_id FROM tickets_message WHERE channel_id = %s AND direction = 'in' "
                "AND external_id = ANY(%s)",
                [channel_id, list(rejected)],
            )
        }
        hits_on_rules = q("SELECT coalesce(sum(hits), 0) FROM contacts_blockrule").fetchone()[0]
        hits_on_days = q("SELECT coalesce(sum(hits), 0) FROM contacts_rulehitday").fetchone()[0]
        quarantines = q("SELECT count(*) FROM contacts_block WHERE rule_id IS NOT NULL").fetchone()[0]
        auto_blocks = q("SELECT count(*) FROM contacts_block WHERE actor_name = %s", [FLOOD_GUARD]).fetchone()[0]
        without_audit = q(
            "SELECT count(*) FROM contacts_block b WHERE b.actor_name = %s AND NOT EXISTS (SELECT 1 FROM "
            "contacts_auditentry a WHERE a.block_id = b.id AND a.action = 'blocked' AND a.actor_name = %s)",
            [FLOOD_GUARD, FLOOD_GUARD],
        ).fetchone()[0]
        without_flag = q(
            "SELECT count(*) FROM contacts_block b WHERE b.actor_name = %s AND NOT EXISTS (SELECT 1 FROM "
            "contacts_floodflag f WHERE f.contact_id = b.contact_id AND f.flagged_at = b.blocked_at "
            "AND f.status = 'auto_blocked')",
            [FLOOD_GUARD],
        ).fetchone()[0]
        flags_without_block = q(
            "SELECT count(*) FROM contacts_floodflag f WHERE f.status = 'auto_blocked' AND NOT EXISTS (SELECT 1 FROM "
            "contacts_block b WHERE b.contact_id = f.contact_id AND b.blocked_at = f.flagged_at AND b.actor_name = %s)",
            [FLOOD_GUARD],
        ).fetchone()[0]
        flood_unblocked = q(
            "SELECT count(*) FROM contacts_block WHERE actor_name = %s AND lifted_with = 'unblock_all'", [FLOOD_GUARD]
        ).fetchone()[0]
        timed = q("SELECT count(*) FROM contacts_block WHERE ends_at IS NOT NULL").fetchone()[0]
        expired = q("SELECT count(*) FROM contacts_block WHERE lifted_with = 'expired'").fetchone()[0]
        outlived = q(
            "SELECT count(*) FROM contacts_block WHERE lifted_at IS NULL AND ends_at < now() - interval '5 seconds'"
        ).fetchone()[0]
    for message_id in leaked[:20]:
        failures.append(f"{message_id}: answered as not blocked while a rule's or the flood guard's block was in force")
    rejected_answers = sum(1 for answers in rejected.values() for a in answers if a["status"] == "rejected")
    mixed = [m for m, answers in rejected.items() if any(a["status"] != "rejected" for a in answers)]
    for message_id in sorted(stored)[:20]:
        failures.append(f"{message_id}: answered rejected, yet stored")
    for message_id in mixed[:20]:
        failures.append(f"{message_id}: answered rejected and, on another delivery, stored")
    expected_hits = rejected_answers + quarantines
    if hits_on_rules != expected_hits or hits_on_days != expected_hits:
        failures.append(
            f"rule hits {hits_on_rules} (day rows {hits_on_days}), but {rejected_answers} rejected answers "
            f"+ {quarantines} quarantine blocks = {expected_hits} messages the rules decided"
        )
    if without_audit:
        failures.append(f"{without_audit} flood guard blocks without their 'blocked' audit row by the flood guard")
    if without_flag or flags_without_block:
        failures.append(
            f"flood guard blocks without a closed flag: {without_flag}; flags without a block: {flags_without_block}"
        )
    if outlived:
        failures.append(f"{outlived} timed blocks still in force more than 5 s after their end")
    exercised = {
        "rejected answers": rejected_answers,
        "quarantine blocks": quarantines,
        "flood guard blocks": auto_blocks,
        "flood guard blocks lifted by a supervisor's Unblock All": flood_unblocked,
        "timed blocks lifted at expiry": expired,
    }
    for label, n in exercised.items():
        if not n:
            failures.append(f"the race did not happen: no {label}")
    return {
        "rules_added": rules,
        "rejected_message_ids": len(rejected),
        "rejected_answers": rejected_answers,
        "rejected_yet_stored": len(stored),
        "rule_hits": int(hits_on_rules),
        "rule_hits_on_day_rows": int(hits_on_days),
        "quarantine_blocks": quarantines,
        "flood_guard_blocks": auto_blocks,
        "flood_guard_blocks_unblocked_by_supervisor": flood_unblocked,
        "flood_guard_blocks_without_audit": without_audit,
        "messages_leaked_past_rule_or_flood_blocks": len(leaked),
        "timed_blocks": timed,
        "timed_blocks_lifted_at_expiry": expired,
        "timed_blocks_outliving_their_end": outlived,
        "failures": failures,
    }


def _leaked_past_closing_blocks(q, channel_id: int, kept: Stats) -> list[str]:
    """Message ids answered as not blocked while a block by a rule or the flood guard was in force.

    load_race.verify excuses a message that joined a ticket older than the
    block (a person may block and leave open tickets open); these blocks always
    close the contact's open tickets, so only a ticket a supervisor released
    from the Blocked list before the message came may take it.
    """
    spans = {}
    for contact_id, start, end in q(
        "SELECT contact_id, blocked_at, LEAST(lifted_at, ends_at) FROM contacts_block "
        "WHERE rule_id IS NOT NULL OR actor_name = %s",
        [FLOOD_GUARD],
    ):
        spans.setdefault(contact_id, []).append((start, end))
    released = {}
    for ticket_id, at in q("SELECT ticket_id, at FROM contacts_auditentry WHERE action = 'ticket_released'"):
        released.setdefault(ticket_id, []).append(at)
    leaked = []
    for message_id, ticket_id, contact_id, created_at in q(
        "SELECT m.external_id, m.ticket_id, t.contact_id, m.created_at FROM tickets_message m "
        "JOIN tickets_ticket t ON t.id = m.ticket_id WHERE m.channel_id = %s AND m.direction = 'in'",
        [channel_id],
    ):
        answers = kept.acks.get(message_id)
        if not answers or answers[0]["status"] == "blocked" or contact_id not in spans:
            continue
        in_force = any(start <= created_at and (end is None or created_at < end) for start, end in spans[contact_id])
        if in_force and not any(at <= created_at for at in released.get(ticket_id, ())):
            leaked.append(message_id)
    return leaked


def run(args) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    db_name = f"{args.name}_{os.getpid()}"
    database_url = load_race.create_database(db_name)
    env = load_race.app_env(database_url)
    port = load_race.free_port()
    base = f"http://127.0.0.1:{port}"
    stop_file = Path(f"/tmp/{db_name}.stop")
    server = sweep = None
    try:
        setup = load_race.setup_app(env, args.contacts * 9 // 10)  # the rest are created by their first message
        shell(env, SETTINGS, FLOOD_LIMIT=args.flood_limit)
        server = load_race.start_gunicorn(env, port, args.workers, RESULTS / f"{args.name}-gunicorn.log")
        sweep = subprocess.Popen(
            [PYTHON, "manage.py", "shell", "-c", SWEEP],
            cwd=ROOT,
            env={**env, "STOP_FILE": str(stop_file), "SWEEP_EVERY_S": str(SWEEP_EVERY_S)},
            stdout=subprocess.PIPE,
            text=True,
        )
        sends = plan_messages(args.messages, args.contacts, args.repeats, rng)
        stats, rules, stop = Stats(), {}, threading.Event()
        deadline = time.monotonic() + args.max_seconds
        senders = [
            threading.Thread(
                target=load_race.sender, args=(base, setup["channel_token"], sends[i :: args.clients], stats, deadline)
            )
            for i in range(args.clients)
        ]
        ids = setup["contacts"]
        staff = setup["staff_token"]
        helpers = [
            threading.Thread(
                target=load_race.supervisor, args=(base, staff, [ids[phone(i)] for i in HOT], stats, stop, args.seed)
            ),
            threading.Thread(target=flood_unblocker, args=(base, staff, database_url, stats, stop)),
            threading.Thread(
                target=timed_blocker, args=(base, staff, [ids[phone(i)] for i in TIMED], stats, stop, args.seed)
            ),
            threading.Thread(target=rule_adder, args=(env, setup["channel"], len(sends), stats, rules, stop)),
        ]
        started = time.monotonic()
        for thread in [*senders, *helpers]:
            thread.start()
        for thread in senders:
            thread.join()
        elapsed = time.monotonic() - started
        stop.set()
        for thread in helpers:
            thread.join()
        stop_file.touch()
        swept = json.loads(sweep.communicate(timeout=120)[0].strip().splitlines()[-1])
        kept, rejected = without_rejections(stats)
        report = load_race.verify(database_url, setup["channel"], kept)
        spam = verify_spam(database_url, setup["channel"], kept, rejected, rules)
        five_xx = {str(k): v for k, v in stats.statuses.items() if isinstance(k, int) and k >= 500}
        failures = report.pop("failures") + spam.pop("failures")
        if stats.unacknowledged:
            failures.append(f"{len(stats.unacknowledged)} messages never acknowledged before the deadline")
        if sum(v for k, v in five_xx.items() if k != "503"):
            failures.append(f"5xx other than 503: {five_xx}")
        if len(rules) != len(REJECT_PREFIXES) + 2:
            failures.append(f"only {len(rules)} rules were added before the traffic ended")
        summary = {
            "command": " ".join(sys.argv),
            "messages_sent": len(sends),
            "unique_message_ids": len({m for m, _ in sends}),
            "contacts": args.contacts,
            "clients": args.clients,
            "gunicorn_workers": args.workers,
            "flood_limit": f"{args.flood_limit} messages in 5 min, auto-block on",
            "seconds": round(elapsed, 1),
            "throughput_per_second": round(len(sends) / elapsed, 1),
            "latency_ms": {f"p{p}": round(load_race.percentile(stats.latencies, p) * 1000, 1) for p in (50, 95, 99)},
            "http_statuses": {str(k): v for k, v in sorted(stats.statuses.items(), key=lambda kv: str(kv[0]))},
            "5xx": five_xx,
            "refused_4xx": len(stats.refused),
            "refused_examples": stats.refused[:5],
            "supervisor_actions": dict(sorted(stats.admin.items())),
            "sweep_lifted": swept["lifted"],
            **report,
            **spam,
            "failures": failures[:50],
            "result": "PASS" if not failures else "FAIL",
        }
        out = RESULTS / f"{args.name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(summary, indent=2, default=str))
        print(json.dumps({k: v for k, v in summary.items() if k != "failures"}, indent=2, default=str))
        for failure in failures[:20]:
            print("FAIL:", failure)
        print(f"{summary['result']} — full results in {out.relative_to(ROOT)}")
        print(json.dumps(summary, default=str))  # the last line: the whole summary, for a test to read
        return 0 if not failures else 1
    finally:
        stop_file.touch()
        if sweep is not None and sweep.poll() is None:
            sweep.kill()
        if server is not None:
            load_race.stop_gunicorn(server)
        stop_file.unlink(missing_ok=True)
        if not args.keep_db:
            load_race.drop_database(db_name)


def parser() -> argparse.ArgumentParser:
    p = load_race.parser("bd_loadspam", 20_000)
    p.add_argument("--name", default="bd_loadspam", help="prefix of the throwaway database's name (and the results')")
    p.add_argument("--flood-limit", type=int, default=FLOOD_LIMIT, help="messages in 5 minutes before auto-block")
    return p


if __name__ == "__main__":
    sys.exit(run(parser().parse_args()))
