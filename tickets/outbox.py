"""The outbox: the one way a reply (staff or BOT) goes out, its delivery state, receipts and Retry.

A reply is stored at once as `queued` and a worker sends it after the
transaction commits (tickets.delivery). Nothing goes out to a blocked
contact: refused when queuing, and checked again when sending.
Channels register a sender per kind (register_sender) when they start.
"""

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from blockdesk import errors

from .delivery import due_unless_taken, enqueue_delivery
from .models import DeliveryState, Message, Ticket, TicketStatus
from .queue import append_message, lock_ticket, require_may_write, write_refusal
from .senders import PermanentSendError, SendResult, TransientSendError, register_sender, sender_for

__all__ = [
    "PermanentSendError",
    "SendResult",
    "TransientSendError",
    "record_failure_receipt",
    "record_receipt",
    "register_sender",
    "retry_delivery",
    "can_retry_in",
    "retry_refusal",
    "send_bot_reply",
    "send_reply",
    "sender_for",
]

# A receipt moves a message forward only: its state's rank must rise.
RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.FAILED: 0,
    DeliveryState.SENT: 1,
    DeliveryState.DELIVERED: 2,
    DeliveryState.READ: 3,
}
RECEIPT_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ)


def _raise_if(refusal: errors.DomainError | None) -> None:
    if refusal:
        raise refusal


def _queue(ticket: Ticket, *, author, text: str) -> Message:
    message = append_message(
        ticket,
        actor=author,
        text=text,
        direction=Message.Direction.OUT,
        delivery_state=DeliveryState.QUEUED,
        next_attempt_at=due_unless_taken(),
    )
    enqueue_delivery(message.pk, 0)
    return message


def send_reply(*, actor, ticket: Ticket, text: str) -> Message:
    """Reply to the customer: stored `queued` now, sent by a worker; own tickets, or any for supervisors."""
    if not actor.has_perm("tickets.work_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_WORK)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _raise_if(write_refusal(actor, ticket))
        return _queue(ticket, author=actor, text=text)


def send_bot_reply(*, ticket: Ticket, text: str) -> Message:
    """The BOT answers in a ticket it holds (author None, shown as "BOT"); sent like any reply."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        if ticket.contact.is_blocked or ticket.status == TicketStatus.BLOCKED:
            raise errors.Conflict(errors.TICKET_IS_BLOCKED)
        if ticket.status != TicketStatus.BOT:
            raise errors.Conflict(errors.TICKET_NOT_WITH_BOT)
        return _queue(ticket, author=None, text=text)


def _retry_in_refusal(actor, ticket: Ticket) -> errors.DomainError | None:
    try:
        require_may_write(actor, ticket)
    except errors.DomainError as refusal:
        return refusal
    if ticket.contact.is_blocked:
        return errors.Conflict(errors.RETRY_CONTACT_BLOCKED)
    return None


def retry_refusal(actor, message: Message) -> errors.DomainError | None:
    """Why the actor may not retry this message's delivery now, or None (the reply permission, on a failed reply)."""
    refusal = _retry_in_refusal(actor, message.ticket)
    if refusal:
        return refusal
    if message.delivery_state != DeliveryState.FAILED:
        return errors.Conflict(errors.NOT_A_FAILED_DELIVERY)
    return None


def can_retry_in(actor, ticket: Ticket) -> bool:
    """Whether the actor may retry the ticket's failed replies (the timeline shows Retry on them)."""
    return _retry_in_refusal(actor, ticket) is None


def retry_delivery(*, actor, message: Message) -> Message:
    """Queue a failed reply again, with a fresh set of attempts; the last error stays until the next outcome."""
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("ticket__contact").get(pk=message.pk)
        _raise_if(retry_refusal(actor, message))
        message.delivery_state = DeliveryState.QUEUED
        message.attempts = 0
        message.next_attempt_at = due_unless_taken()
        message.save(update_fields=["delivery_state", "attempts", "next_attempt_at"])
        enqueue_delivery(message.pk, 0)
    return message


def record_receipt(*, message: Message, state: str, provider_message_id: str | None = None) -> bool:
    """Move the message forward to state (sent, delivered, read); return whether anything changed.

    Idempotent: a repeated or late receipt (read before delivered, delivered
    after read) changes nothing.
    """
    if state not in RECEIPT_STATES:
        raise errors.Invalid(errors.UNKNOWN_RECEIPT_STATE.format(state=state))
    now = timezone.now()
    lower = [s for s, rank in RANK.items() if rank < RANK[state]]
    changes = {"delivery_state": state, "next_attempt_at": None}
    if state in (DeliveryState.DELIVERED, DeliveryState.READ):
        changes["delivered_at"] = Coalesce("delivered_at", now)
    if state == DeliveryState.READ:
        changes["read_at"] = now
    if provider_message_id:
        changes["provider_message_id"] = provider_message_id
    moved = Message.objects.filter(Q(pk=message.pk, direction=Message.Direction.OUT, delivery_state__in=lower)).update(
        **changes
    )
    return bool(moved)


def record_failure_receipt(*, message: Message, reason: str) -> bool:
    """The provider took the reply but reports it undeliverable: it fails with the provider's reason.

    Only a reply the provider took and has not delivered (`sent`) fails: a
    repeated report, or one for a message delivered since, changes nothing.
    """
    failed = Message.objects.filter(
        pk=message.pk, direction=Message.Direction.OUT, delivery_state=DeliveryState.SENT
    ).update(delivery_state=DeliveryState.FAILED, last_error=reason, next_attempt_at=None)
    return bool(failed)
