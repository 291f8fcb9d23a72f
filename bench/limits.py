"""What counting the inbound limits costs a message (contacts.inbound_limits), against a look-up that counts nothing.

In-process, one channel token, N look-ups each:
- floor: `Channel.objects.for_token` — the channel with the switches, one SELECT, no counting;
- database: `inbound_channel` as the SQLite default and PostgreSQL without Redis run it — the same
  look-up as one UPDATE … RETURNING that also counts the request and its message;
- redis: `inbound_channel` with CACHE_URL on the local Redis — the SELECT plus one pipelined round trip.
A batch pays the look-up once and one more count for its messages: divide by its size.
"""

import statistics
import time
import uuid

import redis
from django.db import connection
from django.test.utils import override_settings

from contacts.inbound_limits import inbound_channel
from contacts.models import Channel

from .scales import Scale
from .seed import Dataset

CALLS = 2000
REDIS_URL = "redis://127.0.0.1:6379/11"


def _timed(call, n: int) -> dict:
    for _ in range(20):
        call()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {
        "calls": n,
        "median_us": round(statistics.median(times) * 1e6, 1),
        "p95_us": round(times[int(n * 0.95) - 1] * 1e6, 1),
    }


def _redis_runs() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def measure(scale: Scale, data: Dataset) -> dict:
    channel_id = data.channel_ids[0]
    raw = data.tokens[channel_id]
    n = min(CALLS, max(200, scale.ingest_messages))
    connection.ensure_connection()
    out = {"floor": _timed(lambda: Channel.objects.for_token(raw), n)}
    out["database"] = _timed(lambda: inbound_channel(raw, messages=1), n)
    if _redis_runs():
        cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
        }
        with override_settings(CACHES={"default": cache}):
            out["redis"] = _timed(lambda: inbound_channel(raw, messages=1), n)
    floor = out["floor"]["median_us"]
    for backend in ("database", "redis"):
        if backend in out:
            out[backend]["extra_per_message_us"] = round(out[backend]["median_us"] - floor, 1)
    return out
