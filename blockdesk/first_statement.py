"""A request's first statement on a kept connection, checked by its own answer instead of a `SELECT 1` before it.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` ahead of the first statement
of every request that reuses a connection: one round trip, every time, to
catch a connection the database dropped since the last request (a restart, a
failover, an idle timeout). A door that takes every channel delivery cannot
spare it (docs/benchmarks.md, issue 11), so it sends its first statement
straight away and checks the connection only when that statement fails: a
dropped connection is replaced and the statement runs once more, as the check
would have had it. Anything else that fails is raised as it is.
"""

from collections.abc import Callable
from typing import TypeVar

from django.db import Error, connection

T = TypeVar("T")


def run_first_statement(run: Callable[[], T]) -> T:
    """`run()`, the request's first statement in autocommit, once more on a new connection if the kept one was dead.

    Only for a statement that may run twice: the dead connection's server
    may have run it before the answer was lost.
    """
    if (
        connection.connection is None
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
    ):
        return run()
    connection.health_check_done = True
    try:
        return run()
    except Error:
        if connection.is_usable():
            raise
    connection.close()
    return run()
