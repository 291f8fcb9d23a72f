"""Inbound messages racing merges, on real PostgreSQL transactions.

Threads deliver messages to the addresses of both contacts of several pairs,
on two channels, while another thread merges each pair (into the lower id
for some pairs, the higher for others; some merged contacts blocked). After
it: no message lost, every message of a pair in the survivor's tickets, no
ticket left to a tombstone, one open ticket per survivor and channel, and
each ticket's counter equal to its messages.
"""

import random
import threading
import traceback

import pytest
from django.db import connection
from django.db.models import Count, F

from contacts.blocking import block_contact
from contacts.merging import merge_contacts
from contacts.models import BlockReason, Contact, ContactIdentity
from tests import factories
from tests.inbound import deliver
from tickets.models import OPEN_STATUSES, Message, Ticket

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent row-locking writers"),
    pytest.mark.django_db(transaction=True),
]

PAIRS = 6
DELIVERERS = 4
MESSAGES_PER_DELIVERER = 300


def _address(pair: int, side: int) -> str:
    return f"+62877{pair:03d}{side}0000"


def test_messages_racing_merges_all_end_in_the_survivors_tickets(supervisor, blocking_on):
    channels = [factories.ChannelFactory(name="WhatsApp A"), factories.ChannelFactory(name="WhatsApp B")]
    pairs = []
    for pair in range(PAIRS):
        first, second = (deliver(channels[0], _address(pair, side), "hello").contact for side in (0, 1))
        for side, contact in enumerate((first, second)):  # both channels know both addresses
            ContactIdentity.objects.create(contact=contact, channel=channels[1], external_id=_address(pair, side))
        if pair % 3 == 2:
            block_contact(actor=supervisor, contact=second, reason=BlockReason.SPAM, resolve_open_tickets=False)
        pairs.append((first.pk, second.pk))
    assert supervisor.has_perm("contacts.merge_contact")  # warm the permission cache the merger shares
    accepted: list[int] = []
    failures: list[str] = []
    merged_so_far = threading.Event()
    stop = threading.Event()

    def deliverer(n: int) -> None:
        rng = random.Random(n)
        try:
            for i in range(MESSAGES_PER_DELIVERER):
                if stop.is_set():
                    break
                pair, side = rng.randrange(PAIRS), rng.randrange(2)
                routed = deliver(rng.choice(channels), _address(pair, side), f"{n}-{i}", message_id=f"m-{n}-{i}")
                assert not routed.duplicate
                accepted.append(routed.message.pk)
        except BaseException:  # noqa: B036 - reported by the main thread
            failures.append(traceback.format_exc())
        finally:
            connection.close()

    def merger() -> None:
        try:
            for pair, (low, high) in enumerate(pairs):
                stop.wait(0.05)
                survivor, merged = (low, high) if pair % 2 == 0 else (high, low)
                merge_contacts(
                    actor=supervisor,
                    survivor=Contact.objects.get(pk=survivor),
                    merged=Contact.objects.get(pk=merged),
                )
            merged_so_far.set()
            stop.wait(0.1)  # deliveries after the last merge, to the merged-away addresses too
        except BaseException:  # noqa: B036 - reported by the main thread
            failures.append(traceback.format_exc())
        finally:
            stop.set()
            connection.close()

    threads = [threading.Thread(target=deliverer, args=(n,)) for n in range(DELIVERERS)]
    threads.append(threading.Thread(target=merger))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert merged_so_far.is_set()

    # No message lost, none stored twice.
    inbound = Message.objects.filter(direction=Message.Direction.IN).exclude(body="hello")
    assert sorted(inbound.values_list("pk", flat=True)) == sorted(accepted)
    # Nothing belongs to a tombstone; each pair's messages sit in its survivor's tickets.
    tombstones = Contact.objects.filter(merged_into__isnull=False)
    assert tombstones.count() == PAIRS
    assert not Ticket.objects.filter(contact__in=tombstones).exists()
    for pair, (low, high) in enumerate(pairs):
        survivor = low if pair % 2 == 0 else high
        addresses = [_address(pair, 0), _address(pair, 1)]
        owners = set(
            Message.objects.filter(ticket__contact__identities__external_id__in=addresses).values_list(
                "ticket__contact_id", flat=True
            )
        )
        assert owners == {survivor}
        assert Contact.objects.get(pk=survivor).is_blocked == (pair % 3 == 2)
    # One open ticket per contact and channel, and every counter right.
    open_per_channel = (
        Ticket.objects.filter(status__in=OPEN_STATUSES).values("contact", "channel").annotate(n=Count("id"))
    )
    assert [row for row in open_per_channel if row["n"] > 1] == []
    assert not Ticket.objects.annotate(n=Count("messages")).exclude(message_count=F("n")).exists()
