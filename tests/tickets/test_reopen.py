"""Reopen a resolved ticket (issue 16 point 4): back to who had it or Unassigned, audited, never a blocked contact's."""

import re

import pytest

from blockdesk import errors
from contacts.blocking import block_contact
from contacts.models import AuditEntry, BlockReason
from tests import factories
from tests.inbound import deliver
from tickets.models import Notice, Ticket, TicketStatus
from tickets.queue import can_reopen, reopen_ticket, resolve_ticket, take_ticket

pytestmark = pytest.mark.django_db


def _refused(error_class, text):
    return pytest.raises(error_class, match=re.escape(text))


@pytest.fixture
def resolved(channel, agent):
    ticket = take_ticket(actor=agent, ticket=deliver(channel, "+628111", "Help").ticket)
    return resolve_ticket(actor=agent, ticket=ticket)


def test_the_agent_who_had_it_reopens_it_and_has_it_again(resolved, agent):
    reopen_ticket(actor=agent, ticket=resolved)

    ticket = Ticket.objects.get(pk=resolved.pk)
    assert (ticket.status, ticket.assignee, ticket.closed_at) == (TicketStatus.ASSIGNED, agent, None)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TICKET_REOPENED)
    assert (entry.actor, entry.contact_id, entry.ticket_id, entry.change) == (
        agent,
        ticket.contact_id,
        ticket.pk,
        "Resolved → Assigned",
    )
    assert not Notice.objects.exists()  # nobody is told what they did themselves


def test_a_supervisor_reopens_it_for_the_agent_who_is_told(resolved, supervisor, agent):
    reopen_ticket(actor=supervisor, ticket=resolved)

    assert Ticket.objects.get(pk=resolved.pk).assignee == agent
    assert list(Notice.objects.values_list("recipient", "kind", "ticket")) == [
        (agent.pk, Notice.Kind.ASSIGNED, resolved.pk)
    ]


def test_a_ticket_whose_person_left_goes_to_unassigned(resolved, supervisor, agent):
    agent.is_active = False
    agent.save()

    reopen_ticket(actor=supervisor, ticket=resolved)

    ticket = Ticket.objects.get(pk=resolved.pk)
    assert (ticket.status, ticket.assignee) == (TicketStatus.UNASSIGNED, None)


def test_a_blocked_contacts_ticket_cannot_be_reopened_and_the_refusal_says_why(resolved, supervisor, blocking_on):
    block_contact(actor=supervisor, contact=resolved.contact, reason=BlockReason.SPAM)
    resolved = Ticket.objects.select_related("contact").get(pk=resolved.pk)

    assert not can_reopen(supervisor, resolved)
    with _refused(errors.Conflict, errors.REOPEN_CONTACT_BLOCKED):
        reopen_ticket(actor=supervisor, ticket=resolved)
    assert Ticket.objects.get(pk=resolved.pk).status == TicketStatus.RESOLVED
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.TICKET_REOPENED).exists()


def test_an_open_ticket_cannot_be_reopened(channel, supervisor):
    ticket = deliver(channel, "+628111", "Help").ticket
    with _refused(errors.Conflict, errors.TICKET_NOT_RESOLVED):
        reopen_ticket(actor=supervisor, ticket=ticket)


def test_another_agent_may_not_reopen_it(resolved, other_agent):
    assert not can_reopen(other_agent, resolved)
    with _refused(errors.Forbidden, errors.TICKET_NOT_YOURS):
        reopen_ticket(actor=other_agent, ticket=resolved)


def test_a_new_message_after_resolve_still_opens_a_new_ticket_and_then_reopen_is_refused(resolved, channel, agent):
    newer = deliver(channel, "+628111", "Me again").ticket

    assert newer.pk != resolved.pk and newer.status == TicketStatus.UNASSIGNED
    with _refused(errors.Conflict, errors.REOPEN_OTHER_OPEN.format(pk=newer.pk)):
        reopen_ticket(actor=agent, ticket=resolved)
    assert Ticket.objects.get(pk=resolved.pk).status == TicketStatus.RESOLVED


def test_nobody_without_a_role_may_reopen(resolved):
    with _refused(errors.Forbidden, errors.NO_PERMISSION_WORK):
        reopen_ticket(actor=factories.UserFactory(), ticket=resolved)
