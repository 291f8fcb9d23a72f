"""For tests where one database session waits for another's row lock (PostgreSQL): threads, and who is waiting."""

import threading
import time
import traceback

from django.db import connection, connections


def waiting_for_locks() -> int:
    """How many sessions wait for a lock now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT pid) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def in_thread(work, failures: list, done: threading.Event) -> threading.Thread:
    """Run `work` in a thread of its own (and its own connection); a failure is kept for the main thread to
    report, and `done` is set whatever happens, so a test waiting on it never hangs."""

    def run() -> None:
        try:
            work()
        except BaseException:  # noqa: B036 - reported by the main thread
            failures.append(traceback.format_exc())
        finally:
            done.set()
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
