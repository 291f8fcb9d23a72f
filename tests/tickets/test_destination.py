"""Where a contact's next message goes: the answer pages show, checked against what routing then does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.blocking import block_contact
from tests import factories
from tests.inbound import deliver
from tickets.destination import (
    ALL_TO_BLOCKED_LIST,
    OTHERS_TO_BLOCKED_LIST,
    ContactChannels,
    blocked_contact_summary,
    next_message_destination,
    next_message_destinations,
    whose,
)
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db

ADDRESS = "+628111"


@pytest.fixture
def telegram(db):
    return factories.ChannelFactory(name="Telegram")


def _contact_with_identity(channel):
    contact = factories.ContactFactory(name="Budi", phone=ADDRESS)
    factories.ContactIdentityFactory(contact=contact, channel=channel, external_id=ADDRESS)
    return contact


def test_a_new_contact_with_the_bot_off_opens_an_unassigned_ticket(channel):
    contact = _contact_with_identity(channel)

    destination = next_message_destination(contact, channel)

    assert (destination.status, destination.ticket, destination.joins_open_ticket) == ("unassigned", None, False)
    assert destination.sentence == "The next message on WhatsApp opens a new ticket in the Unassigned queue."


def test_with_the_bot_on_a_new_ticket_goes_to_the_bot(channel, bot_on):
    contact = _contact_with_identity(channel)

    assert next_message_destination(contact, channel).sentence == (
        "The next message on WhatsApp opens a new ticket with the BOT."
    )


def test_an_open_unassigned_ticket_takes_the_next_message_even_with_the_bot_on(channel, set_switches):
    ticket = deliver(channel, ADDRESS).ticket
    set_switches(bot_enabled=True)

    destination = next_message_destination(ticket.contact, channel)

    assert (destination.status, destination.ticket) == (TicketStatus.UNASSIGNED, ticket)
    assert (
        destination.sentence == f"The next message on WhatsApp joins open ticket #{ticket.pk} in the Unassigned queue."
    )


def test_an_assigned_ticket_names_its_assignee(channel, agent):
    ticket = deliver(channel, ADDRESS).ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)

    assert next_message_destination(ticket.contact, channel).sentence == (
        f"The next message on WhatsApp joins open ticket #{ticket.pk}, assigned to Ana."
    )


def test_a_blocked_contact_without_an_open_ticket_goes_to_the_blocked_list(channel, supervisor, blocking_on):
    contact = deliver(channel, ADDRESS).contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    contact.refresh_from_db()

    destination = next_message_destination(contact, channel)

    assert destination.status == TicketStatus.BLOCKED
    assert destination.sentence == (
        "The next message on WhatsApp goes to a new blocked ticket in the supervisors' Blocked list."
    )


def test_a_blocked_contact_with_a_ticket_left_open_joins_it(channel, supervisor, blocking_on):
    ticket = deliver(channel, ADDRESS).ticket
    block_contact(actor=supervisor, contact=ticket.contact, reason="spam", resolve_open_tickets=False)
    ticket.contact.refresh_from_db()

    destination = next_message_destination(ticket.contact, channel)

    assert (destination.status, destination.ticket) == (TicketStatus.UNASSIGNED, ticket)


@pytest.mark.parametrize(
    ("blocked", "resolve", "bot", "assigned"),
    [
        (False, False, False, False),
        (False, False, True, False),
        (False, False, True, True),
        (True, True, False, False),
        (True, False, True, False),
        (True, False, False, True),
    ],
)
def test_routing_does_what_the_destination_said(channel, supervisor, set_switches, blocked, resolve, bot, assigned):
    """Whatever the state, the next delivered message lands where next_message_destination said."""
    first = deliver(channel, ADDRESS)
    if assigned:
        Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=supervisor)
    if blocked:
        set_switches(block_contacts_enabled=True)
        block_contact(actor=supervisor, contact=first.contact, reason="spam", resolve_open_tickets=resolve)
    set_switches(bot_enabled=bot)
    first.contact.refresh_from_db()

    said = next_message_destination(first.contact, channel)
    routed = deliver(channel, ADDRESS)

    assert routed.ticket.status == said.status
    assert (routed.ticket.pk == first.ticket.pk) is said.joins_open_ticket
    if said.joins_open_ticket:
        assert said.ticket.pk == routed.ticket.pk


def test_each_channel_of_the_contact_answers_for_itself(channel, telegram, agent, bot_on):
    contact = _contact_with_identity(telegram)
    whatsapp_ticket = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.UNASSIGNED)

    destinations = next_message_destinations(contact)

    # Telegram from its identity; WhatsApp from the open ticket alone (no identity there).
    assert [d.sentence for d in destinations] == [
        "The next message on Telegram opens a new ticket with the BOT.",
        f"The next message on WhatsApp joins open ticket #{whatsapp_ticket.pk} in the Unassigned queue.",
    ]


def test_a_contact_no_channel_knows_has_no_destinations():
    assert next_message_destinations(factories.ContactFactory()) == []


@pytest.mark.parametrize("channels", [1, 12])
def test_the_per_channel_answer_costs_two_queries(channels, agent):
    contact = factories.ContactFactory()
    for n in range(channels):
        channel = factories.ChannelFactory()
        factories.ContactIdentityFactory(contact=contact, channel=channel, external_id=f"id-{n}")
        factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    next_message_destinations(contact)  # the switches, cached from here on

    with CaptureQueriesContext(connection) as queries:
        destinations = next_message_destinations(contact)
        sentences = [d.sentence for d in destinations]

    assert len(queries) == 2
    assert len(sentences) == channels and all(", assigned to Ana." in s for s in sentences)


def test_after_a_block_resolving_sends_every_channel_to_the_blocked_list(channel, telegram, agent):
    contact = _contact_with_identity(telegram)
    ticket = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    channels = ContactChannels.load(contact)

    resolved = channels.destinations_after_block(resolve_open_tickets=True)
    left_open = channels.destinations_after_block(resolve_open_tickets=False)

    assert [(d.channel.name, d.status, d.ticket) for d in resolved] == [
        ("Telegram", TicketStatus.BLOCKED, None),
        ("WhatsApp", TicketStatus.BLOCKED, None),
    ]
    assert [(d.channel.name, d.status, d.ticket) for d in left_open] == [
        ("Telegram", TicketStatus.BLOCKED, None),
        ("WhatsApp", TicketStatus.ASSIGNED, ticket),
    ]
    assert not contact.is_blocked  # asking changes nothing
    assert blocked_contact_summary(resolved) == ALL_TO_BLOCKED_LIST
    assert blocked_contact_summary(left_open) == (
        f"The next message on WhatsApp joins open ticket #{ticket.pk}, assigned to Ana. {OTHERS_TO_BLOCKED_LIST}"
    )


def test_the_summary_leaves_out_other_channels_when_every_channel_has_an_open_ticket(channel):
    contact = factories.ContactFactory()
    ticket = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.UNASSIGNED)

    left_open = ContactChannels.load(contact).destinations_after_block(resolve_open_tickets=False)

    assert blocked_contact_summary(left_open) == (
        f"The next message on WhatsApp joins open ticket #{ticket.pk} in the Unassigned queue."
    )


def test_whose_names_the_assignee_or_the_queue(agent):
    assert whose(factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)) == "Ana"
    assert whose(factories.TicketFactory(status=TicketStatus.BOT)) == "BOT"
    assert whose(factories.TicketFactory(status=TicketStatus.UNASSIGNED)) == "Unassigned"
