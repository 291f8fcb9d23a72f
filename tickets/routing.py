"""Inbound routing: where a customer's message goes.

The one rule: a message joins the contact's open ticket on its channel
(bot, unassigned, assigned or blocked) if there is one; otherwise a new
ticket opens as `blocked` if the contact is blocked, else `bot` if the BOT
is on, else `unassigned`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
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
    try:
        return _route(channel, inbound)
    except IntegrityError:
        # A racing delivery of the same message id won (the unique constraint
        # refused ours and everything above it rolled back): answer with it.
        return _route(channel, inbound)


def _route(channel: Channel, inbound: InboundMessage) -> RoutedMessage:
    with transaction.atomic():
        first = (
            Message.objects.select_related("ticket__contact")
            .filter(channel=channel, external_id=inbound.message_id)
            .first()
        )
        if first is not None:
            return RoutedMessage(message=first, ticket=first.ticket, contact=first.ticket.contact, duplicate=True)
        contact, is_new = _lock_or_create_contact(channel, inbound)
        return _store(channel, contact, inbound, look_for_open_ticket=not is_new)


def _lock_or_create_contact(channel: Channel, inbound: InboundMessage) -> tuple[Contact, bool]:
    """Return the contact this channel address belongs to, locked, creating it on first contact."""
    contact = (
        Contact.objects.select_for_update(of=("self",))
        .filter(identities__channel=channel, identities__external_id=inbound.contact_id)
        .first()
    )
    if contact is not None:
        return contact, False
    try:
        with transaction.atomic():
            contact = Contact.objects.create(name=inbound.contact_name, phone=inbound.phone, email=inbound.email or "")
            ContactIdentity.objects.create(contact=contact, channel=channel, external_id=inbound.contact_id)
        return contact, True
    except IntegrityError:
        # Another delivery created this address first; use its contact.
        contact = (
            Contact.objects.select_for_update(of=("self",))
            .filter(identities__channel=channel, identities__external_id=inbound.contact_id)
            .get()
        )
        return contact, False


def _store(channel: Channel, contact: Contact, inbound: InboundMessage, *, look_for_open_ticket: bool) -> RoutedMessage:
    now = timezone.now()
    sent_at = inbound.sent_at or now
    preview = preview_of(inbound.text)
    ticket = None
    if look_for_open_ticket:
        # Locking the ticket makes a concurrent resolve either finish first
        # (then the row no longer matches and a new ticket opens) or wait.
        ticket = (
            Ticket.objects.select_for_update()
            .filter(contact=contact, channel=channel, status__in=OPEN_STATUSES)
            .first()
        )
    if ticket is None:
        ticket = Ticket.objects.create(
            contact=contact,
            channel=channel,
            status=new_ticket_status(contact),
            last_message_at=now,
            message_count=1,
            last_message_preview=preview,
        )
    else:
        Ticket.objects.filter(pk=ticket.pk).update(
            message_count=F("message_count") + 1, last_message_at=now, last_message_preview=preview, updated_at=now
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
