"""Writing delivery outcomes without waiting for them: the next reply's request runs while PostgreSQL writes.

Each outcome is written as soon as its reply is sent (tickets/delivery_record.py); waiting for that
write before the next request made it half of a reply's time. A pipe writes the same one statement
(prepared once) on a connection of its own, in autocommit, and does not wait for its answer: the next
reply is posted while PostgreSQL writes the last one's outcome. It reads an outcome's answer before
it sends the next outcome, so at most one is ever on its way.

Why a killed worker still has at most one sent reply it did not record: an outcome is sent whole, and
sent before the next request starts. If the worker dies after that, either PostgreSQL had already
answered (it answers after the commit), or nothing was waiting unread on the socket, so the kernel
closes it in order, after what was written: PostgreSQL reads the statement, runs it and commits it
(the pipe sets client_connection_check_interval to 0, so a closed client does not cancel a running
statement). Only the reply being posted when the worker died goes out again.
tests/delivery/test_outcome_pipe.py; the kill run (bench.delivery_kill) counts duplicates per kill.

Only outside a transaction (the pipe's own connection cannot see uncommitted claims), and only on
PostgreSQL; elsewhere `SyncWriter` writes each outcome and waits, as before.
"""

import logging
import re
from collections.abc import Callable

import psycopg
from django.db import connection
from psycopg import pq

from .delivery_record import RECORD_SQL, Outcome, write_outcome

logger = logging.getLogger(__name__)

STATEMENT = b"blockdesk_record_outcome"
# RECORD_SQL's %(name)s parameters in order of first use, and the statement with $1, $2, … in their place.
PARAMETERS = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", RECORD_SQL)))
NUMBERED_SQL = re.sub(r"%\((\w+)\)s", lambda m: f"${PARAMETERS.index(m.group(1)) + 1}", RECORD_SQL)

# Called with whether the outcome was written (False: the claim had run out; another worker holds the message).
Done = Callable[[bool], None]


class SyncWriter:
    """Write each outcome and wait for it (SQLite, inside a transaction, a single message)."""

    def write(self, outcome: Outcome, done: Done) -> None:
        done(write_outcome(outcome))

    def settle(self) -> None:
        """Nothing is ever on its way."""

    def close(self) -> None:
        """Nothing to close."""


class OutcomePipe:
    """Send each outcome and read its answer only before the next one (or when asked to settle)."""

    def __init__(self):
        params = connection.get_connection_params()
        self._conn = psycopg.connect(**params, autocommit=True)
        self._conn.execute("SET synchronous_commit TO OFF")  # as the batch's own connection: see delivery.py
        self._conn.execute("SET client_connection_check_interval TO 0")
        self._pgconn = self._conn.pgconn
        self._check(self._pgconn.prepare(STATEMENT, NUMBERED_SQL.encode()))
        self._waiting: Done | None = None

    def write(self, outcome: Outcome, done: Done) -> None:
        self.settle()
        values = outcome.__dict__
        self._pgconn.send_query_prepared(STATEMENT, [_text(values[name]) for name in PARAMETERS])
        self._waiting = done

    def settle(self) -> None:
        """Read the answer of the outcome on its way, if one is, and report it."""
        if self._waiting is None:
            return
        done, self._waiting = self._waiting, None
        written = False
        while (result := self._pgconn.get_result()) is not None:
            self._check(result)
            written = written or result.command_tuples == 1
        done(written)

    def close(self) -> None:
        try:
            self.settle()
        finally:
            self._conn.close()

    def _check(self, result: pq.abc.PGresult) -> None:
        if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
            raise psycopg.errors.error_from_result(result, encoding=self._conn.info.encoding)


def _text(value) -> bytes | None:
    """A parameter in PostgreSQL's text format (RECORD_SQL casts each one)."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat().encode()
    return str(value).encode()


def outcome_writer(*, many: bool) -> SyncWriter | OutcomePipe:
    """A pipe when it can help (PostgreSQL, outside a transaction, more than one reply); else a SyncWriter.

    A pipe that cannot open its connection (the server's connection limit, say) is not worth failing the
    batch for: its outcomes are then written and waited for on the worker's own connection.
    """
    if many and connection.vendor == "postgresql" and not connection.in_atomic_block:
        try:
            return OutcomePipe()
        except psycopg.OperationalError as exc:
            logger.warning("Writing outcomes without a pipe: its connection failed (%s)", exc)
    return SyncWriter()
