"""Queue actions on open tickets: assign, take, hand over from the BOT, reply, note, resolve.

Each locks the ticket row, so two people acting on one ticket (or an
inbound message and a resolve) happen one after the other.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from blockdesk import errors

from .models import Message, Ticket, TicketStatus, preview_of

WORKING_STATUSES = (TicketStatus.BOT, TicketStatus.UNASSIGNED, TicketStatus.ASSIGNED)


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("contact", "channel").get(pk=ticket.pk)


def _require_workable(ticket: Ticket) -> None:
    if ticket.status == TicketStatus.BLOCKED:
        raise errors.Conflict(errors.TICKET_IS_BLOCKED)
    if ticket.status == TicketStatus.RESOLVED:
        raise errors.Conflict(errors.TICKET_CLOSED)


def _require_worker(actor) -> None:
    if not actor.has_perm("tickets.work_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_WORK)


def _require_own_or_supervisor(actor, ticket: Ticket) -> None:
    if ticket.assignee_id != actor.pk and not actor.has_perm("tickets.assign_ticket"):
        raise errors.Forbidden(errors.TICKET_NOT_YOURS)


def require_may_write(actor, ticket: Ticket) -> None:
    """Refuse an actor who may not reply or add notes in this ticket (views ask before reading the text)."""
    _require_worker(actor)
    _require_own_or_supervisor(actor, ticket)


def assign_ticket(*, actor, ticket: Ticket, assignee) -> Ticket:
    """Give an open ticket to a person who can work on it."""
    if not actor.has_perm("tickets.assign_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_ASSIGN)
    if not assignee.is_active or not assignee.has_perm("tickets.work_ticket"):
        raise errors.Invalid(errors.ASSIGNEE_CANNOT_WORK)
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_workable(ticket)
        ticket.status = TicketStatus.ASSIGNED
        ticket.assignee = assignee
        ticket.save(update_fields=["status", "assignee", "updated_at"])
    return ticket


def take_ticket(*, actor, ticket: Ticket) -> Ticket:
    """Take an unassigned ticket; supervisors may also take one over from the BOT."""
    _require_worker(actor)
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_workable(ticket)
        can_take_from_bot = ticket.status == TicketStatus.BOT and actor.has_perm("tickets.assign_ticket")
        if ticket.status != TicketStatus.UNASSIGNED and not can_take_from_bot:
            raise errors.Conflict(errors.TICKET_NOT_UNASSIGNED)
        ticket.status = TicketStatus.ASSIGNED
        ticket.assignee = actor
        ticket.save(update_fields=["status", "assignee", "updated_at"])
    return ticket


def hand_over_from_bot(*, actor, ticket: Ticket) -> Ticket:
    """Move a BOT ticket to the Unassigned queue (the BOT asks for a person)."""
    _require_worker(actor)
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.status != TicketStatus.BOT:
            raise errors.Conflict(errors.TICKET_NOT_WITH_BOT)
        ticket.status = TicketStatus.UNASSIGNED
        ticket.save(update_fields=["status", "updated_at"])
    return ticket


def _append(ticket: Ticket, *, actor, text: str, direction: str) -> Message:
    text = text.strip()
    if not text:
        raise errors.Invalid(errors.EMPTY_TEXT)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, channel_id=ticket.channel_id, direction=direction, body=text, author=actor, sent_at=now
    )
    changes = {"message_count": F("message_count") + 1, "updated_at": now}
    if direction == Message.Direction.OUT:
        changes.update(last_message_at=now, last_message_preview=preview_of(text))
    Ticket.objects.filter(pk=ticket.pk).update(**changes)
    return message


def reply_to_ticket(*, actor, ticket: Ticket, text: str) -> Message:
    """Send a reply to the customer; the ticket must be the actor's (or the actor a supervisor)."""
    _require_worker(actor)
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_workable(ticket)
        _require_own_or_supervisor(actor, ticket)
        return _append(ticket, actor=actor, text=text, direction=Message.Direction.OUT)


def add_note(*, actor, ticket: Ticket, text: str) -> Message:
    """Write an internal note in the ticket's timeline (customers never see it)."""
    _require_worker(actor)
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_workable(ticket)
        _require_own_or_supervisor(actor, ticket)
        return _append(ticket, actor=actor, text=text, direction=Message.Direction.NOTE)


def resolve_ticket(*, actor, ticket: Ticket) -> Ticket:
    """Close the conversation; the contact's next message opens a new ticket."""
    _require_worker(actor)
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_workable(ticket)
        _require_own_or_supervisor(actor, ticket)
        now = timezone.now()
        ticket.status = TicketStatus.RESOLVED
        ticket.closed_at = now
        ticket.save(update_fields=["status", "closed_at", "updated_at"])
    return ticket
