"""Inbound routing: where a customer's message goes.

The one rule: a message joins the contact's open ticket on its channel
(bot, unassigned, assigned or blocked) if there is one; otherwise a new
ticket opens as `blocked` if the contact is blocked, else `bot` if the BOT
is on, else `unassigned`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, FilteredRelation, Q
from django.utils import timezone

from contacts.models import Channel, Contact, ContactIdentity
from settings_app.switches import current_switches

from .models import OPEN_STATUSES, Message, Ticket, TicketStatus, preview_of


@dataclass(frozen=True)
class InboundMessage:
    """A customer message as a channel delivers it."""

    message_id: str
    contact_id: str
    text: str
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    sent_at: datetime | None = None


@dataclass(frozen=True)
class RoutedMessage:
    message: Message
    ticket: Ticket
    contact: Contact
    duplicate: bool


def new_ticket_status(contact: Contact) -> str:
    if contact.is_blocked:
        return TicketStatus.BLOCKED
    return TicketStatus.BOT if current_switches().bot_enabled else TicketStatus.UNASSIGNED


def route_inbound_message(*, channel: Channel, inbound: InboundMessage) -> RoutedMessage:
    """Store the message in the ticket the rule gives it; a repeat delivery returns the first result."""
    for _ in range(ROUTE_ATTEMPTS - 1):
        try:
            return _route(channel, inbound)
        except IntegrityError:
            # A racing delivery won a unique constraint (same message id, or the
            # first message of the same new address) and everything here rolled
            # back; it has committed, so the next attempt finds its rows.
            pass
    return _route(channel, inbound)


# One try, and one retry for each unique constraint a racing delivery can win.
ROUTE_ATTEMPTS = 3

# The hot path is four statements between BEGIN and COMMIT: the duplicate
# check, the contact lock (which brings the open ticket along), the ticket
# update and the message insert.
_CONTACT_FIELDS = tuple(f.attname for f in Contact._meta.concrete_fields)
_TICKET_FIELDS = tuple(f.attname for f in Ticket._meta.concrete_fields)


def _route(channel: Channel, inbound: InboundMessage) -> RoutedMessage:
    with transaction.atomic():
        first = (
            Message.objects.select_related("ticket__contact")
            .filter(channel=channel, external_id=inbound.message_id)
            .first()
        )
        if first is not None:
            return RoutedMessage(message=first, ticket=first.ticket, contact=first.ticket.contact, duplicate=True)
        contact, ticket = _lock_contact_with_open_ticket(channel, inbound)
        if contact is None:
            contact = _create_contact(channel, inbound)
        return _store(channel, contact, ticket, inbound)


def _lock_contact_with_open_ticket(channel: Channel, inbound: InboundMessage) -> tuple[Contact | None, Ticket | None]:
    """Lock the contact this channel address belongs to, and return it with its open ticket on the channel.

    One statement: the contact row is locked (FOR UPDATE OF the contact only),
    the open ticket comes along through a LEFT JOIN. The ticket row is not
    locked by it (PostgreSQL cannot lock the nullable side of an outer join),
    so after waiting for the contact lock it may show an older status;
    _store's update matches only the status read, else reads it again.
    """
    row = (
        Contact.objects.select_for_update(of=("self",))
        .filter(identities__channel=channel, identities__external_id=inbound.contact_id)
        .annotate(
            open_ticket=FilteredRelation(
                "tickets", condition=Q(tickets__channel=channel, tickets__status__in=OPEN_STATUSES)
            )
        )
        .order_by()
        .values_list(*_CONTACT_FIELDS, *(f"open_ticket__{name}" for name in _TICKET_FIELDS))[:1]
    )
    row = next(iter(row), None)
    if row is None:
        return None, None
    db = Contact.objects.db
    contact = Contact.from_db(db, _CONTACT_FIELDS, row[: len(_CONTACT_FIELDS)])
    ticket_values = row[len(_CONTACT_FIELDS) :]
    ticket = None if ticket_values[0] is None else Ticket.from_db(db, _TICKET_FIELDS, ticket_values)
    return contact, ticket


def _create_contact(channel: Channel, inbound: InboundMessage) -> Contact:
    """Create the contact and its identity on first contact.

    If another delivery creates the same address first, the identity insert
    raises IntegrityError, the whole transaction rolls back and
    route_inbound_message tries again, finding that contact.
    """
    contact = Contact.objects.create(name=inbound.contact_name, phone=inbound.phone, email=inbound.email or "")
    ContactIdentity.objects.create(contact=contact, channel=channel, external_id=inbound.contact_id)
    return contact


def _add_to_ticket(ticket_id: int, status: str, *, now, preview: str) -> bool:
    """Count the message in the ticket if its status is still `status`; the row stays locked till commit."""
    updated = Ticket.objects.filter(pk=ticket_id, status=status).update(
        message_count=F("message_count") + 1, last_message_at=now, last_message_preview=preview, updated_at=now
    )
    return bool(updated)


def _store(channel: Channel, contact: Contact, ticket: Ticket | None, inbound: InboundMessage) -> RoutedMessage:
    now = timezone.now()
    sent_at = inbound.sent_at or now
    preview = preview_of(inbound.text)
    if ticket is not None and not _add_to_ticket(ticket.pk, ticket.status, now=now, preview=preview):
        # The ticket changed after the contact lock read it (resolved,
        # released, assigned): lock it and read it again, as it is now.
        ticket = Ticket.objects.select_for_update().filter(pk=ticket.pk, status__in=OPEN_STATUSES).first()
        if ticket is not None:
            _add_to_ticket(ticket.pk, ticket.status, now=now, preview=preview)
    if ticket is None:
        ticket = Ticket.objects.create(
            contact=contact,
            channel=channel,
            status=new_ticket_status(contact),
            last_message_at=now,
            message_count=1,
            last_message_preview=preview,
        )
    message = Message.objects.create(
        ticket=ticket,
        channel=channel,
        direction=Message.Direction.IN,
        body=inbound.text,
        external_id=inbound.message_id,
        sent_at=sent_at,
    )
    return RoutedMessage(message=message, ticket=ticket, contact=contact, duplicate=False)
