"""Inbound limits per channel: requests and messages per minute, counted once for every process and machine.

Each channel has `requests_per_minute` and `messages_per_minute` (Django
admin; 0 means no limit). Over either, a door answers 429 with Retry-After
(the seconds left in the minute) and stores nothing. The windows are fixed
calendar minutes of the server clock; every request counts, refused ones too,
so a client that keeps pushing past its limit waits out the minute.

Where the counts live, so that all processes share them:

- with `CACHE_URL` on Redis (`rediscache://…`, the PostgreSQL + Redis set-up):
  one hash per channel and minute, HINCRBY for requests and messages and an
  EXPIRE, in one pipelined round trip;
- otherwise (the SQLite default, or PostgreSQL alone): in the channel's own
  row (`limit_minute`, `minute_requests`, `minute_messages`), updated by the
  statement that looks the token up (`inbound_channel`), so the inbound API
  pays no statement for counting. A per-process memory cache is never used:
  it would give each process its own limit.

Other doors (native webhooks) call `inbound_limit_retry_after` once per request
with the number of messages it carries.
"""

import hmac
import time
from functools import cache

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models.expressions import Col
from django.utils.translation import gettext, gettext_noop

from blockdesk.first_statement import run_first_statement
from blockdesk.model_rows import from_row
from blockdesk.tokens import hash_token
from settings_app.models import SystemSettings
from settings_app.switches import COLUMNS

from .models import SWITCHES_PREFIX, Channel

WINDOW_SECONDS = 60
_ATTNAMES = tuple(f.attname for f in Channel._meta.concrete_fields)
TOO_MANY_REQUESTS = gettext_noop("This channel sent more than its {limit} requests a minute; try again in {seconds} s.")
TOO_MANY_MESSAGES = gettext_noop("This channel sent more than its {limit} messages a minute; try again in {seconds} s.")


def counts_in_redis() -> bool:
    """The counts are shared through Redis (CACHE_URL is a Redis cache), else kept in the database."""
    return isinstance(caches["default"], RedisCache)


def _minute(now: float) -> int:
    return int(now // WINDOW_SECONDS)


def _seconds_left(now: float) -> int:
    return max(1, WINDOW_SECONDS - int(now % WINDOW_SECONDS))


def refusal(channel: Channel, requests: int, messages: int, now: float) -> str | None:
    """Why the channel must wait, given its counts this minute (this request included), else None."""
    seconds = _seconds_left(now)
    if channel.requests_per_minute and requests > channel.requests_per_minute:
        return gettext(TOO_MANY_REQUESTS).format(limit=channel.requests_per_minute, seconds=seconds)
    if channel.messages_per_minute and messages > channel.messages_per_minute:
        return gettext(TOO_MANY_MESSAGES).format(limit=channel.messages_per_minute, seconds=seconds)
    return None


class Over(Exception):
    """The channel is over one of its limits: wait `retry_after` seconds."""

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def _count_in_redis(channel_id: int, requests: int, messages: int, now: float, cache=None) -> tuple[int, int]:
    cache = cache or caches["default"]
    key = cache.make_key(f"inbound-limit:{channel_id}:{_minute(now)}")
    client = cache._cache.get_client(key, write=True)
    pipe = client.pipeline(transaction=False)
    pipe.hincrby(key, "requests", requests)
    pipe.hincrby(key, "messages", messages)
    pipe.expire(key, 2 * WINDOW_SECONDS)
    counted_requests, counted_messages, _ = pipe.execute()
    return counted_requests, counted_messages


# Both PostgreSQL and SQLite (3.35+) read the old row on the right of SET and answer the new one with RETURNING.
_COUNT = """
    minute_requests = CASE WHEN limit_minute = %s THEN minute_requests + %s ELSE %s END,
    minute_messages = CASE WHEN limit_minute = %s THEN minute_messages + %s ELSE %s END,
    limit_minute = %s
"""


# PostgreSQL: a count outside any transaction commits without waiting for its WAL to reach the disk (this
# transaction only). A crash may lose the last fraction of a second of counts, letting a few more requests in after
# the restart; never a message, as no other write shares that commit. Inside a transaction (a webhook's, say) the
# setting would hold for everything it commits, so there the count waits like the rest. One disk flush fewer per
# delivery: 5% more deliveries a second over HTTP (docs/benchmarks.md, issue 11).
_UNFLUSHED = " AND set_config('synchronous_commit', 'off', true) = 'off'"


def _unflushed() -> str:
    """The condition that makes the counting statement's own commit asynchronous, where that is safe; else ""."""
    return _UNFLUSHED if connection.vendor == "postgresql" and not connection.in_atomic_block else ""


def _count_params(requests: int, messages: int, now: float) -> list:
    minute = _minute(now)
    return [minute, requests, requests, minute, messages, messages, minute]


def _count_in_database(channel_id: int, requests: int, messages: int, now: float) -> tuple[int, int]:
    table = Channel._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {_COUNT} WHERE id = %s{_unflushed()} RETURNING minute_requests, minute_messages",
            [*_count_params(requests, messages, now), channel_id],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, 0)


def inbound_limit_retry_after(channel: Channel, messages: int, *, requests: int = 1) -> int | None:
    """Count a request carrying `messages` messages for the channel; the seconds to wait if it is over, else None.

    Call it once per request, before storing anything; when it answers a
    number, answer 429 with that Retry-After and store nothing.
    """
    over = check_inbound_limit(channel, messages, requests=requests)
    return None if over is None else over.retry_after


def check_inbound_limit(channel: Channel, messages: int, *, requests: int = 1) -> Over | None:
    """inbound_limit_retry_after with the refusal's text: the Over to raise, or None."""
    now = time.time()
    count = _count_in_redis if counts_in_redis() else _count_in_database
    counted_requests, counted_messages = count(channel.pk, requests, messages, now)
    detail = refusal(channel, counted_requests, counted_messages, now)
    return None if detail is None else Over(detail, _seconds_left(now))


def inbound_channel(raw: str, *, messages: int) -> tuple[Channel | None, Over | None]:
    """The inbound API's one look-up: the active channel of this token with the switches, counted against its limits.

    Answers (channel, None), (channel, Over) when it is over a limit, or
    (None, None) for a wrong token or a channel switched off (not counted).
    In the database set-up a single statement finds the channel, counts the
    request and its `messages` and reads the switches; with Redis, the
    statement reads and one Redis round trip counts.
    """
    digest = hash_token(raw)
    if counts_in_redis():
        channel = _read_by_token(digest)
        if channel is None or not hmac.compare_digest(channel.token_hash, digest):
            return None, None
        return channel, check_inbound_limit(channel, messages)
    now = time.time()
    channel = _count_by_token(digest, messages, now)
    if channel is None or not hmac.compare_digest(channel.token_hash, digest):
        return None, None
    detail = refusal(channel, channel.minute_requests, channel.minute_messages, now)
    return channel, None if detail is None else Over(detail, _seconds_left(now))


@cache
def _statements(vendor: str, unflushed: str) -> tuple[str, str]:
    """The look-up's two statements (count and read, or read only), written out once per database and `unflushed`.

    Each answers the channel's columns and the switches. On PostgreSQL the
    switches' row is joined (LEFT: a database without it answers NULLs, as a
    look-up of its own would): one index scan where a subquery per switch made
    nine, a third of the statement's time in the database (issue 11). SQLite
    cannot answer another table's columns from an UPDATE, so there each switch
    is a subquery. Written by hand and read with a plain cursor: the ORM spent
    more time building the statement and its rows than the database answering.
    """
    qn = connection.ops.quote_name
    table = qn(Channel._meta.db_table)
    settings_table = qn(SystemSettings._meta.db_table)
    singleton = SystemSettings.SINGLETON_PK
    if vendor == "postgresql":
        columns = ", ".join(f"c.{qn(f.column)}" for f in Channel._meta.concrete_fields)
        switches = ", ".join(f"s.{name} AS {SWITCHES_PREFIX}{name}" for name in COLUMNS)
        joined = f"LEFT JOIN {settings_table} s ON s.id = {singleton}"
        where = "c.token_hash = %s AND c.is_active"
        return (
            f"UPDATE {table} c SET {_COUNT} FROM (SELECT 1) AS one {joined} WHERE {where}{unflushed} "
            f"RETURNING {columns}, {switches}",
            f"SELECT {columns}, {switches} FROM {table} c {joined} WHERE {where}",
        )
    columns = ", ".join(qn(f.column) for f in Channel._meta.concrete_fields)
    switches = ", ".join(
        f"(SELECT {name} FROM {settings_table} WHERE id = {singleton}) AS {SWITCHES_PREFIX}{name}" for name in COLUMNS
    )
    return (
        f"UPDATE {table} SET {_COUNT} WHERE token_hash = %s AND is_active{unflushed} RETURNING {columns}, {switches}",
        f"SELECT {columns}, {switches} FROM {table} WHERE token_hash = %s AND is_active",
    )


@cache
def _converters(vendor: str) -> list[tuple[int, Col, list]]:
    """(position, column, converters) of each channel column whose value needs converting, as a query would."""
    out = []
    for position, field in enumerate(Channel._meta.concrete_fields):
        column = field.get_col(Channel._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            out.append((position, column, found))
    return out


def _count_by_token(digest: str, messages: int, now: float) -> Channel | None:
    """Count the request on the active channel with this token digest and answer its row with the switches."""
    return _channel_of(_statements(connection.vendor, _unflushed())[0], [*_count_params(1, messages, now), digest])


def _read_by_token(digest: str) -> Channel | None:
    """The active channel with this token digest and the switches: Channel.objects.for_token's statement."""
    return _channel_of(_statements(connection.vendor, "")[1], [digest])


def _channel_of(sql: str, params: list) -> Channel | None:
    """The channel the statement answers, its switches kept on it (Channel.switches), else None."""
    rows = run_first_statement(lambda: _rows_of(sql, params))
    if not rows:
        return None
    fields = Channel._meta.concrete_fields
    values = list(rows[0][: len(fields)])
    for position, column, converters in _converters(connection.vendor):
        for convert in converters:
            values[position] = convert(values[position], column, connection)
    channel = from_row(Channel, connection.alias, _ATTNAMES, values)
    for name, value in zip(COLUMNS, rows[0][len(fields) :], strict=True):
        setattr(channel, SWITCHES_PREFIX + name, value)
    return channel


def _rows_of(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Read to the end: SQLite finishes (and, in autocommit, commits) an UPDATE … RETURNING only then.
        return cursor.fetchall()
