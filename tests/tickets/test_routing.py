import pytest
from django.db import IntegrityError, OperationalError

from contacts.blocking import block_contact, release_blocked_tickets, unblock_contact
from contacts.models import Contact, ContactIdentity
from tests import factories
from tests.inbound import deliver
from tickets.models import OPEN_STATUSES, Message, Ticket, TicketStatus
from tickets.queue import resolve_ticket
from tickets.routing import DELETED, InboundMessage, _worth_retrying, route_inbound_batch, route_inbound_message

pytestmark = pytest.mark.django_db


def test_first_message_creates_contact_identity_and_unassigned_ticket(channel):
    routed = deliver(channel, "+628111", "Hi there", name="Budi")

    assert not routed.duplicate
    assert routed.contact.name == "Budi"
    assert ContactIdentity.objects.get(channel=channel, external_id="+628111").contact == routed.contact
    assert routed.ticket.status == TicketStatus.UNASSIGNED
    assert routed.ticket.message_count == 1
    assert routed.ticket.last_message_preview == "Hi there"
    assert list(routed.ticket.messages.values_list("body", flat=True)) == ["Hi there"]


def test_bot_on_opens_ticket_with_bot(channel, bot_on):
    assert deliver(channel, "+628111").ticket.status == TicketStatus.BOT


def test_next_message_joins_open_ticket(channel):
    first = deliver(channel, "+628111", "one")
    second = deliver(channel, "+628111", "two")

    assert second.ticket.pk == first.ticket.pk
    ticket = Ticket.objects.get()
    assert ticket.message_count == 2
    assert ticket.last_message_preview == "two"


def test_same_address_on_another_channel_is_another_contact_and_ticket(channel):
    other = factories.ChannelFactory(name="Telegram")
    assert deliver(channel, "+628111").contact != deliver(other, "+628111").contact
    assert Ticket.objects.count() == 2


def test_message_after_resolve_opens_new_ticket(channel, agent):
    first = deliver(channel, "+628111")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)
    resolve_ticket(actor=agent, ticket=first.ticket)

    second = deliver(channel, "+628111")

    assert second.ticket.pk != first.ticket.pk
    assert second.ticket.status == TicketStatus.UNASSIGNED


def test_repeat_delivery_is_stored_once_and_answers_first_result(channel):
    first = deliver(channel, "+628111", message_id="wamid.1")
    repeat = deliver(channel, "+628111", "changed text", message_id="wamid.1")

    assert repeat.duplicate
    assert (repeat.message.pk, repeat.ticket.pk, repeat.contact.pk) == (
        first.message.pk,
        first.ticket.pk,
        first.contact.pk,
    )
    assert Message.objects.count() == 1
    assert Ticket.objects.get().message_count == 1


def test_same_message_id_on_another_channel_is_a_new_message(channel):
    other = factories.ChannelFactory(name="Telegram")
    deliver(channel, "+628111", message_id="m-1")
    assert not deliver(other, "+628111", message_id="m-1").duplicate
    assert Message.objects.count() == 2


def test_blocked_contact_opens_blocked_ticket_and_messages_gather_in_it(channel, supervisor, blocking_on, bot_on):
    first = deliver(channel, "+628111")
    block_contact(actor=supervisor, contact=first.contact, reason="spam")

    spam = [deliver(channel, "+628111", f"spam {n}") for n in range(3)]

    assert {r.ticket.pk for r in spam} == {spam[0].ticket.pk}
    ticket = Ticket.objects.get(pk=spam[0].ticket.pk)
    assert ticket.status == TicketStatus.BLOCKED
    assert ticket.message_count == 3
    assert not Ticket.objects.filter(status=TicketStatus.BOT).exists()


def test_blocked_contact_gets_one_blocked_ticket_per_channel(channel, supervisor, blocking_on):
    other = factories.ChannelFactory(name="Telegram")
    contact = deliver(channel, "+628111").contact
    ContactIdentity.objects.create(contact=contact, channel=other, external_id="tg-1")
    block_contact(actor=supervisor, contact=contact, reason="spam")

    deliver(channel, "+628111")
    deliver(other, "tg-1")
    deliver(other, "tg-1")

    blocked = Ticket.objects.filter(status=TicketStatus.BLOCKED)
    assert sorted(blocked.values_list("channel__name", flat=True)) == ["Telegram", "WhatsApp"]


def test_released_ticket_keeps_receiving_while_contact_stays_blocked(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    blocked = deliver(channel, "+628111").ticket
    release_blocked_tickets(actor=supervisor, ticket_ids=[blocked.pk])

    later = deliver(channel, "+628111", "are you there?")

    assert later.ticket.pk == blocked.pk
    assert Ticket.objects.get(pk=blocked.pk).status == TicketStatus.UNASSIGNED
    assert Contact.objects.get(pk=contact.pk).is_blocked


def test_open_ticket_kept_when_blocking_without_resolving(channel, supervisor, blocking_on):
    first = deliver(channel, "+628111")
    block_contact(actor=supervisor, contact=first.contact, reason="spam", resolve_open_tickets=False)

    assert deliver(channel, "+628111").ticket.pk == first.ticket.pk
    assert Ticket.objects.get(pk=first.ticket.pk).status == TicketStatus.UNASSIGNED


def test_first_message_stores_the_contacts_profile(channel):
    inbound = InboundMessage(
        message_id="wamid.9", contact_id="+628333", text="Hi", contact_name="Siti", phone="+628333", email="s@x.id"
    )

    contact = route_inbound_message(channel=channel, inbound=inbound).contact

    contact.refresh_from_db()
    assert (contact.name, contact.phone, contact.email, contact.is_blocked) == ("Siti", "+628333", "s@x.id", False)


def test_message_after_unblock_all_joins_the_released_ticket(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    blocked = deliver(channel, "+628111", "spam").ticket
    unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    later = deliver(channel, "+628111", "sorry about that")

    assert later.ticket.pk == blocked.pk
    assert later.ticket.status == TicketStatus.UNASSIGNED
    assert Ticket.objects.filter(contact=contact, status__in=OPEN_STATUSES).count() == 1


def test_repeat_of_a_message_deleted_by_delete_all_is_not_stored_again(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    deliver(channel, "+628111", "buy now", message_id="spam-1")
    unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    repeat = deliver(channel, "+628111", "buy now", message_id="spam-1")

    assert repeat.duplicate
    assert (repeat.message, repeat.ticket, repeat.status) == (None, None, DELETED)
    assert repeat.contact == contact
    assert not Message.objects.filter(external_id="spam-1").exists()
    assert not Ticket.objects.filter(contact=contact).exclude(status=TicketStatus.RESOLVED).exists()


def test_batch_repeat_of_a_deleted_message_is_answered_deleted(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    deliver(channel, "+628111", "buy now", message_id="spam-1")
    unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    results = route_inbound_batch(
        channel=channel,
        inbounds=[
            InboundMessage(message_id="spam-1", contact_id="+628111", text="buy now"),
            InboundMessage(message_id="fresh-1", contact_id="+628111", text="sorry"),
        ],
    )

    assert [(r.status, r.duplicate) for r in results] == [(DELETED, True), (TicketStatus.UNASSIGNED, False)]
    stored = Message.objects.filter(external_id__in=["spam-1", "fresh-1"]).values_list("external_id", flat=True)
    assert list(stored) == ["fresh-1"]


def test_races_and_deadlocks_are_retried_but_an_outage_is_not():
    class DeadlockCause(Exception):
        sqlstate = "40P01"

    deadlock = OperationalError("deadlock detected")
    deadlock.__cause__ = DeadlockCause()

    assert _worth_retrying(IntegrityError("duplicate key value"))
    assert _worth_retrying(deadlock)
    assert not _worth_retrying(OperationalError("connection refused"))
