"""Keep the benchmark from rotting: run it at small scale on SQLite (no HTTP stages) and read its JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_at_small_scale(tmp_path):
    command = [sys.executable, "-m", "bench.run", "--db", "sqlite", "--scale", "small"]
    command += ["--skip", "http", "--skip", "batch", "--name", f"bench_smoke_{os.getpid()}", "--out", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]

    (path,) = tmp_path.glob("*.json")
    results = json.loads(path.read_text())
    assert results["seed"]["rows"]["messages"] == 10_000
    assert results["ingest"]["open_tickets"]["per_s"] > 0
    assert results["floor"]["per_s"] > 0
    assert all("error" not in page for page in results["pages"].values())
    assert results["bulk"]["delete_all"]["deleted_messages"] >= 500
    assert results["targets"]
    spam = results["spam"]  # issue 14 point 8: the same mixes with 10,000 rules and the flood guard, and without
    assert spam["rules"] == 10_000 and spam["first_compile_ms"] > 0
    for mix in ("open_tickets", "blocked_contacts", "new_contacts"):
        assert spam[mix]["plain"]["per_s"] > 0 and spam[mix]["defended"]["per_s"] > 0
        assert spam[mix]["defended"]["statements"] == spam[mix]["plain"]["statements"]
    assert spam["flood_flags"] == 0 and spam["rule_hits"] == 0  # the bench's traffic trips neither
    assert any(check["target"].startswith("spam defence keeps") for check in results["targets"])
