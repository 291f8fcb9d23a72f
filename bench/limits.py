"""What counting the inbound limits costs a message (contacts.inbound_limits), against a look-up that counts nothing.

In-process, one channel token, N look-ups each, taking turns (the machine is shared):
- floor: the channel with the switches, one SELECT, no counting (as the Redis set-up reads it);
- orm: the same SELECT through the ORM (`Channel.objects.for_token`), for comparison;
- database: `inbound_channel` as the SQLite default and PostgreSQL without Redis run it — the same
  look-up as one UPDATE … RETURNING that also counts the request and its message;
- redis: what `inbound_channel` does with CACHE_URL on the local Redis — the SELECT plus one pipelined
  round trip (HINCRBY, HINCRBY, EXPIRE).
A batch pays the look-up once and one more count for its messages: divide by its size.
"""

import statistics
import time
import uuid

import redis
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from blockdesk.tokens import hash_token
from contacts.inbound_limits import _count_in_redis, _read_by_token, inbound_channel
from contacts.models import Channel

from .scales import Scale
from .seed import Dataset

CALLS = 2000
REDIS_URL = "redis://127.0.0.1:6379/11"


def _interleaved(variants: dict, n: int) -> dict:
    """Time each variant n times, taking turns, so that all of them run under the same load (the machine is shared)."""
    for call in variants.values():
        for _ in range(20):
            call()
    times = {name: [] for name in variants}
    for _ in range(n):
        for name, call in variants.items():
            t0 = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t0)
    out = {}
    for name, values in times.items():
        values.sort()
        out[name] = {
            "calls": n,
            "median_us": round(statistics.median(values) * 1e6, 1),
            "p95_us": round(values[int(n * 0.95) - 1] * 1e6, 1),
        }
    return out


def _redis_cache():
    try:
        if not redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping():
            return None
    except redis.RedisError:
        return None
    return RedisCache(REDIS_URL, {"KEY_PREFIX": f"bench-{uuid.uuid4().hex}"})


def measure(scale: Scale, data: Dataset) -> dict:
    channel_id = data.channel_ids[0]
    raw = data.tokens[channel_id]
    n = min(CALLS, max(200, scale.ingest_messages))
    connection.ensure_connection()
    digest = hash_token(raw)
    variants = {
        "orm": lambda: Channel.objects.for_token(raw),
        "floor": lambda: _read_by_token(digest),
        "database": lambda: inbound_channel(raw, messages=1),
    }
    cache = _redis_cache()
    if cache is not None:
        digest = hash_token(raw)

        def with_redis():
            channel = _read_by_token(digest)
            _count_in_redis(channel.pk, 1, 1, time.time(), cache=cache)

        variants["redis"] = with_redis
    out = _interleaved(variants, n)
    floor = out["floor"]["median_us"]
    for backend in ("database", "redis"):
        if backend in out:
            out[backend]["extra_per_message_us"] = round(out[backend]["median_us"] - floor, 1)
    return out
