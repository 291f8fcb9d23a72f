"""Waiting time and who spoke last, kept on the ticket by the statements that store messages (issue 16 point 1)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.inbound import deliver
from tickets.models import Speaker, Ticket, TicketStatus
from tickets.outbox import send_reply
from tickets.queue import add_note, resolve_ticket, take_ticket

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0)


def _at(minutes: int):
    return mock.patch("django.utils.timezone.now", return_value=START + timedelta(minutes=minutes))


def _row(ticket) -> tuple:
    t = Ticket.objects.get(pk=ticket.pk)
    return t.waiting_since, t.last_speaker, t.first_reply_at


def test_the_customer_waits_from_their_first_unanswered_message_until_we_reply(channel, agent):
    with _at(0):
        ticket = deliver(channel, "+628111", "Hello?").ticket
    assert _row(ticket) == (START, Speaker.CUSTOMER, None)

    with _at(5):
        deliver(channel, "+628111", "Anyone there?")
    assert _row(ticket) == (START, Speaker.CUSTOMER, None)  # still waiting since the first message

    take_ticket(actor=agent, ticket=ticket)
    with _at(9):
        send_reply(actor=agent, ticket=ticket, text="Hi, looking now")
    assert _row(ticket) == (None, Speaker.US, START + timedelta(minutes=9))

    with _at(20):
        deliver(channel, "+628111", "Thanks, and one more thing")
    assert _row(ticket) == (START + timedelta(minutes=20), Speaker.CUSTOMER, START + timedelta(minutes=9))

    with _at(30):
        send_reply(actor=agent, ticket=ticket, text="Sure")
    # The first reply stays the first.
    assert _row(ticket) == (None, Speaker.US, START + timedelta(minutes=9))


def test_a_note_is_no_answer(channel, agent):
    with _at(0):
        ticket = take_ticket(actor=agent, ticket=deliver(channel, "+628111", "Hello?").ticket)
    with _at(3):
        add_note(actor=agent, ticket=ticket, text="Checking the order system")
    assert _row(ticket) == (START, Speaker.CUSTOMER, None)


def test_a_resolved_ticket_waits_for_nobody(channel, agent):
    ticket = take_ticket(actor=agent, ticket=deliver(channel, "+628111", "Hello?").ticket)
    resolve_ticket(actor=agent, ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).waiting_since is None


def test_a_batch_into_an_open_ticket_keeps_the_first_wait(channel):
    from tickets.routing import InboundMessage, route_inbound_batch

    with _at(0):
        ticket = deliver(channel, "+628111", "one").ticket
    with _at(4):
        route_inbound_batch(
            channel=channel,
            inbounds=[InboundMessage(message_id=f"b{n}", contact_id="+628111", text=f"m{n}") for n in range(3)],
        )
    assert _row(ticket) == (START, Speaker.CUSTOMER, None)


def test_a_reply_keeps_the_waiting_time_in_the_same_update(channel, agent):
    """No extra round trip: the reply costs what it cost before (lock, insert, one ticket UPDATE, savepoints)."""
    ticket = take_ticket(actor=agent, ticket=deliver(channel, "+628111", "Hello?").ticket)
    with CaptureQueriesContext(connection) as captured:
        send_reply(actor=agent, ticket=ticket, text="Hi")
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert '"waiting_since" = NULL' in updates[0] and '"first_reply_at" = COALESCE' in updates[0]


def test_new_tickets_open_waiting_in_every_queue(channel, bot_on):
    ticket = deliver(channel, "+628999", "hi bot").ticket
    t = Ticket.objects.get(pk=ticket.pk)
    assert t.status == TicketStatus.BOT and t.waiting_since is not None and t.last_speaker == Speaker.CUSTOMER


def test_a_customer_the_bot_hands_over_waits_for_a_person_from_the_hand_over(channel, bot_on):
    """The BOT spoke last, but a person has not: the Unassigned queue counts the wait from the hand-over."""
    from tickets.outbox import send_bot_reply
    from tickets.queue import hand_over_from_bot

    with _at(0):
        ticket = deliver(channel, "+628111", "agent please").ticket
    with _at(1):
        send_bot_reply(ticket=ticket, text="Connecting you to a person.")
    assert _row(ticket)[0] is None
    with _at(2):
        hand_over_from_bot(actor=None, ticket=ticket)

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNASSIGNED
    assert _row(ticket)[0] == START + timedelta(minutes=2)
