"""EXPLAIN guard: with a realistic number of rows, every console list reads tickets and messages through an index.

The rows are bulk-inserted by the benchmark's seeder (a tenth of its full
size), then VACUUM ANALYZE gives the planner real statistics, as autovacuum
would. The pages are requested as a supervisor and each SELECT they run on
tickets or messages is EXPLAINed: no "Seq Scan on tickets_ticket" or
"tickets_message" may appear. No enable_seqscan tricks: that would hide it.
"""

import re
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
        found[label] = pages.seq_scans([q["sql"] for q in captured.captured_queries])

    assert found == {label: [] for label in found}


def test_tab_counts_read_each_queue_through_an_index(client):
    """One COUNT per queue, capped, each an index-only scan: never a scan of every ticket (the old GROUP BY)."""
    data = seed.seed(TENTH)
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from tickets.models import Ticket

    User = get_user_model()
    agent = User.objects.get(pk=Ticket.objects.filter(status="assigned").values("assignee")[:1])
    plans = {}
    for board, user in (("supervisor", User.objects.get(pk=data.supervisor_id)), ("agent", agent)):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("tickets:queue_live", args=[board])).status_code == 200
        # The tab counts are one statement of capped sub-counts (the page's own COUNT is the paginator's).
        (counts,) = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT (SELECT COUNT(*)")]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + counts)
            plans[board] = "\n".join(row[0] for row in cursor.fetchall())

    assert pages.seq_scans_in(plans["supervisor"]) == []
    assert plans["supervisor"].count("Index Only Scan") == 5
    assert pages.seq_scans_in(plans["agent"]) == []
    assert plans["agent"].count("Index Only Scan") == 2


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("persona", ["supervisor", "agent"])
def test_message_search_reads_the_full_text_gin_index(client, persona):
    """A rare word is found through message_body_search (the GIN index), for a supervisor and through an agent's
    visibility join alike; a word in a quarter of the messages reads the newest by id and stops (no scan either)."""
    from django.contrib.auth import get_user_model

    from bench.search import RARE_WORD, plant_rare_word

    data = seed.seed(TENTH)
    assert plant_rare_word(every=10_000) == 10
    User = get_user_model()
    user = User.objects.get(pk=data.supervisor_id)
    if persona == "agent":
        user = User.objects.filter(username__startswith="bench-agent-").order_by("pk").first()
    client.force_login(user)

    plans = {}
    for text in (RARE_WORD, "order"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/search/", {"q": text}).status_code == 200
        (ranked,) = [q["sql"] for q in captured.captured_queries if "ts_rank(" in q["sql"]]
        plans[text] = _plan(ranked)

    assert "message_body_search" in plans[RARE_WORD]
    assert pages.seq_scans_in(plans[RARE_WORD]) == []
    assert pages.seq_scans_in(plans["order"]) == []


# The size for the queue filters: 100,000 tickets (fewer messages, which these lists never read).
QUEUES_FULL = replace(FULL, name="queues", contacts=20_000, tickets=100_000, messages=150_000, spammer_messages=5_000)
FILTERED_LISTS = (
    "supervisor Unassigned list",
    "supervisor BOT list (oldest waiting)",
    "supervisor Unassigned, by activity",
    "supervisor Unassigned, channel + waiting > 60 min",
    "supervisor Assigned, by channel",
    "supervisor Assigned, assignee + waiting",
    "SLA view",
)


def test_queue_filters_and_sorts_read_through_indexes_at_100000_tickets(client):
    """Oldest waiting first, by activity, by channel, by assignee, waiting longer than: each list's ticket reads
    use an index (ticket_queue_waiting, ticket_queue_channel_*, ticket_assignee_*), never a scan of every ticket."""
    data = seed.seed(QUEUES_FULL)
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    client.force_login(get_user_model().objects.get(pk=data.supervisor_id))
    plans = {}
    for label, name, suffix in pages.pages(data):
        if label not in FILTERED_LISTS:
            continue
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(name) + suffix)
        assert response.status_code == 200, label
        assert "filter-error" not in response.content.decode(), label
        (rows,) = [
            q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "tickets_ticket"."id"')
        ] or [None]
        found = pages.seq_scans([q["sql"] for q in captured.captured_queries])
        plans[label] = found
        if rows is not None:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + rows)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan and " Sort " not in plan.replace("Incremental Sort", ""), f"{label}:\n{plan}"

    assert set(plans) == set(FILTERED_LISTS)
    assert plans == {label: [] for label in FILTERED_LISTS}


# The 360 view at the bench's number of contacts: the possible duplicates read contacts through their indexes.
CONTACTS_FULL = replace(FULL, name="contacts", contacts=20_000, tickets=20_000, messages=40_000, spammer_messages=2_000)
VIEWS_360 = ("360 view (spammer)", "360 view (customer)")
SCAN_OF_CONTACTS = re.compile(
    r"Seq Scan on (contacts_contact|contacts_contactidentity|tickets_ticket|tickets_message)\b"
)


def test_the_360_view_reads_contacts_and_tickets_through_indexes_in_at_most_11_queries(client):
    """The possible duplicates (same phone, e-mail or name; a channel address) are one BitmapOr of index scans,
    never a scan of every contact; the whole view makes at most 11 queries: the page budget of 10, and for a
    contact who may be blocked the switches, read once a request since no process caches them."""
    data = seed.seed(CONTACTS_FULL)
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    client.force_login(get_user_model().objects.get(pk=data.supervisor_id))
    scans, duplicates_plans = {}, {}
    for label, name, suffix in pages.pages(data):
        if label not in VIEWS_360:
            continue
        url = reverse(name, args=[int(suffix)])
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert len(captured.captured_queries) <= 11, label
        statements = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
        scans[label] = [line for sql in statements for line in SCAN_OF_CONTACTS.findall(_plan(sql))]
        (duplicates,) = [sql for sql in statements if "= ANY(ARRAY(SELECT" in sql]
        duplicates_plans[label] = _plan(duplicates)

    assert scans == {label: [] for label in VIEWS_360}
    for label, plan in duplicates_plans.items():
        assert "BitmapOr" in plan and "contact_name_lower" in plan and "identity_address" in plan, f"{label}:\n{plan}"
