"""EXPLAIN guard: with a realistic number of rows, every console list reads tickets and messages through an index.

The rows are bulk-inserted by the benchmark's seeder (a tenth of its full
size), then VACUUM ANALYZE gives the planner real statistics, as autovacuum
would. The pages are requested as a supervisor and each SELECT they run on
tickets or messages is EXPLAINed: no "Seq Scan on tickets_ticket" or
"tickets_message" may appear. No enable_seqscan tricks: that would hide it.
"""

from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import pages, seed
from bench.scales import FULL

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

TENTH = replace(FULL, name="tenth", contacts=2_000, tickets=10_000, messages=100_000, spammer_messages=5_000)


def test_console_lists_use_indexes_not_sequential_scans(client):
    data = seed.seed(TENTH)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(pk=data.supervisor_id))
    from django.urls import reverse

    found = {}
    for label, name, suffix in pages.pages(data):
        url = reverse(name, args=[int(suffix)]) if name == "contacts:detail" else reverse(name) + suffix
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        statements = [q["sql"] for q in captured.captured_queries]
        # The queue tab counts (one GROUP BY over every ticket) read the whole table by nature; not a list query.
        lists = [s for s in statements if "GROUP BY" not in s]
        found[label] = pages.seq_scans(lists)

    assert found == {label: [] for label in found}
