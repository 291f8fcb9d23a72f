"""In-process ingestion: messages per second through route_inbound_message, and SQL statements per message.

Each mix alternates blocks of BLOCK messages with as many of the plain-driver
floor's (bench.floor.Floor), and reports the floor measured beside it.
"""

import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Channel
from tickets.routing import InboundMessage, route_inbound_message

from .database import Target
from .floor import Floor
from .mixes import MIXES, deliveries
from .scales import Scale
from .seed import Dataset

TIME_LIMIT_S = 60.0
STATEMENT_SAMPLE = 20
BLOCK = 25


def inbound_of(payload: dict) -> InboundMessage:
    contact = payload["contact"]
    return InboundMessage(
        message_id=payload["message_id"],
        contact_id=contact["id"],
        text=payload["text"],
        contact_name=contact.get("name") or "",
        phone=contact.get("phone") or "",
        email=contact.get("email") or "",
    )


def measure(scale: Scale, data: Dataset, target: Target) -> dict:
    # As the API's token look-up gives routing each channel: with the switches read in the same statement.
    channels = {c.pk: c for c in Channel.objects.with_switches()}
    results = {}
    for mix in MIXES:
        with Floor(target, data, f"inproc-floor-{mix}") as floor:
            results[mix] = _throughput(channels, deliveries(mix, data, scale.ingest_messages, "inproc"), floor)
        results[mix]["floor_per_s"] = floor.per_s
        results[mix]["statements"] = _statements(channels, deliveries(mix, data, STATEMENT_SAMPLE, "count"))
    repeat = deliveries("open_tickets", data, STATEMENT_SAMPLE, "dup")
    _route_all(channels, repeat)
    results["duplicates"] = {"statements": _statements(channels, repeat)}
    return results


def _route_all(channels, batch) -> None:
    for channel_id, payload in batch:
        route_inbound_message(channel=channels[channel_id], inbound=inbound_of(payload))


def _throughput(channels, batch, floor: Floor) -> dict:
    _route_all(channels, batch[:3])  # warm the connection and caches
    floor.run(messages=3)
    floor.messages, floor.seconds = 0, 0.0
    latencies = []
    started = time.perf_counter()
    for k, (channel_id, payload) in enumerate(batch[3:], 1):
        t0 = time.perf_counter()
        route_inbound_message(channel=channels[channel_id], inbound=inbound_of(payload))
        latencies.append(time.perf_counter() - t0)
        if k % BLOCK == 0 or k == len(batch) - 3:
            floor.run(messages=BLOCK)  # beside this block: the same neighbours
        if t0 - started > TIME_LIMIT_S * 2:
            break
    elapsed = sum(latencies)
    return {
        "messages": len(latencies),
        "seconds": round(elapsed, 3),
        "per_s": round(len(latencies) / elapsed, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 2),
    }


def _statements(channels, batch) -> dict:
    counts = []
    for channel_id, payload in batch:
        with CaptureQueriesContext(connection) as captured:
            route_inbound_message(channel=channels[channel_id], inbound=inbound_of(payload))
        counts.append(len(captured.captured_queries))
    last = [q["sql"] for q in captured.captured_queries]
    return {"per_message": round(sum(counts) / len(counts), 2), "max": max(counts), "example": last}
