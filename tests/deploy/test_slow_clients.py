"""deploy/ as a team would run it: nginx in front of gunicorn's sync workers keeps answering while 50 sockets
trickle headers and bodies (bench/slow_clients.py; the full 60-second run is in docs/reliability.md).

The test runs the attack for 10 s, not 60: nginx holds each slow socket at a constant cost, so a topology that
lets them through to the sync workers freezes within the first second (the --direct run in docs/reliability.md),
and the suite runs twice in CI on two cores. Ten seconds is ten trickled bytes on every socket.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.slow_clients import NGINX

ROOT = Path(__file__).resolve().parents[2]


def test_health_and_inbound_keep_answering_behind_nginx_while_50_sockets_trickle():
    if not Path(NGINX).exists():
        pytest.skip(f"No nginx at {NGINX}: install Debian's 'nginx' package to run the deployment test")
    database = "postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    result = subprocess.run(
        [sys.executable, "-m", "bench.slow_clients", "--db", database, "--seconds", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, summary["failures"]
    assert summary["topology"] == "nginx + gunicorn"
    assert summary["gunicorn_workers"] == 4
    # The attack really held its 50 sockets open and trickling for the whole run (nginx's 15-second header
    # timeout, which cuts the header tricklers off in the 60-second run, does not come up in 10 s).
    assert summary["attack_sockets"] == 50
    assert summary["attack_sockets_reopened"] == 0
    assert summary["attack_bytes_trickled"] >= 50 * 8
    for probe in ("healthz", "inbound"):
        answered = summary["under_attack"][probe]
        assert answered["probes"] >= 10
        assert answered["failures"] == 0
        assert answered["p95_ms"] < 1000
