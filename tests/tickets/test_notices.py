"""Notices (issue 16 point 5): assigned to you, your customer wrote, a new ticket in the Blocked list."""

import pytest

from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests import factories
from tests.inbound import deliver
from tickets import notices
from tickets.models import Notice, TicketStatus
from tickets.queue import assign_ticket, take_ticket

pytestmark = pytest.mark.django_db


def _notices():
    return sorted(Notice.objects.values_list("recipient", "kind", "ticket"))


def test_an_assignment_tells_the_assignee_not_the_one_who_took_it(channel, supervisor, agent, other_agent):
    first = deliver(channel, "+628111", "one").ticket
    second = deliver(channel, "+628222", "two").ticket

    assign_ticket(actor=supervisor, ticket=first, assignee=agent)
    take_ticket(actor=other_agent, ticket=second)

    assert _notices() == [(agent.pk, Notice.Kind.ASSIGNED, first.pk)]


def test_a_customer_writing_in_an_assigned_ticket_tells_its_assignee_once_per_delivery(channel, agent):
    ticket = take_ticket(actor=agent, ticket=deliver(channel, "+628111", "one").ticket)

    deliver(channel, "+628111", "two")
    deliver(channel, "+628111", "two", message_id="repeat")
    deliver(channel, "+628111", "two", message_id="repeat")  # a repeat delivery tells nobody again

    assert _notices() == [(agent.pk, Notice.Kind.CUSTOMER_WROTE, ticket.pk)] * 2


def test_messages_in_the_unassigned_queue_tell_nobody(channel):
    deliver(channel, "+628111", "one")
    deliver(channel, "+628111", "two")
    assert _notices() == []


def test_a_new_blocked_ticket_tells_only_those_who_see_the_blocked_list_once(channel, supervisor, agent, blocking_on):
    contact = deliver(channel, "+628666", "spam").contact
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)
    other_supervisor = factories.SupervisorFactory()

    blocked = deliver(channel, "+628666", "more spam").ticket
    deliver(channel, "+628666", "even more spam")  # the same blocked ticket: no second notice

    assert blocked.status == TicketStatus.BLOCKED
    assert _notices() == sorted(
        [
            (supervisor.pk, Notice.Kind.BLOCKED_TICKET, blocked.pk),
            (other_supervisor.pk, Notice.Kind.BLOCKED_TICKET, blocked.pk),
        ]
    )
    assert not Notice.objects.filter(recipient=agent).exists()


def test_opening_the_list_marks_the_shown_notices_read(channel, supervisor, agent):
    ticket = deliver(channel, "+628111", "one").ticket
    assign_ticket(actor=supervisor, ticket=ticket, assignee=agent)
    assert notices.unread_count(agent) == 1

    shown = notices.recent_for(agent)

    assert notices.mark_read(agent, shown) == 1
    assert notices.unread_count(agent) == 0
    assert notices.mark_read(agent, notices.recent_for(agent)) == 0
