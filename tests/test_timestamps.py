"""PostgreSQL timestamps are read with fromisoformat (blockdesk.timestamps), to the values Django's own loader gives.
PostgreSQL only: SQLite's times are Django's converters, untouched."""

from datetime import datetime, timedelta

import psycopg
import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from tests import factories
from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's times are Django's converters"),
]

VALUES = [
    "2026-12-07 19:45:26.123456+00",
    "2026-12-07 19:45:26+00",
    "2026-12-07 23:59:59.5+07",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    None,
]
SELECT = "SELECT " + ", ".join(f"CAST(%s AS timestamptz) AS v{k}" for k in range(len(VALUES)))
TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid


def _djangos(sql: str, params) -> tuple:
    """The row as Django's own loader reads it (registered on a cursor of the same connection)."""
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_times_are_read_as_djangos_loader_reads_them():
    with connection.cursor() as cursor:
        cursor.execute(SELECT, VALUES)
        ours = cursor.fetchone()
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT).__name__ == "IsoTzLoader"

    assert ours == _djangos(SELECT, VALUES)
    assert all(value.tzinfo is connection.timezone for value in ours if value is not None)
    assert ours[0] == datetime(2026, 12, 7, 19, 45, 26, 123456, tzinfo=connection.timezone)
    assert ours[2] == datetime(2026, 12, 7, 16, 59, 59, 500000, tzinfo=connection.timezone)


@pytest.mark.parametrize("value", ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC"])
def test_what_fromisoformat_refuses_goes_to_djangos_loader(value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(%s AS timestamptz)", [value])
        with pytest.raises(DataError) as ours:
            cursor.fetchone()
    with pytest.raises(DataError) as djangos:
        _djangos("SELECT CAST(%s AS timestamptz)", [value])
    assert str(ours.value) == str(djangos.value)


def test_the_orm_reads_a_saved_time_back_unchanged(channel):
    at = datetime(2026, 12, 7, 8, 0, 0, 654321, tzinfo=connection.timezone) - timedelta(days=400)
    ticket = factories.TicketFactory(channel=channel, last_message_at=at)

    assert Ticket.objects.values_list("last_message_at", flat=True).get(pk=ticket.pk) == at
