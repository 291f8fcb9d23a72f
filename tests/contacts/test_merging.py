"""merge_contacts: what moves, what the blocks become, open tickets made one, the tombstone, refusals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blockdesk import errors
from contacts.access import get_contact_for
from contacts.blocking import block_contact
from contacts.merging import merge_contacts, plan_merge
from contacts.models import AuditEntry, Block, BlockReason, Contact, ContactIdentity, LiftedWith
from tests import factories
from tests.inbound import deliver
from tickets.models import DeletedMessage, Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(channel):
    """Two contacts, each known to the channel by its own address, each with one open ticket there."""
    survivor = deliver(channel, "+6281100000001", "I am Budi", name="Budi").contact
    merged = deliver(channel, "+6281100000002", "Budi again, new SIM", name="Budi S").contact
    return survivor, merged


def _merge(actor, survivor, merged):
    return merge_contacts(actor=actor, survivor=survivor, merged=merged)


def test_identities_tickets_notes_and_deleted_ids_move_and_a_tombstone_is_left(supervisor, channel, pair):
    survivor, merged = pair
    other_channel = factories.ChannelFactory(name="SMS")
    resolved = factories.TicketFactory(contact=merged, channel=other_channel, status=TicketStatus.RESOLVED)
    DeletedMessage.objects.create(channel=channel, external_id="gone-1", contact=merged, deleted_at=timezone.now())
    Contact.objects.filter(pk=survivor.pk).update(note="Prefers mornings.")
    Contact.objects.filter(pk=merged.pk).update(note="Has two SIMs.", email="budi@example.com")
    survivor.refresh_from_db()
    merged.refresh_from_db()

    result = _merge(supervisor, survivor, merged)

    survivor.refresh_from_db()
    assert set(ContactIdentity.objects.filter(contact=survivor).values_list("external_id", flat=True)) == {
        "+6281100000001",
        "+6281100000002",
    }
    assert Ticket.objects.get(pk=resolved.pk).contact_id == survivor.pk
    assert DeletedMessage.objects.get(external_id="gone-1").contact_id == survivor.pk
    assert survivor.note == "Prefers mornings.\n\nHas two SIMs."
    assert survivor.email == "budi@example.com"  # the survivor had none
    tombstone = Contact.objects.get(pk=merged.pk)
    assert tombstone.merged_into_id == survivor.pk
    assert not tombstone.identities.exists() and not tombstone.tickets.exists()
    # Its open ticket was the newer of the two on the channel: joined, not moved.
    assert (result.identities, result.tickets, result.tickets_joined, result.messages_moved) == (1, 1, 1, 1)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MERGED)
    assert (entry.contact_id, entry.other_contact_id, entry.actor) == (survivor.pk, merged.pk, supervisor)
    assert entry.change == f"#{merged.pk} → #{survivor.pk}"


def test_the_tombstone_keeps_its_creation_time_and_is_out_of_lists_and_search(supervisor, pair):
    survivor, merged = pair
    created = merged.created_at

    _merge(supervisor, survivor, merged)

    assert Contact.objects.get(pk=merged.pk).created_at == created
    assert list(Contact.objects.search("Budi")) == [survivor]
    with pytest.raises(errors.MergedAway) as raised:
        get_contact_for(supervisor, merged.pk)
    assert raised.value.merged_into == survivor.pk
    assert raised.value.detail == errors.MERGED_AWAY.format(survivor=survivor.pk)


def test_two_open_tickets_on_one_channel_become_the_older_one_with_all_messages(supervisor, channel, pair):
    survivor, merged = pair
    older = Ticket.objects.get(contact=survivor)
    newer = Ticket.objects.get(contact=merged)
    deliver(channel, "+6281100000002", "and the last word")
    Ticket.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))

    _merge(supervisor, survivor, merged)

    assert not Ticket.objects.filter(pk=newer.pk).exists()
    kept = Ticket.objects.get(pk=older.pk)
    bodies = list(kept.messages.order_by("id").values_list("body", flat=True))
    assert bodies[:3] == ["I am Budi", "Budi again, new SIM", "and the last word"]
    assert bodies[3].startswith(f"Ticket #{newer.pk} (2 messages) of Budi S merged into this one by Sari")
    assert kept.message_count == 4
    assert kept.last_message_preview == "and the last word"
    assert Ticket.objects.open().filter(contact=survivor, channel=channel).count() == 1


def test_the_older_ticket_wins_even_when_it_is_the_merged_contacts(supervisor, channel, pair):
    survivor, merged = pair
    merged_ticket = Ticket.objects.get(contact=merged)
    Ticket.objects.filter(pk=merged_ticket.pk).update(created_at=timezone.now() - timedelta(days=3))

    result = _merge(supervisor, survivor, merged)

    kept = Ticket.objects.get(contact=survivor, status__in=[TicketStatus.UNASSIGNED])
    assert kept.pk == merged_ticket.pk
    assert result.tickets == 1  # the merged contact's ticket is now the survivor's


def test_only_the_merged_contact_blocked_makes_the_survivor_blocked_with_that_block(
    supervisor, blocking_on, channel, pair
):
    survivor, merged = pair
    block = block_contact(
        actor=supervisor, contact=merged, reason=BlockReason.ABUSE, note="threats", resolve_open_tickets=False
    )
    merged.refresh_from_db()

    _merge(supervisor, survivor, merged)

    survivor.refresh_from_db()
    assert survivor.is_blocked and survivor.blocked_reason == BlockReason.ABUSE and survivor.blocked_note == "threats"
    block.refresh_from_db()
    assert block.contact_id == survivor.pk and block.is_current
    assert not Contact.objects.get(pk=merged.pk).is_blocked
    # Open tickets stay open; once resolved, its next message opens a blocked ticket.
    Ticket.objects.filter(contact=survivor).update(status=TicketStatus.RESOLVED)
    assert deliver(channel, "+6281100000001").status == TicketStatus.BLOCKED


def test_only_the_survivor_blocked_stays_blocked_and_gets_the_history(supervisor, blocking_on, pair):
    survivor, merged = pair
    block_contact(actor=supervisor, contact=survivor, reason=BlockReason.SPAM)
    survivor.refresh_from_db()

    _merge(supervisor, survivor, merged)

    survivor.refresh_from_db()
    assert survivor.is_blocked and survivor.blocked_reason == BlockReason.SPAM
    assert Block.objects.filter(contact=survivor, lifted_at__isnull=True).count() == 1


def test_both_blocked_keeps_the_survivors_block_and_closes_the_other_as_merged(supervisor, blocking_on, pair):
    survivor, merged = pair
    own = block_contact(actor=supervisor, contact=survivor, reason=BlockReason.SPAM)
    other = block_contact(actor=supervisor, contact=merged, reason=BlockReason.ABUSE)
    survivor.refresh_from_db()
    merged.refresh_from_db()

    _merge(supervisor, survivor, merged)

    own.refresh_from_db()
    other.refresh_from_db()
    assert own.is_current and own.contact_id == survivor.pk
    assert other.contact_id == survivor.pk and not other.is_current
    assert (other.lifted_with, other.lifted_by) == (LiftedWith.MERGED, supervisor)
    survivor.refresh_from_db()
    assert survivor.blocked_reason == BlockReason.SPAM
    # Both contacts' BLOCKED audit rows now tell the survivor's story.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.BLOCKED, contact=survivor).count() == 2


def test_plan_says_what_the_block_becomes(supervisor, blocking_on, pair):
    survivor, merged = pair
    block_contact(actor=supervisor, contact=merged, reason=BlockReason.SPAM, resolve_open_tickets=False)
    merged.refresh_from_db()

    plan = plan_merge(survivor=survivor, merged=merged)

    assert plan.block_outcome.startswith(f"{merged} is blocked, so {survivor} becomes blocked (spam)")
    assert [(j.kept.contact_id, j.gone.contact_id) for j in plan.joined] == [(survivor.pk, merged.pk)]


def test_a_later_merge_points_earlier_tombstones_at_the_new_survivor(supervisor, channel, pair):
    survivor, merged = pair
    third = deliver(channel, "+6281100000003").contact
    _merge(supervisor, survivor, merged)

    _merge(supervisor, third, survivor)

    assert Contact.objects.get(pk=merged.pk).merged_into_id == third.pk
    assert Contact.objects.get(pk=survivor.pk).merged_into_id == third.pk


def test_an_agent_may_not_merge_and_nothing_changes(agent, pair):
    survivor, merged = pair

    with pytest.raises(errors.Forbidden, match=errors.NO_PERMISSION_MERGE):
        _merge(agent, survivor, merged)

    assert Contact.objects.get(pk=merged.pk).merged_into_id is None
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MERGED).exists()


def test_a_contact_cannot_be_merged_with_itself(supervisor, pair):
    survivor, _ = pair

    with pytest.raises(errors.Invalid, match=errors.MERGE_WITH_ITSELF):
        _merge(supervisor, survivor, survivor)


def test_merging_a_contact_merged_meanwhile_is_a_conflict(supervisor, channel, pair):
    survivor, merged = pair
    third = deliver(channel, "+6281100000003").contact
    _merge(supervisor, survivor, merged)

    with pytest.raises(errors.Conflict, match=errors.MERGE_ALREADY_MERGED):
        _merge(supervisor, third, merged)  # the stale object still says "not merged"

    assert Contact.objects.get(pk=merged.pk).merged_into_id == survivor.pk
    assert Message.objects.filter(ticket__contact=third).count() == 1
