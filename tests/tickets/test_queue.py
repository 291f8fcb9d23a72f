import re

import pytest

from blockdesk import errors
from contacts.blocking import block_contact
from tests import factories
from tests.inbound import deliver
from tickets.models import Message, Ticket, TicketStatus
from tickets.outbox import send_reply as reply_to_ticket
from tickets.queue import (
    add_note,
    assign_ticket,
    can_hand_over,
    can_take,
    can_write,
    hand_over_from_bot,
    resolve_ticket,
    take_ticket,
)

pytestmark = pytest.mark.django_db


def _refused(error_class, text):
    return pytest.raises(error_class, match=re.escape(text))


@pytest.fixture
def unassigned(channel):
    return deliver(channel, "+628111", "I need help").ticket


@pytest.fixture
def with_bot(channel, bot_on):
    return deliver(channel, "+628222", "hi bot").ticket


@pytest.fixture
def mine(unassigned, agent):
    return take_ticket(actor=agent, ticket=unassigned)


# Assign


def test_supervisor_assigns_ticket_to_agent(unassigned, supervisor, agent):
    assign_ticket(actor=supervisor, ticket=unassigned, assignee=agent)

    ticket = Ticket.objects.get(pk=unassigned.pk)
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, agent)


def test_supervisor_reassigns_an_assigned_ticket(mine, supervisor, other_agent):
    assign_ticket(actor=supervisor, ticket=mine, assignee=other_agent)

    assert Ticket.objects.get(pk=mine.pk).assignee == other_agent


def test_agent_cannot_assign(unassigned, agent, other_agent):
    with _refused(errors.Forbidden, errors.NO_PERMISSION_ASSIGN):
        assign_ticket(actor=agent, ticket=unassigned, assignee=other_agent)

    assert Ticket.objects.get(pk=unassigned.pk).status == TicketStatus.UNASSIGNED


@pytest.mark.parametrize("who", ["nobody", "inactive"])
def test_assignee_must_be_able_to_work(who, unassigned, supervisor):
    assignee = factories.UserFactory() if who == "nobody" else factories.AgentFactory(is_active=False)

    with _refused(errors.Invalid, errors.ASSIGNEE_CANNOT_WORK):
        assign_ticket(actor=supervisor, ticket=unassigned, assignee=assignee)

    assert Ticket.objects.get(pk=unassigned.pk).assignee is None


def test_resolved_or_blocked_ticket_cannot_be_assigned(channel, mine, agent, supervisor, blocking_on):
    resolve_ticket(actor=agent, ticket=mine)
    with _refused(errors.Conflict, errors.TICKET_CLOSED):
        assign_ticket(actor=supervisor, ticket=mine, assignee=agent)

    block_contact(actor=supervisor, contact=mine.contact, reason="spam")
    blocked = deliver(channel, "+628111", "spam").ticket
    with _refused(errors.Conflict, errors.TICKET_IS_BLOCKED):
        assign_ticket(actor=supervisor, ticket=blocked, assignee=agent)

    assert Ticket.objects.get(pk=blocked.pk).status == TicketStatus.BLOCKED


# Take and hand over


def test_agent_takes_unassigned_ticket(unassigned, agent):
    take_ticket(actor=agent, ticket=unassigned)

    ticket = Ticket.objects.get(pk=unassigned.pk)
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, agent)


def test_agent_cannot_take_a_ticket_someone_already_took(mine, other_agent, agent):
    with _refused(errors.Conflict, errors.TICKET_NOT_UNASSIGNED):
        take_ticket(actor=other_agent, ticket=mine)

    assert Ticket.objects.get(pk=mine.pk).assignee == agent


def test_agent_cannot_take_from_bot_but_supervisor_can(with_bot, agent, supervisor):
    with _refused(errors.Conflict, errors.TICKET_NOT_UNASSIGNED):
        take_ticket(actor=agent, ticket=with_bot)
    assert Ticket.objects.get(pk=with_bot.pk).status == TicketStatus.BOT

    take_ticket(actor=supervisor, ticket=with_bot)

    ticket = Ticket.objects.get(pk=with_bot.pk)
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, supervisor)


def test_user_without_work_permission_cannot_take(unassigned):
    with _refused(errors.Forbidden, errors.NO_PERMISSION_WORK):
        take_ticket(actor=factories.UserFactory(), ticket=unassigned)


def test_hand_over_moves_bot_ticket_to_unassigned(with_bot, agent):
    hand_over_from_bot(actor=agent, ticket=with_bot)

    assert Ticket.objects.get(pk=with_bot.pk).status == TicketStatus.UNASSIGNED


def test_hand_over_refused_when_not_with_bot(unassigned, agent):
    with _refused(errors.Conflict, errors.TICKET_NOT_WITH_BOT):
        hand_over_from_bot(actor=agent, ticket=unassigned)


# Reply and note


def test_reply_on_own_ticket_is_the_new_last_message(mine, agent):
    message = reply_to_ticket(actor=agent, ticket=mine, text="  We are on it.  ")

    assert (message.direction, message.body, message.author, message.external_id) == (
        Message.Direction.OUT,
        "We are on it.",
        agent,
        None,
    )
    ticket = Ticket.objects.get(pk=mine.pk)
    assert (ticket.message_count, ticket.last_message_preview) == (2, "We are on it.")


def test_note_counts_but_does_not_change_the_preview(mine, agent):
    add_note(actor=agent, ticket=mine, text="Customer sounds upset")

    ticket = Ticket.objects.get(pk=mine.pk)
    assert (ticket.message_count, ticket.last_message_preview) == (2, "I need help")
    assert ticket.messages.last().direction == Message.Direction.NOTE


@pytest.mark.parametrize("act", [reply_to_ticket, add_note])
def test_other_agent_cannot_write_on_my_ticket_but_supervisor_can(act, mine, other_agent, supervisor):
    with _refused(errors.Forbidden, errors.TICKET_NOT_YOURS):
        act(actor=other_agent, ticket=mine, text="hello")

    act(actor=supervisor, ticket=mine, text="hello")

    assert Ticket.objects.get(pk=mine.pk).message_count == 2


@pytest.mark.parametrize("act", [reply_to_ticket, add_note])
def test_empty_text_is_refused(act, mine, agent):
    with _refused(errors.Invalid, errors.EMPTY_TEXT):
        act(actor=agent, ticket=mine, text="   ")

    assert Ticket.objects.get(pk=mine.pk).message_count == 1


@pytest.mark.parametrize("act", [reply_to_ticket, add_note])
def test_no_writing_on_resolved_or_blocked_tickets(act, channel, mine, agent, supervisor, blocking_on):
    resolve_ticket(actor=agent, ticket=mine)
    with _refused(errors.Conflict, errors.TICKET_CLOSED):
        act(actor=agent, ticket=mine, text="hello")

    block_contact(actor=supervisor, contact=mine.contact, reason="spam")
    blocked = deliver(channel, "+628111", "spam").ticket
    with _refused(errors.Conflict, errors.TICKET_IS_BLOCKED):
        act(actor=supervisor, ticket=blocked, text="hello")

    assert Ticket.objects.get(pk=blocked.pk).message_count == 1


# Resolve


def test_agent_resolves_own_ticket(mine, agent):
    resolve_ticket(actor=agent, ticket=mine)

    ticket = Ticket.objects.get(pk=mine.pk)
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.closed_at is not None


def test_agent_cannot_resolve_someone_elses_ticket(mine, other_agent):
    with _refused(errors.Forbidden, errors.TICKET_NOT_YOURS):
        resolve_ticket(actor=other_agent, ticket=mine)

    assert Ticket.objects.get(pk=mine.pk).status == TicketStatus.ASSIGNED


def test_supervisor_resolves_bot_ticket(with_bot, supervisor):
    resolve_ticket(actor=supervisor, ticket=with_bot)

    assert Ticket.objects.get(pk=with_bot.pk).status == TicketStatus.RESOLVED


def test_resolving_twice_is_refused(mine, agent):
    resolve_ticket(actor=agent, ticket=mine)

    with _refused(errors.Conflict, errors.TICKET_CLOSED):
        resolve_ticket(actor=agent, ticket=mine)


def test_blocked_ticket_cannot_be_resolved(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    blocked = deliver(channel, "+628111", "spam").ticket

    with _refused(errors.Conflict, errors.TICKET_IS_BLOCKED):
        resolve_ticket(actor=supervisor, ticket=blocked)

    assert Ticket.objects.get(pk=blocked.pk).status == TicketStatus.BLOCKED


# The predicates the ticket view shows buttons by answer what the actions then do


def _persona(name, agent, other_agent, supervisor):
    return {"agent": agent, "other_agent": other_agent, "supervisor": supervisor, "nobody": factories.UserFactory()}[
        name
    ]


@pytest.mark.parametrize("who", ["agent", "other_agent", "supervisor", "nobody"])
@pytest.mark.parametrize("status", ["bot", "unassigned", "assigned", "resolved", "blocked"])
@pytest.mark.parametrize(
    ("predicate", "action"),
    [
        (can_take, lambda actor, ticket: take_ticket(actor=actor, ticket=ticket)),
        (can_write, lambda actor, ticket: reply_to_ticket(actor=actor, ticket=ticket, text="Hi")),
        (can_write, lambda actor, ticket: add_note(actor=actor, ticket=ticket, text="Hi")),
        (can_write, lambda actor, ticket: resolve_ticket(actor=actor, ticket=ticket)),
        (can_hand_over, lambda actor, ticket: hand_over_from_bot(actor=actor, ticket=ticket)),
    ],
)
def test_a_predicate_is_true_exactly_when_its_action_succeeds(
    channel, agent, other_agent, supervisor, who, status, predicate, action
):
    actor = _persona(who, agent, other_agent, supervisor)
    ticket = factories.TicketFactory(
        channel=channel, status=status, assignee=agent if status == TicketStatus.ASSIGNED else None
    )
    allowed = predicate(actor, ticket)

    try:
        action(actor, ticket)
    except errors.DomainError:
        succeeded = False
    else:
        succeeded = True

    assert allowed is succeeded


def test_the_predicates_for_an_agents_own_ticket(mine, agent, other_agent, supervisor):
    assert (can_write(agent, mine), can_take(agent, mine)) == (True, False)
    assert can_write(other_agent, mine) is False
    assert can_write(supervisor, mine) is True
