"""Racing deliveries over real HTTP: 1,000 shuffled deliveries of 50 message ids from 8 threads (PostgreSQL)."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from tickets.models import Message, Ticket

from .conftest import API, bearer, message

MESSAGE_IDS = 50
DELIVERIES = 1_000
THREADS = 8


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_deliveries_store_each_message_once_in_one_ticket(live_server, channel_token):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so there is no race to test")
    deliveries = [f"race-{i % MESSAGE_IDS}" for i in range(DELIVERIES)]
    random.Random(4).shuffle(deliveries)
    url = f"{live_server.url}{API}/inbound/messages"
    chunks = [deliveries[i::THREADS] for i in range(THREADS)]

    def deliver_all(message_ids):
        # One session per thread: its own keep-alive connection. The server
        # closes its database connection after each request.
        with requests.Session() as session:
            session.headers.update(bearer(channel_token))
            return [session.post(url, json=message(mid, "+6281234567890"), timeout=60) for mid in message_ids]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        responses = [r for chunk in pool.map(deliver_all, chunks) for r in chunk]

    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == MESSAGE_IDS, {s: statuses.count(s) for s in set(statuses)}
    assert statuses.count(200) == DELIVERIES - MESSAGE_IDS
    assert Message.objects.count() == MESSAGE_IDS
    ticket = Ticket.objects.get()
    assert ticket.message_count == MESSAGE_IDS
    assert {r.json()["ticket"] for r in responses} == {ticket.pk}
    first_answer = {r.json()["message"] for r in responses if r.status_code == 201}
    assert first_answer == set(Message.objects.values_list("id", flat=True))
