"""psycopg keeps the conversion of a new customer's one statement (blockdesk.statement_cache)."""

import psycopg._queries
import pytest
from django.db import connection

from tests.inbound import deliver

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg converts PostgreSQL's statements")


@pytest.mark.django_db
def test_a_new_customers_statements_are_converted_once(channel, monkeypatch):
    deliver(channel, "first-customer", message_id="statement-cache-1")
    parsed_again = []
    convert = psycopg._queries._query2pg_nocache

    def recording(query, encoding):
        parsed_again.append(query)
        return convert(query, encoding)

    # psycopg calls this name only for a statement it does not cache; its cache calls the function it wraps.
    monkeypatch.setattr(psycopg._queries, "_query2pg_nocache", recording)
    routed = deliver(channel, "second-customer", message_id="statement-cache-2")
    assert routed.opened
    assert parsed_again == []
