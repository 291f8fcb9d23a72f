"""Run the benchmark: `python -m bench.run --db postgres|sqlite [--scale full|small]`.

Creates its own database (PostgreSQL: blockdesk_bench on 127.0.0.1; SQLite: a
file under /tmp), migrates, seeds, measures, prints a table, writes JSON
under bench/results/, and drops the database unless --keep.
"""

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import database
from .scales import SCALES

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ("pages", "search", "ingest", "spam", "http", "floor", "batch", "bulk", "limits")


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--name", default="blockdesk_bench", help="throwaway database name")
    parser.add_argument("--skip", action="append", default=[], choices=STAGES, help="leave a stage out")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for the HTTP stage")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON result")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse(argv)
    scale = SCALES[args.scale]
    if args.db == "postgres":
        target = database.postgres_target(args.server, args.name)
    else:
        target = database.sqlite_target(Path("/tmp"), args.name)
    database.create(target)
    database.use(target)
    try:
        return _run(args, scale, target)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database.drop(target)


def _run(args, scale, target) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from . import report, seed

    started = time.perf_counter()
    results = {"meta": _meta(args, scale, target), "seed": {}}
    step = time.perf_counter()
    call_command("migrate", verbosity=0)
    results["seed"]["migrate_s"] = round(time.perf_counter() - step, 2)
    step = time.perf_counter()
    data = seed.seed(scale)
    results["seed"]["seed_s"] = round(time.perf_counter() - step, 2)
    results["seed"]["rows"] = data.counts
    _progress(f"seeded {data.counts} in {results['seed']['seed_s']} s")
    for stage in STAGES:
        if stage in args.skip:
            continue
        step = time.perf_counter()
        results[stage] = _stage(stage, args, scale, target, data)
        _progress(f"{stage} done in {time.perf_counter() - step:.1f} s")
    results["meta"]["total_s"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.targets(results)
    report.print_table(results)
    path = _write(args.out, results)
    print(f"\nwrote {path}")
    return results


def _stage(stage, args, scale, target, data) -> dict:
    import importlib

    module = importlib.import_module(f"bench.{'http' if stage == 'batch' else stage}")

    if stage in ("pages", "search", "spam", "bulk", "limits"):
        return module.measure(scale, data)
    if stage in ("ingest", "floor"):
        return module.measure(scale, data, target)
    if stage == "http":
        return module.measure(scale, data, target, workers=args.workers, clients=args.clients)
    return module.measure_batch(scale, data, target, workers=args.workers, clients=args.clients)


def _meta(args, scale, target) -> dict:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        server = cursor.fetchone()[0]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv_is_cli() else []),
        "db": target.vendor,
        "database": server,
        "scale": scale.name,
        "nproc": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": platform.machine(),
    }


def argv_is_cli() -> bool:
    return Path(sys.argv[0]).name in ("run.py", "__main__.py", "-m")


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        return round(kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None


def _write(directory: Path, results: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}-{results['meta']['db']}-{results['meta']['scale']}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def _progress(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
