"""Queue actions on tickets: assign, take, hand over from the BOT, reply, note, resolve, reopen.

Each locks the ticket row, so two people acting on one ticket (or an
inbound message and a resolve) happen one after the other.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext

from blockdesk import errors
from contacts import audit
from contacts.models import AuditEntry

from .models import Message, Speaker, Ticket, TicketStatus, preview_of
from .notices import notify_assigned

WORKING_STATUSES = (TicketStatus.BOT, TicketStatus.UNASSIGNED, TicketStatus.ASSIGNED)


def lock_ticket(ticket: Ticket) -> Ticket:
    """Reload the ticket locked for this transaction: the one way to change an open ticket."""
    return Ticket.objects.select_for_update().select_related("contact", "channel").get(pk=ticket.pk)


def _workable_refusal(ticket: Ticket) -> errors.DomainError | None:
    if ticket.status == TicketStatus.BLOCKED:
        return errors.Conflict(errors.TICKET_IS_BLOCKED)
    if ticket.status == TicketStatus.RESOLVED:
        return errors.Conflict(errors.TICKET_CLOSED)
    return None


def _worker_refusal(actor) -> errors.DomainError | None:
    if not actor.has_perm("tickets.work_ticket"):
        return errors.Forbidden(errors.NO_PERMISSION_WORK)
    return None


def take_refusal(actor, ticket: Ticket) -> errors.DomainError | None:
    """Why the actor may not take the ticket now, or None: Unassigned for workers, the BOT's for supervisors too."""
    refusal = _worker_refusal(actor) or _workable_refusal(ticket)
    if refusal:
        return refusal
    from_bot = ticket.status == TicketStatus.BOT and actor.has_perm("tickets.assign_ticket")
    if ticket.status != TicketStatus.UNASSIGNED and not from_bot:
        return errors.Conflict(errors.TICKET_NOT_UNASSIGNED)
    return None


def write_refusal(actor, ticket: Ticket) -> errors.DomainError | None:
    """Why the actor may not reply to, note or resolve the ticket now, or None: own tickets, or any for supervisors."""
    return _worker_refusal(actor) or _workable_refusal(ticket) or _owner_refusal(actor, ticket)


def _owner_refusal(actor, ticket: Ticket) -> errors.DomainError | None:
    if ticket.assignee_id != actor.pk and not actor.has_perm("tickets.assign_ticket"):
        return errors.Forbidden(errors.TICKET_NOT_YOURS)
    return None


def hand_over_refusal(actor, ticket: Ticket) -> errors.DomainError | None:
    """Why the actor (None: the bot itself) may not move the ticket from the BOT to Unassigned now, or None."""
    refusal = _worker_refusal(actor) if actor is not None else None
    if refusal:
        return refusal
    if ticket.status != TicketStatus.BOT:
        return errors.Conflict(errors.TICKET_NOT_WITH_BOT)
    return None


def can_take(actor, ticket: Ticket) -> bool:
    return take_refusal(actor, ticket) is None


def can_write(actor, ticket: Ticket) -> bool:
    return write_refusal(actor, ticket) is None


def can_hand_over(actor, ticket: Ticket) -> bool:
    return hand_over_refusal(actor, ticket) is None


def _raise_if(refusal: errors.DomainError | None) -> None:
    if refusal:
        raise refusal


def require_may_write(actor, ticket: Ticket) -> None:
    """Refuse an actor who may not reply or add notes in this ticket (views ask before reading the text)."""
    _raise_if(_worker_refusal(actor) or _owner_refusal(actor, ticket))


def assign_ticket(*, actor, ticket: Ticket, assignee) -> Ticket:
    """Give an open ticket to a person who can work on it."""
    if not actor.has_perm("tickets.assign_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_ASSIGN)
    if not assignee.is_active or not assignee.has_perm("tickets.work_ticket"):
        raise errors.Invalid(errors.ASSIGNEE_CANNOT_WORK)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _raise_if(_workable_refusal(ticket))
        ticket.status = TicketStatus.ASSIGNED
        ticket.assignee = assignee
        ticket.save(update_fields=["status", "assignee", "updated_at"])
        notify_assigned(actor=actor, ticket=ticket)
    return ticket


def take_ticket(*, actor, ticket: Ticket) -> Ticket:
    """Take an unassigned ticket; supervisors may also take one over from the BOT."""
    _raise_if(_worker_refusal(actor))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _raise_if(take_refusal(actor, ticket))
        ticket.status = TicketStatus.ASSIGNED
        ticket.assignee = actor
        ticket.save(update_fields=["status", "assignee", "updated_at"])
    return ticket


def hand_over_from_bot(*, actor, ticket: Ticket) -> Ticket:
    """Move a BOT ticket to the Unassigned queue (the BOT asks for a person); actor None is the bot itself."""
    if actor is not None:
        _raise_if(_worker_refusal(actor))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _raise_if(hand_over_refusal(actor, ticket))
        ticket.status = TicketStatus.UNASSIGNED
        # Whatever the BOT said last, the customer now waits for a person: from the hand-over, if not before.
        ticket.waiting_since = ticket.waiting_since or timezone.now()
        ticket.save(update_fields=["status", "waiting_since", "updated_at"])
    return ticket


def append_message(ticket: Ticket, *, actor, text: str, direction: str, **fields) -> Message:
    """Add a message to a locked ticket; fields are extra Message values (a reply's delivery state)."""
    text = text.strip()
    if not text:
        raise errors.Invalid(errors.EMPTY_TEXT)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        channel_id=ticket.channel_id,
        direction=direction,
        body=text,
        author=actor,
        sent_at=now,
        **fields,
    )
    changes = {"message_count": F("message_count") + 1, "updated_at": now}
    if direction == Message.Direction.OUT:
        changes.update(last_message_at=now, last_message_preview=preview_of(text), **answered(now))
    Ticket.objects.filter(pk=ticket.pk).update(**changes)
    return message


def answered(now: datetime) -> dict:
    """The ticket columns a reply to the customer sets, for the UPDATE that stores it (no extra statement).

    We spoke last, nobody waits any more, and the first reply is remembered (first-response times).
    """
    return {
        "waiting_since": None,
        "last_speaker": Speaker.US,
        "first_reply_at": Coalesce(F("first_reply_at"), now),
    }


def add_note(*, actor, ticket: Ticket, text: str) -> Message:
    """Write an internal note in the ticket's timeline (customers never see it)."""
    _raise_if(_worker_refusal(actor))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _raise_if(write_refusal(actor, ticket))
        return append_message(ticket, actor=actor, text=text, direction=Message.Direction.NOTE)


def resolve_ticket(*, actor, ticket: Ticket) -> Ticket:
    """Close the conversation; the contact's next message opens a new ticket."""
    _raise_if(_worker_refusal(actor))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _raise_if(write_refusal(actor, ticket))
        now = timezone.now()
        ticket.status = TicketStatus.RESOLVED
        ticket.closed_at = now
        ticket.waiting_since = None
        ticket.save(update_fields=["status", "closed_at", "waiting_since", "updated_at"])
    return ticket


def reopen_refusal(actor, ticket: Ticket) -> errors.DomainError | None:
    """Why the actor may not reopen the ticket now, or None: a resolved ticket of a contact not blocked, the actor's
    own (the last person who had it) or any for supervisors."""
    refusal = _worker_refusal(actor)
    if refusal:
        return refusal
    if ticket.status != TicketStatus.RESOLVED:
        return errors.Conflict(errors.TICKET_NOT_RESOLVED)
    if ticket.contact.is_blocked:
        return errors.Conflict(errors.REOPEN_CONTACT_BLOCKED)
    return _owner_refusal(actor, ticket)


def can_reopen(actor, ticket: Ticket) -> bool:
    return reopen_refusal(actor, ticket) is None


def reopen_ticket(*, actor, ticket: Ticket) -> Ticket:
    """Open a resolved ticket again: back to the person who had it if they still work tickets, else Unassigned.

    Refused for a blocked contact, and while the contact has another open ticket on the channel (a new message
    after the resolve opened it). Audited. The customer waits again if they spoke last.
    """
    _raise_if(_worker_refusal(actor))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _raise_if(reopen_refusal(actor, ticket))
        other = Ticket.objects.open().filter(contact_id=ticket.contact_id, channel_id=ticket.channel_id).first()
        if other is not None:
            raise errors.Conflict(gettext(errors.REOPEN_OTHER_OPEN).format(pk=other.pk))
        keeper = ticket.assignee
        if keeper is not None and keeper.is_active and keeper.has_perm("tickets.work_ticket"):
            ticket.status = TicketStatus.ASSIGNED
        else:
            ticket.status, ticket.assignee = TicketStatus.UNASSIGNED, None
        ticket.closed_at = None
        ticket.waiting_since = ticket.last_message_at if ticket.last_speaker == Speaker.CUSTOMER else None
        ticket.save(update_fields=["status", "assignee", "closed_at", "waiting_since", "updated_at"])
        # The audit trail stores English whoever reopens (the status labels are translated only for display).
        with translation.override("en"):
            change = f"Resolved → {ticket.get_status_display()}"
        audit.record(
            AuditEntry.Action.TICKET_REOPENED, actor=actor, contact=ticket.contact, ticket_id=ticket.pk, change=change
        )
        if ticket.status == TicketStatus.ASSIGNED:
            notify_assigned(actor=actor, ticket=ticket)
    return ticket
