import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blockdesk import errors
from contacts.blocking import (
    BLOCK_NOTE_LEFT_OPEN,
    BLOCK_NOTE_RESOLVED,
    BlockedTicketCounts,
    block_contact,
    block_refusal,
    blocked_ticket_counts,
    delete_blocked_ticket,
    delete_blocked_tickets,
    release_blocked_tickets,
    unblock_contact,
    unblock_refusal,
    unblock_ticket,
)
from contacts.models import AuditEntry, Block, Contact
from tests import factories
from tests.inbound import deliver
from tickets.models import DeletedMessage, Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def _blocked_contact(channel, actor, *, spam: int = 2, address: str = "+628111") -> tuple[Contact, Ticket]:
    """A contact, blocked by actor, whose spam messages gathered in one blocked ticket."""
    contact = deliver(channel, address, "hello").contact
    block_contact(actor=actor, contact=contact, reason="spam")
    ticket = None
    for n in range(spam):
        ticket = deliver(channel, address, f"spam {n}").ticket
    return Contact.objects.get(pk=contact.pk), ticket


# Block contact


def test_block_marks_contact_and_writes_block_row_audit_and_note(channel, agent, blocking_on):
    first = deliver(channel, "+628111", "hi")
    before = timezone.now()

    block = block_contact(actor=agent, contact=first.contact, reason="abuse", note="  shouting  ")

    contact = Contact.objects.get(pk=first.contact.pk)
    assert contact.is_blocked
    assert (contact.blocked_reason, contact.blocked_note, contact.blocked_by) == ("abuse", "shouting", agent)
    assert contact.blocked_at >= before
    block.refresh_from_db()
    assert (block.contact, block.reason, block.note, block.blocked_by) == (contact, "abuse", "shouting", agent)
    assert block.blocked_at == contact.blocked_at
    assert block.tickets_resolved == 1
    assert block.is_current
    audit = AuditEntry.objects.get()
    assert (audit.action, audit.actor, audit.contact, audit.block) == (AuditEntry.Action.BLOCKED, agent, contact, block)
    assert (audit.tickets, audit.at) == (1, block.blocked_at)
    note = Message.objects.get(direction=Message.Direction.NOTE)
    assert note.body == "Contact blocked by Ana (abuse): ticket resolved."
    assert (note.ticket_id, note.author) == (first.ticket.pk, agent)


def test_block_resolves_open_tickets_on_every_channel_by_default(channel, supervisor, blocking_on):
    other = factories.ChannelFactory(name="Telegram")
    first = deliver(channel, "+628111")
    factories.ContactIdentityFactory(contact=first.contact, channel=other, external_id="tg-1")
    deliver(other, "tg-1")

    block_contact(actor=supervisor, contact=first.contact, reason="spam")

    tickets = Ticket.objects.filter(contact=first.contact)
    assert [t.status for t in tickets] == [TicketStatus.RESOLVED] * 2
    assert all(t.closed_at is not None and t.message_count == 2 for t in tickets)
    assert deliver(channel, "+628111").ticket.status == TicketStatus.BLOCKED


def test_block_without_resolving_keeps_open_tickets_open_with_a_note(channel, agent, blocking_on):
    first = deliver(channel, "+628111")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)

    block = block_contact(actor=agent, contact=first.contact, reason="other", resolve_open_tickets=False)

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert (ticket.status, ticket.assignee, ticket.closed_at) == (TicketStatus.ASSIGNED, agent, None)
    assert ticket.message_count == 2
    assert ticket.messages.filter(direction=Message.Direction.NOTE).exists()
    assert block.tickets_resolved == 0
    assert AuditEntry.objects.get().tickets == 0


def test_block_without_open_tickets_writes_no_note(channel, supervisor, blocking_on):
    contact = factories.ContactFactory()

    block = block_contact(actor=supervisor, contact=contact, reason="spam")

    assert block.tickets_resolved == 0
    assert not Message.objects.exists()


def test_block_refused_when_feature_is_off(channel, supervisor):
    contact = factories.ContactFactory()

    with pytest.raises(errors.FeatureDisabled, match=re.escape(errors.BLOCKING_DISABLED)):
        block_contact(actor=supervisor, contact=contact, reason="spam")

    assert not Contact.objects.get(pk=contact.pk).is_blocked
    assert not Block.objects.exists()


def test_block_refused_without_permission(blocking_on):
    contact = factories.ContactFactory()
    nobody = factories.UserFactory()

    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_BLOCK)):
        block_contact(actor=nobody, contact=contact, reason="spam")

    assert not Block.objects.exists()


def test_block_refuses_unknown_reason(supervisor, blocking_on):
    contact = factories.ContactFactory()

    with pytest.raises(errors.Invalid, match=re.escape(errors.INVALID_REASON)):
        block_contact(actor=supervisor, contact=contact, reason="rude")

    assert not Block.objects.exists()


def test_blocking_a_blocked_contact_is_a_conflict_not_a_second_block(channel, supervisor, agent, blocking_on):
    contact = factories.ContactFactory()
    block_contact(actor=supervisor, contact=contact, reason="spam")

    with pytest.raises(errors.Conflict, match=re.escape(errors.ALREADY_BLOCKED)):
        # The stale in-memory contact still says "not blocked": the locked row decides.
        block_contact(actor=agent, contact=contact, reason="abuse")

    assert Block.objects.count() == 1
    assert Contact.objects.get(pk=contact.pk).blocked_by == supervisor


# Unblock contact


def test_unblock_all_releases_blocked_tickets_to_unassigned(channel, supervisor, blocking_on):
    contact, ticket = _blocked_contact(channel, supervisor, spam=3)
    block = Block.objects.get()

    lifted = unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.UNASSIGNED
    assert ticket.message_count == 4
    note = ticket.messages.get(direction=Message.Direction.NOTE)
    assert note.body == "Contact unblocked by Sari (Unblock All)"
    assert lifted.pk == block.pk
    lifted.refresh_from_db()
    assert (lifted.lifted_by, lifted.lifted_with, lifted.tickets_released) == (supervisor, "unblock_all", 1)
    assert (lifted.tickets_deleted, lifted.messages_deleted) == (0, 0)
    assert lifted.lifted_at >= lifted.blocked_at
    contact.refresh_from_db()
    assert not contact.is_blocked
    assert (contact.blocked_reason, contact.blocked_note, contact.blocked_at) == ("", "", None)
    assert contact.blocked_by is None
    audit = AuditEntry.objects.get(action=AuditEntry.Action.UNBLOCKED_ALL)
    assert (audit.actor, audit.block, audit.tickets, audit.messages, audit.at) == (
        supervisor,
        block,
        1,
        0,
        lifted.lifted_at,
    )


def test_unblock_all_releases_to_bot_when_bot_is_on(channel, supervisor, blocking_on, set_switches):
    contact, ticket = _blocked_contact(channel, supervisor)
    set_switches(bot_enabled=True)

    unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BOT


def test_next_message_after_unblock_opens_normal_ticket(channel, supervisor, blocking_on):
    contact, ticket = _blocked_contact(channel, supervisor)
    unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    routed = deliver(channel, "+628111")

    assert routed.ticket.status == TicketStatus.UNASSIGNED


def test_delete_all_removes_tickets_and_messages_and_keeps_block_with_counts(channel, supervisor, blocking_on):
    other = factories.ChannelFactory(name="Telegram")
    contact, ticket = _blocked_contact(channel, supervisor, spam=3)
    factories.ContactIdentityFactory(contact=contact, channel=other, external_id="tg-1")
    other_ticket = deliver(other, "tg-1", "more spam").ticket
    resolved = Ticket.objects.get(contact=contact, status=TicketStatus.RESOLVED)
    bystander = deliver(channel, "+628999", "a real customer").ticket

    block = unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    assert not Ticket.objects.filter(pk__in=[ticket.pk, other_ticket.pk]).exists()
    assert not Message.objects.filter(ticket_id__in=[ticket.pk, other_ticket.pk]).exists()
    assert Ticket.objects.filter(pk__in=[resolved.pk, bystander.pk]).count() == 2
    assert resolved.messages.count() == 2
    block.refresh_from_db()
    assert (block.lifted_with, block.lifted_by) == ("delete_all", supervisor)
    assert (block.tickets_released, block.tickets_deleted, block.messages_deleted) == (0, 2, 4)
    audit = AuditEntry.objects.get(action=AuditEntry.Action.DELETED_ALL)
    assert (audit.tickets, audit.messages, audit.block) == (2, 4, block)
    assert not Contact.objects.get(pk=contact.pk).is_blocked


def test_unblock_without_blocked_tickets_records_zero(channel, supervisor, blocking_on):
    contact = factories.ContactFactory()
    block_contact(actor=supervisor, contact=contact, reason="spam")

    block = unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    assert (block.tickets_deleted, block.messages_deleted, block.tickets_released) == (0, 0, 0)


def test_unblock_allowed_with_feature_switched_off(channel, supervisor, blocking_on, set_switches):
    contact, ticket = _blocked_contact(channel, supervisor)
    set_switches(block_contacts_enabled=False)

    unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    assert not Contact.objects.get(pk=contact.pk).is_blocked
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNASSIGNED


def test_agent_cannot_unblock(channel, supervisor, agent, blocking_on):
    contact, ticket = _blocked_contact(channel, supervisor)

    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_UNBLOCK)):
        unblock_contact(actor=agent, contact=contact, choice="unblock_all")

    assert Contact.objects.get(pk=contact.pk).is_blocked
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED
    assert Block.objects.get().is_current


def test_unblocking_a_contact_that_is_not_blocked_is_a_conflict(supervisor):
    contact = factories.ContactFactory()

    with pytest.raises(errors.Conflict, match=re.escape(errors.NOT_BLOCKED)):
        unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    assert not AuditEntry.objects.exists()


def test_unblock_refuses_unknown_choice(channel, supervisor, blocking_on):
    contact, ticket = _blocked_contact(channel, supervisor)

    with pytest.raises(errors.Invalid, match=re.escape(errors.INVALID_UNBLOCK_CHOICE)):
        unblock_contact(actor=supervisor, contact=contact, choice="cancel")

    assert Contact.objects.get(pk=contact.pk).is_blocked
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


def test_second_block_after_unblock_is_a_new_history_row(channel, supervisor, agent, blocking_on):
    contact, _ = _blocked_contact(channel, supervisor)
    unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    block_contact(actor=agent, contact=contact, reason="abuse")

    assert [(b.reason, b.is_current) for b in Block.objects.filter(contact=contact)] == [
        ("abuse", True),
        ("spam", False),
    ]


def test_blocked_ticket_counts(channel, supervisor, blocking_on):
    contact, _ = _blocked_contact(channel, supervisor, spam=3)

    assert blocked_ticket_counts(contact) == BlockedTicketCounts(tickets=1, messages=3)


@pytest.mark.parametrize("choice", ["unblock_all", "delete_all"])
def test_unblock_costs_the_same_queries_for_1_or_50_blocked_tickets(
    choice, supervisor, blocking_on, django_assert_max_num_queries
):
    def blocked_contact_with(tickets: int) -> Contact:
        contact = factories.ContactFactory()
        block_contact(actor=supervisor, contact=contact, reason="spam")
        for _ in range(tickets):
            ticket = factories.TicketFactory(contact=contact, status=TicketStatus.BLOCKED, message_count=2)
            factories.MessageFactory.create_batch(2, ticket=ticket)
        return contact

    one, fifty = blocked_contact_with(1), blocked_contact_with(50)
    with CaptureQueriesContext(connection) as for_one:
        unblock_contact(actor=type(supervisor).objects.get(pk=supervisor.pk), contact=one, choice=choice)
    # 11 statements of its own (Delete All remembers the deleted message ids), 2 permission look-ups,
    # the test transaction's savepoint pair, and Delete All's cascade to the replies' delivery attempts (2).
    assert len(for_one.captured_queries) <= 17

    fresh_supervisor = type(supervisor).objects.get(pk=supervisor.pk)  # its permission cache is empty, as above
    with django_assert_max_num_queries(len(for_one.captured_queries)):
        block = unblock_contact(actor=fresh_supervisor, contact=fifty, choice=choice)

    assert block.tickets_released + block.tickets_deleted == 50
    assert not Ticket.objects.filter(status=TicketStatus.BLOCKED).exists()


# Unblock and delete single and bulk blocked tickets


def test_unblock_ticket_releases_one_ticket_and_contact_stays_blocked(channel, supervisor, blocking_on):
    contact, ticket = _blocked_contact(channel, supervisor, spam=2)

    unblock_ticket(actor=supervisor, ticket=ticket)

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.UNASSIGNED
    assert ticket.messages.get(direction=Message.Direction.NOTE).body == "Ticket unblocked by Sari"
    assert ticket.message_count == 3
    assert Contact.objects.get(pk=contact.pk).is_blocked
    audit = AuditEntry.objects.get(action=AuditEntry.Action.TICKET_RELEASED)
    assert (audit.actor, audit.contact, audit.ticket_id, audit.tickets, audit.messages) == (
        supervisor,
        contact,
        ticket.pk,
        1,
        2,
    )


def test_unblock_ticket_goes_to_bot_when_bot_is_on(channel, supervisor, blocking_on, set_switches):
    _, ticket = _blocked_contact(channel, supervisor)
    set_switches(bot_enabled=True)

    unblock_ticket(actor=supervisor, ticket=ticket)

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BOT


def test_release_several_blocked_tickets_of_several_contacts(channel, supervisor, blocking_on):
    _, first = _blocked_contact(channel, supervisor, address="+628111")
    _, second = _blocked_contact(channel, supervisor, address="+628222")

    assert release_blocked_tickets(actor=supervisor, ticket_ids=[first.pk, second.pk, first.pk]) == 2

    assert set(Ticket.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        TicketStatus.UNASSIGNED
    }
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TICKET_RELEASED).count() == 2


def test_release_refused_when_one_ticket_is_not_blocked_and_nothing_changes(channel, supervisor, blocking_on):
    _, blocked = _blocked_contact(channel, supervisor)
    normal = deliver(channel, "+628999").ticket

    with pytest.raises(errors.Conflict, match=re.escape(errors.TICKETS_NOT_BLOCKED)):
        release_blocked_tickets(actor=supervisor, ticket_ids=[blocked.pk, normal.pk])

    assert Ticket.objects.get(pk=blocked.pk).status == TicketStatus.BLOCKED
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.TICKET_RELEASED).exists()


def test_unblock_ticket_refused_when_not_blocked(channel, supervisor):
    ticket = deliver(channel, "+628999").ticket

    with pytest.raises(errors.Conflict, match=re.escape(errors.TICKET_NOT_BLOCKED)):
        unblock_ticket(actor=supervisor, ticket=ticket)

    assert Ticket.objects.get(pk=ticket.pk).message_count == 1


def test_release_refuses_empty_selection(supervisor):
    with pytest.raises(errors.Invalid, match=re.escape(errors.NO_TICKETS_SELECTED)):
        release_blocked_tickets(actor=supervisor, ticket_ids=[])


def test_agent_cannot_unblock_or_delete_blocked_tickets(channel, supervisor, agent, blocking_on):
    _, ticket = _blocked_contact(channel, supervisor)

    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_UNBLOCK_TICKET)):
        unblock_ticket(actor=agent, ticket=ticket)
    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_DELETE_TICKET)):
        delete_blocked_ticket(actor=agent, ticket=ticket)

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


def test_delete_blocked_ticket_removes_it_and_its_messages(channel, supervisor, blocking_on):
    contact, ticket = _blocked_contact(channel, supervisor, spam=3)

    counts = delete_blocked_ticket(actor=supervisor, ticket=ticket)

    assert (counts.tickets, counts.messages) == (1, 3)
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Message.objects.filter(ticket_id=ticket.pk).exists()
    assert Contact.objects.get(pk=contact.pk).is_blocked
    audit = AuditEntry.objects.get(action=AuditEntry.Action.TICKET_DELETED)
    assert (audit.actor, audit.ticket_id, audit.messages) == (supervisor, ticket.pk, 3)


def test_delete_several_blocked_tickets(channel, supervisor, blocking_on):
    _, first = _blocked_contact(channel, supervisor, address="+628111", spam=1)
    _, second = _blocked_contact(channel, supervisor, address="+628222", spam=2)

    counts = delete_blocked_tickets(actor=supervisor, ticket_ids=[first.pk, second.pk])

    assert (counts.tickets, counts.messages) == (2, 3)
    assert not Ticket.objects.filter(status=TicketStatus.BLOCKED).exists()


def test_delete_refused_when_one_ticket_is_not_blocked_and_nothing_changes(channel, supervisor, blocking_on):
    _, blocked = _blocked_contact(channel, supervisor)
    normal = deliver(channel, "+628999").ticket

    with pytest.raises(errors.Conflict, match=re.escape(errors.TICKETS_NOT_BLOCKED)):
        delete_blocked_tickets(actor=supervisor, ticket_ids=[blocked.pk, normal.pk])
    with pytest.raises(errors.Conflict, match=re.escape(errors.TICKET_NOT_BLOCKED)):
        delete_blocked_ticket(actor=supervisor, ticket=normal)

    assert Ticket.objects.filter(pk__in=[blocked.pk, normal.pk]).count() == 2
    assert Message.objects.filter(ticket_id=blocked.pk).count() == 2


def test_deleting_blocked_tickets_remembers_their_channel_message_ids(channel, supervisor, blocking_on):
    contact, ticket = _blocked_contact(channel, supervisor, spam=2)
    spam_ids = set(ticket.messages.filter(direction=Message.Direction.IN).values_list("external_id", flat=True))

    unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    remembered = DeletedMessage.objects.filter(channel=channel, contact=contact)
    assert set(remembered.values_list("external_id", flat=True)) == spam_ids
    assert len(spam_ids) == 2


def test_unblock_all_remembers_no_message_ids(channel, supervisor, blocking_on):
    contact, _ = _blocked_contact(channel, supervisor, spam=2)

    unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    assert not DeletedMessage.objects.exists()


# What the block says in the timeline, and who may block or unblock


def test_the_note_says_who_blocked_why_and_that_the_ticket_was_resolved(channel, supervisor, blocking_on):
    first = deliver(channel, "+628111")

    block_contact(actor=supervisor, contact=first.contact, reason="spam")

    note = Message.objects.get(ticket=first.ticket, direction=Message.Direction.NOTE)
    assert note.body == BLOCK_NOTE_RESOLVED.format(actor="Sari", reason="spam")
    assert note.body == "Contact blocked by Sari (spam): ticket resolved."


def test_the_note_says_the_ticket_was_left_open(channel, supervisor, agent, blocking_on):
    first = deliver(channel, "+628111")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)

    block_contact(actor=supervisor, contact=first.contact, reason="abuse", resolve_open_tickets=False)

    note = Message.objects.get(ticket=first.ticket, direction=Message.Direction.NOTE)
    assert note.body == BLOCK_NOTE_LEFT_OPEN.format(actor="Sari", reason="abuse")
    assert note.body == "Contact blocked by Sari (abuse); ticket left open."
    assert note.author == supervisor


def test_block_refusal_answers_what_block_contact_does(supervisor, agent, set_switches):
    nobody = factories.UserFactory()
    assert block_refusal(supervisor) == errors.BLOCKING_DISABLED
    set_switches(block_contacts_enabled=True)
    assert block_refusal(supervisor) is None
    assert block_refusal(agent) is None
    assert block_refusal(nobody) == errors.NO_PERMISSION_BLOCK
    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_BLOCK)):
        block_contact(actor=nobody, contact=factories.ContactFactory(), reason="spam")


def test_unblock_refusal_ignores_the_switch_and_checks_the_permission(supervisor, agent):
    assert unblock_refusal(supervisor) is None  # blocking is switched off: lifting a block still works
    assert unblock_refusal(agent) == errors.NO_PERMISSION_UNBLOCK
