"""The load-and-race run with spam defence (bench/load_race_spam.py), scaled down: 2,000 deliveries, 4 clients.

Rules added mid-run, the flood guard's auto-block racing a supervisor's Unblock All, timed blocks expiring
under traffic: nothing lost, duplicated, or shown to agents while blocked (the full run is in docs/reliability.md).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.postgres_only


@pytest.mark.skipif(not DATABASE_URL.startswith("postgres"), reason="gunicorn workers racing need PostgreSQL")
def test_rules_flood_guard_and_expiries_racing_the_load_lose_nothing_and_leak_nothing():
    # The throwaway database is named after the one the suite runs against, so parallel runs never share it.
    name = DATABASE_URL.rsplit("/", 1)[-1].split("?")[0] + "_loadspam"
    command = [sys.executable, "-m", "bench.load_race_spam", "--name", name, "--messages", "2000"]
    command += ["--clients", "4", "--workers", "2", "--max-seconds", "240"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=360)
    summary = json.loads(done.stdout.strip().splitlines()[-1])

    assert done.returncode == 0, summary["failures"]
    assert summary["result"] == "PASS"
    assert (summary["lost"], summary["duplicated"], summary["rejected_yet_stored"]) == (0, 0, 0)
    assert summary["blocked_contact_messages_leaked_to_queues"] == 0
    assert summary["messages_leaked_past_rule_or_flood_blocks"] == 0
    # Each race happened, and the rules counted exactly the messages they decided.
    assert summary["rejected_answers"] > 0 and summary["quarantine_blocks"] > 0
    assert summary["rule_hits"] == summary["rejected_answers"] + summary["quarantine_blocks"]
    assert summary["rule_hits_on_day_rows"] == summary["rule_hits"]
    assert summary["flood_guard_blocks_unblocked_by_supervisor"] > 0
    assert summary["flood_guard_blocks_without_audit"] == 0
    assert summary["timed_blocks_lifted_at_expiry"] > 0 and summary["timed_blocks_outliving_their_end"] == 0
