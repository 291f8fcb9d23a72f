"""Ingestion over HTTP: gunicorn as deploy/ runs it on 127.0.0.1, a concurrent load generator, three mixes and batches.

Each mix (and the batches) runs in ROUNDS slices, each followed by a slice of
the plain-driver floor (bench.floor.Floor) a third as long: the stage's ratio is
taken against the floor measured between its own slices.
"""

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .database import Target
from .floor import Floor
from .keepalive import KeepAliveClient
from .mixes import MIXES, deliveries
from .scales import BATCH_SIZE, Scale
from .seed import Dataset

ROOT = Path(__file__).resolve().parent.parent
SINGLE = "/api/v1/inbound/messages"
BATCH = "/api/v1/inbound/messages/batch"
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 30.0
STATEMENT_SAMPLE = 10
ROUNDS = 4


def measure(scale: Scale, data: Dataset, target: Target, *, workers: int, clients: int) -> dict:
    results = {"workers": workers, "clients": clients, "statements": _statements_single(data)}
    with Gunicorn(target, workers) as server:
        _load(server.port, _requests(data, "open_tickets", workers * 4, SINGLE), clients, 10.0)  # warm up
        for mix in MIXES:
            requests = _requests(data, mix, scale.http_max_requests, SINGLE)
            with Floor(target, data, f"http-floor-{mix}") as floor:
                results[mix] = _rounds(server.port, requests, clients, scale.http_seconds, floor)
            results[mix]["floor_per_s"] = floor.per_s
    return results


def _rounds(port: int, requests, clients: int, seconds: float, floor: Floor, path: str = SINGLE) -> dict:
    """_load in ROUNDS slices of the requests and the time, each followed by a floor slice a third as long."""
    floor.run(messages=3)  # warm its connection
    floor.messages, floor.seconds = 0, 0.0
    size = -(-len(requests) // ROUNDS)
    parts = []
    for k in range(ROUNDS):
        parts.append(_load(port, requests[k * size : (k + 1) * size], clients, seconds / ROUNDS, path))
        floor.run(seconds=seconds / ROUNDS / 3)
    return _combined(parts)


def _combined(parts: list[dict]) -> dict:
    statuses: dict[str, int] = {}
    for part in parts:
        for key, n in part["statuses"].items():
            statuses[key] = statuses.get(key, 0) + n
    messages, elapsed = sum(p["messages"] for p in parts), sum(p["seconds"] for p in parts)
    latencies = sorted(x for p in parts for x in p.pop("latencies"))
    return {
        "requests": len(latencies),
        "messages": messages,
        "seconds": round(elapsed, 3),
        "per_s": round(messages / elapsed, 1),
        "errors": sum(p["errors"] for p in parts),
        "statuses": statuses,
        "median_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2) if latencies else None,
    }


def measure_batch(scale: Scale, data: Dataset, target: Target, *, workers: int, clients: int) -> dict:
    payloads = deliveries("open_tickets", data, scale.batches * BATCH_SIZE, "batch")
    # A batch is one channel's burst: each channel's messages in requests of BATCH_SIZE (the last one shorter).
    by_channel: dict[int, list] = {}
    for channel_id, payload in payloads:
        by_channel.setdefault(channel_id, []).append(payload)
    requests = []
    for channel_id, items in by_channel.items():
        for start in range(0, len(items), BATCH_SIZE):
            chunk = items[start : start + BATCH_SIZE]
            requests.append((data.tokens[channel_id], json.dumps({"messages": chunk}).encode(), len(chunk)))
    random.Random(7).shuffle(requests)  # the channels' bursts interleaved, as they would arrive
    results = {"batch_size": BATCH_SIZE, "workers": workers, "clients": clients}
    results["messages_per_request"] = round(len(payloads) / len(requests), 1)
    results["statements"] = _statements_batch(data)
    with Gunicorn(target, workers) as server, Floor(target, data, "batch-floor") as floor:
        _load(server.port, _requests(data, "open_tickets", workers * 2, SINGLE), clients, 10.0)  # warm up
        # Timed rounds, as the single messages': with 40 batches each round ran out of requests within a second,
        # its last ones sent by fewer clients than the rest (docs/benchmarks.md, issue 11).
        results["open_tickets"] = _rounds(server.port, requests, clients, scale.http_seconds, floor, path=BATCH)
        results["open_tickets"]["floor_per_s"] = floor.per_s
    return results


def _requests(data: Dataset, mix: str, n: int, path: str) -> list[tuple[str, bytes, int]]:
    return [(data.tokens[ch], json.dumps(payload).encode(), 1) for ch, payload in deliveries(mix, data, n, "http")]


def _statements_single(data: Dataset) -> dict:
    """SQL statements per inbound request, counted in-process through the same view (token lookup included)."""
    client = Client()
    out = {}
    for mix in MIXES:
        counts = []
        for token, body, _ in _requests(data, mix, STATEMENT_SAMPLE, SINGLE):
            with CaptureQueriesContext(connection) as captured:
                response = client.post(
                    SINGLE, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
                )
            if response.status_code >= 300:
                return {"error": f"{SINGLE} answered {response.status_code}"}
            counts.append(len(captured.captured_queries))
        out[mix] = {"per_request": round(sum(counts) / len(counts), 2), "max": max(counts)}
    return out


def _statements_batch(data: Dataset) -> dict:
    client = Client()
    channel_id = data.open_tickets[0].channel_id
    items = [p for ch, p in deliveries("open_tickets", data, BATCH_SIZE * 4, "count") if ch == channel_id][:BATCH_SIZE]
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            BATCH,
            json.dumps({"messages": items}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {data.tokens[channel_id]}",
        )
    if response.status_code >= 300:
        return {"error": f"{BATCH} answered {response.status_code}"}
    n = len(captured.captured_queries)
    return {"messages": len(items), "per_batch": n, "per_message": round(n / len(items), 2)}


def _load(port: int, requests, clients: int, seconds: float, path: str = SINGLE) -> dict:
    """POST the requests from `clients` keep-alive connections until done or `seconds` pass."""
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    deadline = time.perf_counter() + seconds
    statuses: dict[str, int] = {}
    latencies: list[float] = []
    messages = 0

    def worker():
        nonlocal messages
        client = KeepAliveClient(port, REQUEST_TIMEOUT_S)
        mine, mine_messages, mine_statuses = [], 0, {}
        while time.perf_counter() < deadline:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            token, body, count = requests[index]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            t0 = time.perf_counter()
            try:
                key = str(client.post(path, headers, body))
            except (OSError, ValueError, IndexError) as exc:
                key = type(exc).__name__
                client.close()
            mine.append(time.perf_counter() - t0)
            mine_statuses[key] = mine_statuses.get(key, 0) + 1
            if key in ("200", "201"):
                mine_messages += count
        client.close()
        with lock:
            latencies.extend(mine)
            messages += mine_messages
            for key, n in mine_statuses.items():
                statuses[key] = statuses.get(key, 0) + n

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT_S + 5)
    elapsed = time.perf_counter() - started
    errors = sum(n for key, n in statuses.items() if key not in ("200", "201"))
    latencies.sort()
    return {
        "latencies": latencies,
        "requests": len(latencies),
        "messages": messages,
        "seconds": round(elapsed, 3),
        "per_s": round(messages / elapsed, 1),
        "errors": errors,
        "statuses": statuses,
        "median_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2) if latencies else None,
    }


class Gunicorn:
    """gunicorn serving BlockDesk on a free 127.0.0.1 port against the bench database; stopped on exit."""

    def __init__(self, target: Target, workers: int):
        self.target = target
        self.workers = workers
        self.port = _free_port()
        self.process = None

    def __enter__(self):
        env = {**os.environ, "DATABASE_URL": self.target.url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        env["PYTHONPATH"] = str(ROOT)
        # As deploy/ serves it (sync workers), on this port, with this many workers, and no worker recycled
        # halfway through a stage (deploy's max_requests guards against slow leaks over days).
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--max-requests", "0"]
        command += ["--log-level", "warning", "blockdesk.wsgi:application"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not start listening in time")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
