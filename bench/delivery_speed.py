"""Delivery speed: replies per second through the worker against a plain loop posting the same requests.

    .venv/bin/python -m bench.delivery_speed                  # 500 replies, PostgreSQL, db tasks; target ≥ 0.5×
    .venv/bin/python -m bench.delivery_speed --db sqlite      # the same on an SQLite file
    .venv/bin/python -m bench.delivery_speed --backend rq     # tasks through Redis (django-tasks-rq)

On a throwaway database (PostgreSQL, or an SQLite file), N replies are queued
(not timed). The plain loop posts the same N webhook bodies, each signed as
the worker signs them, one after the other with one `requests.Session` to a
second loopback receiver: the floor, HTTP and signing with no BlockDesk code.
Then one `manage.py run_worker` delivers the queued replies; its rate runs
from the first reply the receiver gets to the last (the worker's start-up is
not counted). With --backend rq the tasks go through a Redis database of
their own (--redis-db) that the run empties before and after. Prints both
rates and their ratio; a JSON summary on its last line; exit status 1 when
the ratio is under --target or a reply is missing.
"""

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import requests

from .delivery_run import (
    SECRET,
    Worker,
    api_channel,
    done,
    drop_throwaway_database,
    queue_replies,
    throwaway_database,
    wait_until,
)
from .receiver import Receiver

DRAIN_TIMEOUT_S = 150


def webhook_requests(ids: list[int]) -> list[tuple[int, bytes]]:
    """(message id, body) of each queued reply, as the api channel's sender builds them."""
    from channels.api_webhook import payload
    from tickets.models import Message

    messages = Message.objects.select_related("ticket__contact").in_bulk(ids)
    return [(pk, json.dumps(payload(messages[pk]), separators=(",", ":")).encode()) for pk in ids]


def plain_loop(url: str, bodies: list[tuple[int, bytes]]) -> float:
    """Post every body signed, one after the other; return requests per second."""
    from channels.api_webhook import sign

    with requests.Session() as session:
        started = time.perf_counter()
        for pk, body in bodies:
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-BlockDesk-Timestamp": timestamp,
                "X-BlockDesk-Delivery": str(pk),
                "X-BlockDesk-Signature": "sha256=" + sign(SECRET, timestamp, body),
            }
            session.post(url, data=body, headers=headers, timeout=10).raise_for_status()
        return len(bodies) / (time.perf_counter() - started)


def through_worker(env: dict, receiver: Receiver, ids: list[int], log: Path) -> float:
    """Run one worker until every queued reply reached the receiver; return replies per second."""
    worker = Worker(env, log)
    worker.start()
    try:
        if not wait_until(lambda: receiver.received, 60, every=0.001):
            raise SystemExit(f"the worker delivered nothing in 60 s; see {log}")
        first = time.perf_counter()
        wait_until(lambda: len(receiver.deliveries) >= len(ids), DRAIN_TIMEOUT_S, every=0.005)
        last = time.perf_counter()
        wait_until(lambda: done(ids), 30)
    finally:
        worker.stop()
    # The first reply's own time is not in the span: count the ones after it.
    return (len(receiver.deliveries) - 1) / (last - first)


def _rq_queue(url: str):
    import redis
    from rq import Queue

    return Queue("default", connection=redis.Redis.from_url(url))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replies", type=int, default=500)
    p.add_argument("--target", type=float, default=0.5, help="the least ratio worker / plain loop that passes")
    p.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--backend", choices=["db", "rq"], default="db", help="the tasks backend")
    p.add_argument("--redis-db", type=int, default=13, help="the Redis database an rq run uses (emptied)")
    args = p.parse_args()
    name = f"bd_delivery_speed_{random.randrange(10**6)}"
    log = Path(tempfile.mkdtemp(prefix="bd-speed-")) / "worker.log"
    settings = {"TASKS_BACKEND": args.backend}
    if args.backend == "rq":
        settings["TASKS_REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
        _rq_queue(settings["TASKS_REDIS_URL"]).empty()
    receiver, floor_receiver = Receiver(secret=SECRET).start(), Receiver(secret=SECRET).start()
    try:
        env = throwaway_database(name, engine=args.db, **settings)
        ids = queue_replies(api_channel(receiver), args.replies)
        floor = plain_loop(floor_receiver.url, webhook_requests(ids))
        worker = through_worker(env, receiver, ids, log)
        missing = len({str(pk) for pk in ids} - set(receiver.deliveries))
    finally:
        receiver.stop()
        floor_receiver.stop()
        from django.db import connections

        connections.close_all()
        drop_throwaway_database(name, engine=args.db)
        if args.backend == "rq":
            _rq_queue(settings["TASKS_REDIS_URL"]).empty()
    ratio = worker / floor
    failures = [f"{missing} replies missing"] if missing else []
    if ratio < args.target:
        failures.append(f"the worker reached {ratio:.2f}× the plain loop, under {args.target}×")
    summary = {
        "db": args.db,
        "backend": args.backend,
        "replies": args.replies,
        "plain_loop_per_s": round(floor, 1),
        "worker_per_s": round(worker, 1),
        "ratio": round(ratio, 2),
        "duplicates": receiver.duplicates,
        "failures": failures,
        "result": "FAIL" if failures else "PASS",
    }
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
