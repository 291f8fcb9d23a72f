"""Query-count guards for the hot paths: inbound routing and the bulk unblock (issue 5).

Counts include the transaction statements: inside a test the routing
transaction is a SAVEPOINT/RELEASE pair where production has BEGIN/COMMIT,
so the numbers are the same as the benchmark's.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.blocking import block_contact, unblock_contact
from contacts.models import Channel, ContactIdentity, UnblockChoice
from tests import factories
from tests.inbound import deliver
from tickets.models import Notice, Ticket, TicketStatus
from tickets.queue import take_ticket

pytestmark = pytest.mark.django_db

# Between BEGIN and COMMIT: one statement looks up an earlier delivery (stored or deleted) of the id and locks
# the contact, bringing the open ticket (two statements until issue 11); the ticket update, the message insert
# (on PostgreSQL one statement: the insert reads the key of the ticket the update answers).
HOT_PATH = 4 if connection.vendor == "postgresql" else 5
# The same, with contact and identity inserts and a ticket insert instead of the update; on PostgreSQL a new
# customer's contact, identity, ticket and first message go in one statement (insert_rows).
NEW_CONTACT = 4 if connection.vendor == "postgresql" else 7
# The look-up (and lock), then the stored message with its ticket and contact for the answer: no writes.
DUPLICATE = 4
# Unblock All / Delete All whatever the number of tickets; Delete All's cascade reaches the replies'
# delivery attempts (Django selects the messages' ids, then deletes their attempts: two statements).
MAX_BULK = 14


def _statements(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def _as_the_api_reads(channel) -> Channel:
    """The channel as the inbound API's token look-up gives routing: with the switches read in the same statement."""
    return Channel.objects.with_switches().get(pk=channel.pk)


@pytest.fixture
def channel(db):
    return _as_the_api_reads(factories.ChannelFactory(name="WhatsApp"))


def test_message_to_an_open_ticket(channel):
    deliver(channel, "+628111")
    assert _statements(lambda: deliver(channel, "+628111")) <= HOT_PATH


def test_message_to_an_assigned_ticket_writes_its_notice_without_a_statement_of_its_own(channel, agent):
    """On PostgreSQL the assignee's "customer wrote" notice goes in the statement of the message; on SQLite it is
    one INSERT more."""
    take_ticket(actor=agent, ticket=deliver(channel, "+628111").ticket)
    extra = 0 if connection.vendor == "postgresql" else 1
    assert _statements(lambda: deliver(channel, "+628111")) == HOT_PATH + extra
    assert Notice.objects.filter(recipient=agent, kind=Notice.Kind.CUSTOMER_WROTE).count() == 1


def test_a_door_that_read_no_switches_reads_them_in_the_contact_lock(channel):
    """Native webhooks and the mail poller load their channel without the switches: on PostgreSQL the contact lock
    reads them (no statement of their own); on SQLite, with no round trip to save, they are one statement more."""
    plain = Channel.objects.get(pk=channel.pk)
    deliver(plain, "+628111")
    extra = 0 if connection.vendor == "postgresql" else 1
    assert _statements(lambda: deliver(plain, "+628111")) == _statements(lambda: deliver(channel, "+628111")) + extra


def test_message_from_a_new_contact(channel):
    assert _statements(lambda: deliver(channel, "+628111")) <= NEW_CONTACT


def test_message_from_a_known_contact_without_open_ticket(channel, agent):
    first = deliver(channel, "+628111")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.RESOLVED)
    assert _statements(lambda: deliver(channel, "+628111")) <= HOT_PATH


def test_block_check_costs_no_extra_query(channel, supervisor, blocking_on):
    deliver(channel, "+628111")
    open_ticket = _statements(lambda: deliver(channel, "+628111"))
    blocked = deliver(channel, "+628222").contact
    block_contact(actor=supervisor, contact=blocked, reason="spam")
    deliver(channel, "+628222")  # opens the blocked ticket
    assert _statements(lambda: deliver(channel, "+628222")) == open_ticket


# A new address that can belong to a known person (a valid phone number on a phone-like channel, an e-mail
# address on an e-mail channel) adds the person look-up, and on PostgreSQL the address lock before it.
PERSON_LOOKUP = 2 if connection.vendor == "postgresql" else 1
VALID_PHONE = "+6281234567890"


def test_message_from_a_new_phone_number_adds_only_the_person_lookup(channel):
    assert _statements(lambda: deliver(channel, VALID_PHONE)) == NEW_CONTACT + PERSON_LOOKUP


def test_message_from_a_known_persons_new_channel_inserts_no_contact(channel):
    known = deliver(channel, VALID_PHONE).contact
    other = _as_the_api_reads(factories.ChannelFactory())
    # The person look-up replaces the contact insert: a statement fewer on SQLite. On PostgreSQL a new contact goes
    # in the one statement of its ticket and message; the known person's new identity goes in one of its own.
    change = 1 if connection.vendor == "postgresql" else -1
    assert _statements(lambda: deliver(other, "081234567890")) == NEW_CONTACT + PERSON_LOOKUP + change
    assert ContactIdentity.objects.get(channel=other).contact == known


def test_valid_phone_numbers_keep_the_hot_path(channel, supervisor, blocking_on):
    deliver(channel, VALID_PHONE)
    assert _statements(lambda: deliver(channel, " 0812-3456-7890")) == HOT_PATH
    block_contact(actor=supervisor, contact=ContactIdentity.objects.get().contact, reason="spam")
    deliver(channel, VALID_PHONE)  # opens the blocked ticket
    assert _statements(lambda: deliver(channel, VALID_PHONE)) == HOT_PATH


def test_duplicate_delivery(channel):
    deliver(channel, "+628111", message_id="wamid.1")
    assert _statements(lambda: deliver(channel, "+628111", message_id="wamid.1")) <= DUPLICATE


def _blocked_contact_with(channel, supervisor, *, channels: int, messages_each: int, address: str):
    """A blocked contact with one blocked ticket on each of `channels` channels holding `messages_each` messages."""
    contact = deliver(channel, address).contact
    others = [factories.ChannelFactory() for _ in range(channels - 1)]
    for n, other in enumerate(others):
        ContactIdentity.objects.create(contact=contact, channel=other, external_id=f"{address}-{n}")
    block_contact(actor=supervisor, contact=contact, reason="spam")
    for _ in range(messages_each):
        deliver(channel, address)
        for n, other in enumerate(others):
            deliver(other, f"{address}-{n}")
    return contact


@pytest.mark.parametrize("choice", [UnblockChoice.UNBLOCK_ALL, UnblockChoice.DELETE_ALL])
def test_unblock_costs_the_same_for_one_ticket_or_many(channel, supervisor, blocking_on, choice):
    small = _blocked_contact_with(channel, supervisor, channels=1, messages_each=1, address="+628111")
    large = _blocked_contact_with(channel, supervisor, channels=3, messages_each=20, address="+628222")
    assert Ticket.objects.filter(contact=large, status=TicketStatus.BLOCKED).count() == 3

    one = _statements(lambda: unblock_contact(actor=supervisor, contact=small, choice=choice))
    many = _statements(lambda: unblock_contact(actor=supervisor, contact=large, choice=choice))

    assert one == many
    assert many <= MAX_BULK


MAX_BATCH = 10


def _inbounds(n: int, *, addresses: int, prefix: str):
    from tickets.routing import InboundMessage

    return [
        InboundMessage(message_id=f"{prefix}-{k}", contact_id=f"+62{k % addresses}", text=f"m {k}") for k in range(n)
    ]


@pytest.mark.parametrize("size", [2, 100])
def test_batch_costs_the_same_for_2_or_100_messages(channel, size):
    from tickets.routing import route_inbound_batch

    route_inbound_batch(channel=channel, inbounds=_inbounds(10, addresses=10, prefix="warm"))  # contacts exist
    new_and_known = _inbounds(size, addresses=20, prefix="b")
    assert _statements(lambda: route_inbound_batch(channel=channel, inbounds=new_and_known)) <= MAX_BATCH


def test_batch_answers_as_routing_one_by_one(channel):
    from tickets.routing import route_inbound_batch

    deliver(channel, "+620", message_id="old")
    inbounds = _inbounds(6, addresses=3, prefix="x")
    inbounds.insert(2, inbounds[0])  # repeated inside the batch
    inbounds.append(_inbounds(1, addresses=1, prefix="x")[0])  # a repeat of x-0 again
    routed = route_inbound_batch(channel=channel, inbounds=inbounds)

    assert [r.duplicate for r in routed] == [False, False, True, False, False, False, False, True]
    assert routed[2].message.pk == routed[0].message.pk
    assert len({r.ticket.pk for r in routed}) == 3
    assert Ticket.objects.get(pk=routed[0].ticket.pk).message_count == 3  # "old", x-0 and x-3
    assert Ticket.objects.filter(contact__identities__external_id="+621").get().message_count == 2


def test_batch_over_http_adds_four_statements_to_routing(client, channel):
    """The endpoint adds its transaction's SAVEPOINT and RELEASE, the token look-up (which also counts the request
    and reads the switches) and the count of the batch's messages (contacts.inbound_limits): 0.04 a message."""
    import json

    from tests.api.conftest import API, bearer, message
    from tests.api.conftest import _token_for as token_for
    from tickets.routing import route_inbound_batch

    token = token_for(channel)
    # 20 contacts, 16 messages each by the end: under the flood guard's 30, which would add its flag's statements.
    route_inbound_batch(channel=channel, inbounds=_inbounds(20, addresses=20, prefix="warm"))
    body = {"messages": [message(message_id=f"h-{k}", contact_id=f"+62{k % 20}") for k in range(100)]}

    def post():
        response = client.post(
            f"{API}/inbound/messages/batch", json.dumps(body), content_type="application/json", headers=bearer(token)
        )
        assert response.status_code == 201

    post_statements = _statements(post)
    body["messages"] = [message(message_id=f"i-{k}", contact_id=f"+62{k % 20}") for k in range(100)]
    direct = _statements(
        lambda: route_inbound_batch(channel=channel, inbounds=_inbounds(100, addresses=20, prefix="j"))
    )
    assert _statements(post) == direct + 4
    assert post_statements == direct + 4  # no process keeps anything: the first request costs the same
