"""Fetch-and-authorize: the one denial policy for tickets, shared by console and API.

An object the user may not see is NotFound (404); one they may see but not
change is refused by the domain function (403).
"""

from django.db.models import Q
from django.utils.translation import gettext_noop

from blockdesk import errors

from .models import Ticket, TicketStatus

TICKET_NOT_FOUND = gettext_noop("No such ticket.")


def visible_tickets(user):
    """Tickets the user may see: supervisors every queue, agents their own and the Unassigned queue.

    Nobody without tickets.view_ticket sees any, the Unassigned queue included.
    """
    if not user.has_perm("tickets.view_ticket"):
        return Ticket.objects.none()
    return Ticket.objects.filter(visible_ticket_condition(user))


def visible_ticket_condition(user, through: str = "") -> Q:
    """visible_tickets' rule as a condition on tickets reached through `through` (e.g. "ticket__" from messages).

    A condition, not a subquery, so a search over every message joins each one's ticket
    instead of listing every ticket a supervisor may see.
    """
    if not user.has_perm("tickets.view_ticket"):
        return Q(**{f"{through}pk__in": []})
    condition = Q()
    if not user.has_perm("tickets.view_blocked_ticket"):
        condition &= ~Q(**{f"{through}status": TicketStatus.BLOCKED})
    if not user.has_perm("tickets.view_all_tickets"):
        condition &= Q(**{f"{through}assignee": user}) | Q(**{f"{through}status": TicketStatus.UNASSIGNED})
    return condition


def get_ticket_for(user, pk) -> Ticket:
    ticket = visible_tickets(user).select_related("contact", "channel", "assignee").filter(pk=pk).first()
    if ticket is None:
        raise errors.NotFound(TICKET_NOT_FOUND)
    return ticket
