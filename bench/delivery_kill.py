"""Kill run: the worker SIGKILLed mid-delivery several times and started again; no reply may be lost.

    .venv/bin/python -m bench.delivery_kill                  # 500 replies, 5 kills
    .venv/bin/python -m bench.delivery_kill --replies 40 --kills 2

On a throwaway PostgreSQL database: an `api` channel pointing at the loopback
receiver (bench/receiver.py, which checks the signature, counts each
X-BlockDesk-Delivery id and answers in 10 ms), N replies queued by an agent, then `manage.py
run_worker` started as a subprocess. Each kill waits until the receiver has
got a random number of replies (spread over the run, and at least one from
the current worker), waits a random 0-30 ms more, sends SIGKILL to the
worker and starts a new one. DELIVERY_CLAIM_SECONDS
is 2 and the periodic sweep runs every second, so a killed worker's reply is
handed on quickly. Passes when every reply ends sent, the receiver has every
one, and duplicates (the same delivery id twice) are at most one per kill.
Prints a JSON summary on its last line; exit status 1 otherwise.
"""

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .delivery_run import SECRET, Worker, api_channel, done, queue_replies, states, throwaway_database, wait_until
from .load_race import drop_database
from .receiver import Receiver

# The worker's settings for the run: a killed worker's claim runs out after 2 s, the sweep looks every second.
KILL_RUN_SETTINGS = {"DELIVERY_CLAIM_SECONDS": "2", "PERIODIC_JOBS_EVERY_SECONDS": "1"}
DRAIN_TIMEOUT_S = 120
# The receiver takes this long to answer (a network's round trip and the receiver's own work), so the
# kills land while replies are still going out: at ~1,000 replies a second a loopback run is over
# between two kill points.
ANSWER_SECONDS = 0.01


@dataclass
class KillResult:
    replies: int
    kills: int
    received_before_each_kill: list = field(default_factory=list)
    seconds: float = 0.0
    states: dict = field(default_factory=dict)
    not_sent: int = 0
    missing_at_receiver: int = 0
    duplicates: int = 0
    attempts: int = 0
    failures: list = field(default_factory=list)


def kill_run(env: dict, receiver: Receiver, channel, replies: int, kills: int, rng: random.Random, log: Path):
    """Queue the replies, run the worker with `kills` SIGKILLs at random points, check the outcome."""
    from django.db.models import Sum

    from tickets.models import Message

    ids = queue_replies(channel, replies)
    receiver.answer_seconds = ANSWER_SECONDS
    result = KillResult(replies=replies, kills=kills)
    thresholds = sorted(rng.sample(range(replies // 10, replies * 9 // 10), kills))
    worker = Worker(env, log)
    started = time.monotonic()
    worker.start()
    try:
        for threshold in thresholds:
            # Mid-delivery: the new worker has sent at least one reply since it started.
            target = max(threshold, len(receiver.received) + 1)
            if not wait_until(lambda t=target: len(receiver.received) >= t, DRAIN_TIMEOUT_S, every=0.005):
                result.failures.append(f"the receiver never reached {threshold} replies; see {log}")
                break
            time.sleep(rng.uniform(0, 0.03))
            worker.kill()
            result.received_before_each_kill.append(len(receiver.received))
            worker.start()
        wait_until(lambda: done(ids), DRAIN_TIMEOUT_S, every=0.5)
    finally:
        worker.stop()
    result.seconds = round(time.monotonic() - started, 1)
    result.states = dict(states(ids))
    result.not_sent = replies - result.states.get("sent", 0) - result.states.get("delivered", 0)
    result.missing_at_receiver = len({str(pk) for pk in ids} - set(receiver.deliveries))
    result.duplicates = receiver.duplicates
    result.attempts = Message.objects.filter(pk__in=ids).aggregate(n=Sum("attempts"))["n"]
    if result.not_sent:
        result.failures.append(f"{result.not_sent} replies not sent: {result.states}")
    if result.missing_at_receiver:
        result.failures.append(f"{result.missing_at_receiver} replies never reached the receiver")
    if result.duplicates > kills:
        result.failures.append(f"{result.duplicates} duplicates for {kills} kills")
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replies", type=int, default=500)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--seed", type=int, default=None, help="random seed (kill points); printed")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    name = f"bd_delivery_kill_{random.randrange(10**6)}"
    log = Path(tempfile.mkdtemp(prefix="bd-kill-")) / "worker.log"
    receiver = Receiver(secret=SECRET).start()
    try:
        env = throwaway_database(name, **KILL_RUN_SETTINGS)
        result = kill_run(env, receiver, api_channel(receiver), args.replies, args.kills, random.Random(seed), log)
    finally:
        receiver.stop()
        from django.db import connections

        connections.close_all()
        drop_database(name)
    print(json.dumps({"seed": seed, **asdict(result), "result": "FAIL" if result.failures else "PASS"}))
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
