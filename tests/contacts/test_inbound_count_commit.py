"""A channel's count commits without waiting for the disk only when it is a transaction of its own (PostgreSQL).

Inside a transaction the setting would hold for everything that transaction
commits, messages included; there the count must leave it alone.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from contacts import inbound_limits
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no asynchronous commit"),
]

UNFLUSHED = "set_config('synchronous_commit', 'off', true)"


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.fixture
def token():
    channel = factories.ChannelFactory(name="Web", kind="webchat")
    raw = channel.set_new_token()
    channel.save()
    return raw


def test_a_count_of_its_own_commits_unflushed_and_leaves_the_session_as_it_was(token):
    with CaptureQueriesContext(connection) as queries:
        channel, over = inbound_limits.inbound_channel(token, messages=1)

    assert channel is not None and over is None
    assert channel.minute_requests == 1
    assert UNFLUSHED in queries[0]["sql"]
    assert _synchronous_commit() == "on"  # local to the count's own transaction


def test_a_count_inside_a_transaction_leaves_its_commit_synchronous(token):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        channel, _ = inbound_limits.inbound_channel(token, messages=1)
        inbound_limits.check_inbound_limit(channel, 5, requests=0)
        assert _synchronous_commit() == "on"

    assert all(UNFLUSHED not in query["sql"] for query in queries)
    channel.refresh_from_db()
    assert (channel.minute_requests, channel.minute_messages) == (1, 6)
