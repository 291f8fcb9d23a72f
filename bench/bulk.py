"""Bulk unblock: Unblock All, then Delete All, for the contact whose blocked tickets hold the most messages."""

import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.blocking import blocked_ticket_counts, unblock_contact
from contacts.models import Block, BlockReason, Contact, UnblockChoice
from tickets.models import Ticket, TicketStatus

from .scales import Scale
from .seed import Dataset


def measure(scale: Scale, data: Dataset) -> dict:
    supervisor = get_user_model().objects.get(pk=data.supervisor_id)
    results = {}
    for choice in (UnblockChoice.UNBLOCK_ALL, UnblockChoice.DELETE_ALL):
        ticket_ids = _block_again(data.spammer_id, supervisor)
        contact = Contact.objects.get(pk=data.spammer_id)
        counts = blocked_ticket_counts(contact)
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            block = unblock_contact(actor=supervisor, contact=contact, choice=choice)
        elapsed = time.perf_counter() - t0
        results[choice] = {
            "tickets": counts.tickets,
            "messages": counts.messages,
            "seconds": round(elapsed, 3),
            "statements": len(captured.captured_queries),
            "released": block.tickets_released,
            "deleted_messages": block.messages_deleted,
        }
        assert Ticket.objects.filter(pk__in=ticket_ids, status=TicketStatus.BLOCKED).count() == 0
    return results


def _block_again(contact_id: int, actor) -> list[int]:
    """Set-up, not measured: make the contact blocked with all its open tickets blocked, as after a spam flood."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        if not contact.is_blocked:
            now = timezone.now()
            Block.objects.create(contact=contact, reason=BlockReason.SPAM, blocked_by=actor, blocked_at=now)
            Contact.objects.filter(pk=contact_id).update(
                is_blocked=True, blocked_reason=BlockReason.SPAM, blocked_at=now, blocked_by=actor
            )
        Ticket.objects.filter(contact_id=contact_id, status__in=[TicketStatus.BOT, TicketStatus.UNASSIGNED]).update(
            status=TicketStatus.BLOCKED
        )
        return list(
            Ticket.objects.filter(contact_id=contact_id, status=TicketStatus.BLOCKED).values_list("pk", flat=True)
        )
