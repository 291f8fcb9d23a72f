"""A channel delivery's first statement is not preceded by Django's `SELECT 1` health check, and a connection the
database dropped between requests is still replaced (blockdesk.first_statement). PostgreSQL: SQLite keeps no
connection to check."""

import time

import psycopg
import pytest
from django.db import ProgrammingError, close_old_connections, connection
from django.test import Client

from blockdesk.first_statement import run_first_statement
from tickets.models import Message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite connections are not health-checked"),
]


@pytest.fixture
def checks(monkeypatch):
    """Every health check made on the connection from now on."""
    made = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: made.append(1) or is_usable())
    return made


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _next_request() -> int:
    """What Django does as a request starts (the kept connection is due its check); the connection's backend pid."""
    pid = _backend_pid()
    close_old_connections()
    assert connection.connection is not None and not connection.health_check_done
    return pid


def _drop(pid: int) -> None:
    """End the backend from outside, as a database restart or an idle timeout would."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)


def test_django_checks_a_kept_connection_before_a_requests_first_statement(checks):
    pid = _next_request()
    assert _backend_pid() == pid
    assert checks == [1]


def test_the_first_statement_goes_without_the_check(checks):
    pid = _next_request()
    assert run_first_statement(_backend_pid) == pid
    assert _backend_pid() == pid  # and none before the request's later statements either
    assert checks == []


def test_a_connection_the_database_dropped_is_replaced_and_the_statement_runs_again(checks):
    pid = _next_request()
    _drop(pid)
    runs = []

    def run():
        runs.append(1)
        return _backend_pid()

    assert run_first_statement(run) != pid
    assert (len(runs), checks) == (2, [1])


def test_a_statement_that_fails_on_a_live_connection_is_raised_and_not_run_again(checks):
    _next_request()
    runs = []

    def run():
        runs.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM tickets_message")

    with pytest.raises(ProgrammingError):
        run_first_statement(run)
    assert (len(runs), checks) == (1, [1])


def test_a_delivery_after_the_database_dropped_the_connection_is_stored(channel, checks):
    raw = channel.set_new_token()
    channel.save()
    _drop(_next_request())
    response = Client().post(
        "/api/v1/inbound/messages",
        {"message_id": "after-restart", "contact": {"id": "+6281200000091"}, "text": "Still there?"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201, response.content
    assert Message.objects.filter(external_id="after-restart").exists()
    assert checks == [1]
