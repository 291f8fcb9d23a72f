"""First messages for one phone number racing in from two channels end in one contact (PostgreSQL, real threads).

Neither contact nor identity exists when both deliveries start, so no row
lock can order them; routing's address lock (tickets.routing_sql.lock_addresses)
must. Each round a new number writes at once through two WhatsApp channels
and an SMS channel, in national and international form; every round must
leave one contact holding all three identities.
"""

import threading
import traceback

import pytest
from django.db import connection, connections

from contacts.models import Channel, Contact, ContactIdentity
from tests import factories
from tests.inbound import deliver
from tickets.models import Ticket

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 40


def test_racing_first_messages_for_one_phone_make_one_contact():
    channels = [
        factories.ChannelFactory(name="WhatsApp A"),
        factories.ChannelFactory(name="WhatsApp B"),
        factories.ChannelFactory(name="SMS", kind=Channel.Kind.SMS),
    ]
    spellings = ["+62812555{:05d}", "0812555{:05d}", " 0812-555-{:05d}\u200b"]
    start = threading.Barrier(len(channels))
    failures: list[str] = []

    def writer(n: int) -> None:
        try:
            for round_ in range(ROUNDS):
                start.wait(timeout=30)
                deliver(channels[n], spellings[n].format(round_), f"round {round_}", message_id=f"r{round_}-{n}")
        except BaseException:  # noqa: B036 - reported by the main thread
            failures.append(traceback.format_exc())
            start.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(len(channels))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not failures, failures[0]
    assert Contact.objects.count() == ROUNDS
    for contact in Contact.objects.all():
        identities = ContactIdentity.objects.filter(contact=contact)
        assert sorted(identities.values_list("channel__name", flat=True)) == ["SMS", "WhatsApp A", "WhatsApp B"]
        assert len(set(identities.values_list("external_id", flat=True))) == 1
    assert Ticket.objects.count() == ROUNDS * len(channels)
