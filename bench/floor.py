"""The floor: the same rows as an inbound message to an open ticket, written with no framework.

One transaction per message: insert the message, update the ticket's count,
time and preview. Plain psycopg on PostgreSQL (plain sqlite3 on SQLite), so
the ratio of BlockDesk's rate to this one is the framework's overhead.

`measure` is the floor stage, 1,000 messages in a row. `Floor` runs the same
loop in slices between a stage's own slices (ingest, http, batch), so the
stage and its floor see the same neighbours on a shared machine: each stage's
ratio is taken against the floor measured beside it (docs/benchmarks.md, issue 11).
"""

import sqlite3
import time
from datetime import UTC, datetime

import psycopg

from tickets.models import preview_of

from .database import Target
from .mixes import deliveries
from .scales import Scale
from .seed import Dataset

TIME_LIMIT_S = 60.0

# The columns a customer message needs (the delivery columns are those of replies, blank here).
INSERT = (
    "INSERT INTO tickets_message (ticket_id, channel_id, direction, body, external_id, sent_at, created_at,"
    " delivery_state, attempts, provider_message_id, last_error, metadata, arrived_blocked)"
    " VALUES ({0}, {0}, 'in', {0}, {0}, {0}, {0}, '', 0, '', '', '{{}}', false)"
)
UPDATE = (
    "UPDATE tickets_ticket SET message_count = message_count + 1, last_message_at = {0},"
    " last_message_preview = {0}, updated_at = {0} WHERE id = {0}"
)

_PG_INSERT, _PG_UPDATE = INSERT.format("%s"), UPDATE.format("%s")
_SQLITE_INSERT, _SQLITE_UPDATE = INSERT.format("?"), UPDATE.format("?")


def measure(scale: Scale, data: Dataset, target: Target) -> dict:
    pool = data.open_tickets
    rows = []
    for k, (_, payload) in enumerate(deliveries("open_tickets", data, scale.ingest_messages, "floor")):
        ticket = pool[(k * 31) % len(pool)]
        rows.append((ticket.ticket_id, ticket.channel_id, payload["text"], payload["message_id"]))
    if target.vendor == "postgresql":
        return _postgres(target, rows)
    return _sqlite(target, rows)


class Floor:
    """The floor's loop on its own connection, run in slices; it adds up the messages and seconds of every slice."""

    def __init__(self, target: Target, data: Dataset, tag: str):
        self.target, self.data, self.tag = target, data, tag
        self.messages, self.seconds = 0, 0.0
        self._rows: list = []
        if target.vendor == "postgresql":
            self._conn = psycopg.connect(target.url)
        else:
            self._conn = sqlite3.connect(target.path, isolation_level=None, timeout=20)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")

    def run(self, *, messages: int | None = None, seconds: float | None = None) -> None:
        """Write `messages` floor messages, or as many as fit in `seconds`."""
        started = time.perf_counter()
        done = 0
        while (messages is None or done < messages) and (seconds is None or time.perf_counter() - started < seconds):
            if not self._rows:
                self._rows = _rows(self.data, 500, self.tag)[::-1]
            if self.target.vendor == "postgresql":
                _postgres_one(self._conn, *self._rows.pop())
            else:
                _sqlite_one(self._conn, *self._rows.pop())
            done += 1
        self.seconds += time.perf_counter() - started
        self.messages += done

    @property
    def per_s(self) -> float:
        return round(self.messages / self.seconds, 1) if self.seconds else 0.0

    def close(self) -> None:
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _rows(data: Dataset, n: int, tag: str) -> list[tuple]:
    pool = data.open_tickets
    rows = []
    for k, (_, payload) in enumerate(deliveries("open_tickets", data, n, tag)):
        ticket = pool[(k * 31) % len(pool)]
        rows.append((ticket.ticket_id, ticket.channel_id, payload["text"], payload["message_id"]))
    return rows


def _postgres_one(conn, ticket_id, channel_id, text, message_id) -> None:
    now = datetime.now(UTC)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_PG_INSERT, (ticket_id, channel_id, text, message_id, now, now))
        cur.execute(_PG_UPDATE, (now, preview_of(text), now, ticket_id))


def _sqlite_one(conn, ticket_id, channel_id, text, message_id) -> None:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(_SQLITE_INSERT, (ticket_id, channel_id, text, message_id, now, now))
    conn.execute(_SQLITE_UPDATE, (now, preview_of(text), now, ticket_id))
    conn.execute("COMMIT")


def _postgres(target: Target, rows) -> dict:
    insert, update = INSERT.format("%s"), UPDATE.format("%s")
    with psycopg.connect(target.url) as conn:
        started = time.perf_counter()
        done = 0
        for ticket_id, channel_id, text, message_id in rows:
            now = datetime.now(UTC)
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(insert, (ticket_id, channel_id, text, message_id, now, now))
                cur.execute(update, (now, preview_of(text), now, ticket_id))
            done += 1
            if time.perf_counter() - started > TIME_LIMIT_S:
                break
        elapsed = time.perf_counter() - started
    return {"messages": done, "seconds": round(elapsed, 3), "per_s": round(done / elapsed, 1), "statements": 2}


def _sqlite(target: Target, rows) -> dict:
    insert, update = INSERT.format("?"), UPDATE.format("?")
    conn = sqlite3.connect(target.path, isolation_level=None, timeout=20)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        started = time.perf_counter()
        done = 0
        for ticket_id, channel_id, text, message_id in rows:
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(insert, (ticket_id, channel_id, text, message_id, now, now))
            conn.execute(update, (now, preview_of(text), now, ticket_id))
            conn.execute("COMMIT")
            done += 1
            if time.perf_counter() - started > TIME_LIMIT_S:
                break
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return {"messages": done, "seconds": round(elapsed, 3), "per_s": round(done / elapsed, 1), "statements": 2}
