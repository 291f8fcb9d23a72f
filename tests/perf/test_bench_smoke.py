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
