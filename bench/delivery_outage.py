"""Receiver outage run: the api channel's receiver down for 60 s while replies are queued, then back.

    .venv/bin/python -m bench.delivery_outage                 # 300 replies, 60 s down (30 refused + 30 × 503)
    .venv/bin/python -m bench.delivery_outage --replies 50 --down-seconds 20

On a throwaway PostgreSQL database: the loopback receiver stops listening
(connections refused), N replies are queued and `manage.py run_worker` starts;
half-way through the outage the receiver listens again but answers every POST
503; at the end of it, it answers 200 again. The worker runs with the default
backoff (5 s doubling, ±25% jitter, 8 attempts) but a 30 s cap instead of an
hour, so the run ends within about two minutes. Passes when every reply ends
sent, the receiver has each exactly once, and every attempt is a
DeliveryAttempt row: numbered 1..n per reply, retries with the reason, the
last one sent. Prints attempts per reply and the time to drain after the
receiver returned; a JSON summary on its last line; exit status 1 otherwise.
"""

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from .delivery_run import SECRET, Worker, api_channel, done, queue_replies, states, throwaway_database, wait_until
from .load_race import drop_database
from .receiver import Receiver

OUTAGE_RUN_SETTINGS = {"DELIVERY_BACKOFF_MAX_SECONDS": "30"}
DRAIN_TIMEOUT_S = 120
REFUSED_ERROR = "could not be reached"
UNAVAILABLE_ERROR = "answered 503"


class FlakyReceiver(Receiver):
    """The loopback receiver, answering 503 to every POST while `unavailable` is set."""

    unavailable = False

    def handle(self, headers, body: bytes):
        if self.unavailable:
            return 503, None, {"error": "unavailable"}
        return super().handle(headers, body)


def check_attempts(ids: list[int]) -> tuple[Counter, Counter, list[str]]:
    """Attempts per reply, failed attempts by reason, and what is wrong with the recorded attempts."""
    from tickets.models import DeliveryAttempt, Message

    problems = []
    reasons = Counter()
    attempts = dict(Message.objects.filter(pk__in=ids).values_list("pk", "attempts"))
    rows: dict[int, list] = {pk: [] for pk in ids}
    for message_id, number, outcome, error in (
        DeliveryAttempt.objects.filter(message_id__in=ids)
        .order_by("message_id", "number")
        .values_list("message_id", "number", "outcome", "error")
    ):
        rows[message_id].append((number, outcome, error))
    for pk, recorded in rows.items():
        if [number for number, _, _ in recorded] != list(range(1, attempts[pk] + 1)):
            problems.append(f"reply {pk}: attempts {attempts[pk]}, rows numbered {[r[0] for r in recorded]}")
            continue
        *retries, last = recorded
        if last[1] != DeliveryAttempt.Outcome.SENT:
            problems.append(f"reply {pk}: last attempt {last[1]}")
        for number, outcome, error in retries:
            reasons[
                REFUSED_ERROR if REFUSED_ERROR in error else UNAVAILABLE_ERROR if UNAVAILABLE_ERROR in error else error
            ] += 1
            if outcome != DeliveryAttempt.Outcome.RETRY or not (REFUSED_ERROR in error or UNAVAILABLE_ERROR in error):
                problems.append(f"reply {pk}: attempt {number} {outcome} {error!r}")
    return Counter(attempts.values()), reasons, problems


def outage_run(env: dict, receiver: FlakyReceiver, channel, replies: int, down: float, log: Path) -> dict:
    receiver.stop()
    went_down = time.monotonic()
    ids = queue_replies(channel, replies)
    worker = Worker(env, log)
    worker.start()
    try:
        time.sleep(max(0.0, went_down + down / 2 - time.monotonic()))
        receiver.unavailable = True
        receiver.start()
        time.sleep(max(0.0, went_down + down - time.monotonic()))
        receiver.unavailable = False
        back = time.monotonic()
        drained = wait_until(lambda: done(ids), DRAIN_TIMEOUT_S, every=0.25)
        drain_seconds = time.monotonic() - back
    finally:
        worker.stop()
    per_reply, reasons, problems = check_attempts(ids)
    final = dict(states(ids))
    failures = problems[:10]
    if not drained:
        failures.append(f"not drained {DRAIN_TIMEOUT_S} s after the receiver returned: {final}")
    missing = len({str(pk) for pk in ids} - set(receiver.deliveries))
    if missing:
        failures.append(f"{missing} replies never reached the receiver")
    if receiver.duplicates:
        failures.append(f"{receiver.duplicates} duplicates at the receiver")
    return {
        "replies": replies,
        "down_seconds": round(back - went_down, 1),
        "drain_seconds_after_return": round(drain_seconds, 1),
        "states": final,
        "attempts_per_reply": {str(k): v for k, v in sorted(per_reply.items())},
        "attempt_rows": sum(k * v for k, v in per_reply.items()),
        "failed_attempts_by_reason": dict(reasons),
        "duplicates": receiver.duplicates,
        "failures": failures,
        "result": "FAIL" if failures else "PASS",
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replies", type=int, default=300)
    p.add_argument("--down-seconds", type=float, default=60)
    args = p.parse_args()
    name = f"bd_delivery_outage_{random.randrange(10**6)}"
    log = Path(tempfile.mkdtemp(prefix="bd-outage-")) / "worker.log"
    receiver = FlakyReceiver(secret=SECRET).start()
    try:
        env = throwaway_database(name, **OUTAGE_RUN_SETTINGS)
        summary = outage_run(env, receiver, api_channel(receiver), args.replies, args.down_seconds, log)
    finally:
        receiver.stop()
        from django.db import connections

        connections.close_all()
        drop_database(name)
    print(json.dumps(summary))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
