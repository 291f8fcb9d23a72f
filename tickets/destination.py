"""Where a contact's next message goes: the routing rule, asked before the message arrives.

A page that says where messages will go asks here, never guesses in a
template. The answer is the rule tickets.routing applies: the contact's open
ticket on the channel if there is one (Ticket.objects.open()), else a new
ticket with the status routing.new_ticket_status gives.
"""

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from blockdesk.display import person_name
from contacts.models import Channel, Contact, ContactIdentity

from .models import Ticket, TicketStatus
from .routing import new_ticket_status

# Whose an open ticket is when nobody is assigned.
UNOWNED = {
    TicketStatus.BOT: pgettext_lazy("whose ticket", "BOT"),
    TicketStatus.UNASSIGNED: pgettext_lazy("whose ticket", "Unassigned"),
    TicketStatus.BLOCKED: _("Blocked list"),
}
# Each sentence whole, so a translator words it: where the next message goes when no open ticket takes it, per
# the status of the new ticket, and which open ticket it joins, per that ticket's status.
NEW_TICKET = {
    TicketStatus.BOT: _("The next message on %(channel)s opens a new ticket with the BOT."),
    TicketStatus.UNASSIGNED: _("The next message on %(channel)s opens a new ticket in the Unassigned queue."),
    TicketStatus.BLOCKED: _(
        "The next message on %(channel)s goes to a new blocked ticket in the supervisors' Blocked list."
    ),
}
JOINS_TICKET = {
    TicketStatus.BOT: _("The next message on %(channel)s joins open ticket #%(ticket)s with the BOT."),
    TicketStatus.UNASSIGNED: _(
        "The next message on %(channel)s joins open ticket #%(ticket)s in the Unassigned queue."
    ),
    TicketStatus.ASSIGNED: _("The next message on %(channel)s joins open ticket #%(ticket)s, assigned to %(person)s."),
    TicketStatus.BLOCKED: _(
        "The next message on %(channel)s joins open ticket #%(ticket)s in the supervisors' Blocked list."
    ),
}


def whose(ticket: Ticket) -> str:
    """The person an open ticket is assigned to, else the queue that holds it: "Ana", "BOT", "Unassigned"."""
    if ticket.assignee_id is not None:
        return person_name(ticket.assignee)
    return UNOWNED.get(ticket.status, TicketStatus(ticket.status).label)


@dataclass(frozen=True)
class Destination:
    """Where the contact's next message on one channel lands."""

    channel: Channel
    # The status of the ticket the message lands in.
    status: str
    # The open ticket it joins; None when it opens a new ticket.
    ticket: Ticket | None = None

    @property
    def joins_open_ticket(self) -> bool:
        return self.ticket is not None

    @property
    def sentence(self) -> str:
        """E.g. "The next message on Shop WhatsApp joins open ticket #12, assigned to Ana."."""
        if self.ticket is None:
            return NEW_TICKET[self.status] % {"channel": self.channel}
        values = {"channel": self.channel, "ticket": self.ticket.pk, "person": whose(self.ticket)}
        return JOINS_TICKET[self.status] % values


def _destination(contact: Contact, channel: Channel, open_ticket: Ticket | None) -> Destination:
    if open_ticket is not None:
        return Destination(channel=channel, status=open_ticket.status, ticket=open_ticket)
    return Destination(channel=channel, status=new_ticket_status(contact))


def next_message_destination(contact: Contact, channel: Channel) -> Destination:
    """Where the contact's next message on this channel would go now."""
    open_ticket = Ticket.objects.open().select_related("assignee").filter(contact=contact, channel=channel).first()
    return _destination(contact, channel, open_ticket)


@dataclass(frozen=True)
class ContactChannels:
    """A contact's channels (those it has an identity or an open ticket on) and its open ticket on each."""

    contact: Contact
    channels: tuple[Channel, ...]
    open_tickets: tuple[Ticket, ...]

    @classmethod
    def load(cls, contact: Contact, identities: Iterable[ContactIdentity] | None = None) -> "ContactChannels":
        """Two queries, whatever the number of channels and tickets; one when the contact's identities (with
        their channels) are given, as the 360 view has them already."""
        open_tickets = tuple(
            Ticket.objects.open()
            .filter(contact=contact)
            .select_related("channel", "assignee")
            .order_by("channel__name", "id")
        )
        if identities is None:
            identities = ContactIdentity.objects.filter(contact=contact).select_related("channel")
        channels = {identity.channel_id: identity.channel for identity in identities}
        channels.update((ticket.channel_id, ticket.channel) for ticket in open_tickets)
        ordered = tuple(sorted(channels.values(), key=lambda channel: (channel.name, channel.pk)))
        return cls(contact=contact, channels=ordered, open_tickets=open_tickets)

    def _destinations(self, contact: Contact, open_tickets: tuple[Ticket, ...]) -> list[Destination]:
        by_channel = {ticket.channel_id: ticket for ticket in open_tickets}
        return [_destination(contact, channel, by_channel.get(channel.pk)) for channel in self.channels]

    def destinations(self) -> list[Destination]:
        """Where the next message on each channel would go now."""
        return self._destinations(self.contact, self.open_tickets)

    def destinations_after_block(self, *, resolve_open_tickets: bool) -> list[Destination]:
        """Where the next message on each channel would go once contacts.blocking.block_contact has run."""
        blocked = copy.copy(self.contact)
        blocked.is_blocked = True
        return self._destinations(blocked, () if resolve_open_tickets else self.open_tickets)


# What the block form and the notification after a block say about the contact's next messages.
ALL_TO_BLOCKED_LIST = gettext_noop("New messages from this contact go to the supervisors' Blocked list.")
OTHERS_TO_BLOCKED_LIST = gettext_noop("On its other channels, new messages go to the supervisors' Blocked list.")


def blocked_contact_summary(destinations: list[Destination]) -> str:
    """Where a blocked contact's next messages go: the open tickets they join, else the Blocked list."""
    joining = [destination.sentence for destination in destinations if destination.joins_open_ticket]
    if not joining:
        return gettext(ALL_TO_BLOCKED_LIST)
    if len(joining) < len(destinations):
        joining.append(gettext(OTHERS_TO_BLOCKED_LIST))
    return " ".join(joining)


def next_message_destinations(contact: Contact) -> list[Destination]:
    """Where the contact's next message on each of its channels would go now; two queries."""
    return ContactChannels.load(contact).destinations()
