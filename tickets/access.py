"""Fetch-and-authorize: the one denial policy for tickets, shared by console and API.

An object the user may not see is NotFound (404); one they may see but not
change is refused by the domain function (403).
"""

from django.db.models import Q

from blockdesk import errors

from .models import Ticket, TicketStatus

TICKET_NOT_FOUND = "No such ticket."


def visible_tickets(user):
    """Tickets the user may see: supervisors every queue, agents their own and the Unassigned queue.

    Nobody without tickets.view_ticket sees any, the Unassigned queue included.
    """
    if not user.has_perm("tickets.view_ticket"):
        return Ticket.objects.none()
    tickets = Ticket.objects.all()
    if not user.has_perm("tickets.view_blocked_ticket"):
        tickets = tickets.exclude(status=TicketStatus.BLOCKED)
    if not user.has_perm("tickets.view_all_tickets"):
        tickets = tickets.filter(Q(assignee=user) | Q(status=TicketStatus.UNASSIGNED))
    return tickets


def get_ticket_for(user, pk) -> Ticket:
    ticket = visible_tickets(user).select_related("contact", "channel", "assignee").filter(pk=pk).first()
    if ticket is None:
        raise errors.NotFound(TICKET_NOT_FOUND)
    return ticket
