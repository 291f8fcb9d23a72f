"""PostgreSQL binds parameters on the server and prepares routing's statements (DATABASE_PREPARED_STATEMENTS)."""

import pytest
from django.db import connection

from blockdesk.settings import _database
from tests.inbound import deliver

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/blockdesk"


def test_postgresql_prepares_statements_by_default(monkeypatch):
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    assert _database(POSTGRES_URL)["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_can_be_switched_off_for_a_pooler(monkeypatch):
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "false")
    assert "server_side_binding" not in _database(POSTGRES_URL).get("OPTIONS", {})


def test_sqlite_is_left_as_it_was(monkeypatch):
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "true")
    assert "prepare_threshold" not in _database("sqlite:////tmp/blockdesk-prepared.sqlite3")["OPTIONS"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements; SQLite has none")
@pytest.mark.django_db
def test_routing_statements_are_prepared_after_five_messages(channel):
    for k in range(7):
        deliver(channel, "+6281200000077", f"hello {k}", message_id=f"prepared-{k}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    # A message to the open ticket: the ticket's UPDATE and the message's INSERT are one statement.
    assert any(
        statement.startswith('WITH before (key) AS (UPDATE "tickets_ticket"')
        and 'INSERT INTO "tickets_message"' in statement
        for statement in prepared
    )
    assert any("FOR UPDATE OF c" in statement for statement in prepared)
