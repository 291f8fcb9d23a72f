"""Notices: what a person is told in the console (a ticket assigned to them, a customer writing in it, a new
blocked ticket or suspected spam for those who may see the Blocked list).

A notice carries no message text, only its kind and ticket: the list shows the
ticket's number and contact, so a blocked message never reaches anyone through
a notice. Each is written in the transaction of the act it tells of.
"""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from blockdesk.insert_rows import insert_rows
from blockdesk.model_rows import unsaved

from .models import Notice, Ticket, TicketStatus

# The navigation counter reads "99+" past this many unread notices.
UNREAD_CAP = 99
# The notices list shows this many, newest first.
LIST_LIMIT = 50
PERMISSIONS_BACKEND = "django.contrib.auth.backends.ModelBackend"


def notify_assigned(*, actor, ticket: Ticket) -> None:
    """Tell the assignee a ticket is now theirs (not when they took it themselves)."""
    if ticket.assignee_id and ticket.assignee_id != actor.pk:
        Notice.objects.create(
            recipient_id=ticket.assignee_id, kind=Notice.Kind.ASSIGNED, ticket=ticket, created=timezone.now()
        )


def customer_wrote(ticket: Ticket, *, now: datetime) -> Notice | None:
    """The notice telling an assigned ticket's assignee that their customer wrote (unsaved); None for other tickets."""
    if ticket.status == TicketStatus.ASSIGNED and ticket.assignee_id:
        return unsaved(
            Notice,
            related={"ticket": ticket},
            recipient_id=ticket.assignee_id,
            kind=Notice.Kind.CUSTOMER_WROTE,
            created=now,
        )
    return None


def notify_inbound(routed: list) -> None:
    """After routing stored messages: tell each assignee their customer wrote, and those who see the Blocked list
    of each ticket that opened in it. One INSERT at most (two statements with a new blocked ticket); none for a
    result whose notice routing already wrote with its message (`notified`)."""
    now = timezone.now()
    notices, seen = [], set()
    opened_blocked = []
    for result in routed:
        ticket = result.ticket
        if result.duplicate or result.notified or ticket is None or ticket.pk in seen:
            continue
        seen.add(ticket.pk)
        notice = customer_wrote(ticket, now=now)
        if notice is not None:
            notices.append(notice)
        elif ticket.status == TicketStatus.BLOCKED and result.opened:
            opened_blocked.append(ticket)
    if opened_blocked:
        for person in blocked_list_readers():
            notices += [
                Notice(recipient=person, kind=Notice.Kind.BLOCKED_TICKET, ticket=t, created=now) for t in opened_blocked
            ]
    insert_rows(notices)


def notify_flood_flags(flags: list) -> None:
    """Once routing's transaction commits, tell those who see the Blocked list of each flood flag it made.

    A flag open now is "suspected spam" (the Suspected list has Block and Dismiss); one the guard
    closed as auto-blocked tells of the block. One query for the readers, one INSERT.
    """
    flags = [flag for flag in flags if flag is not None]
    if flags:
        transaction.on_commit(lambda: _write_flood_notices(flags))


def _write_flood_notices(flags: list) -> None:
    now = timezone.now()
    notices = [
        Notice(recipient=person, kind=Notice.Kind.SUSPECTED_SPAM, flood_flag=flag, created=now)
        for person in blocked_list_readers()
        for flag in flags
    ]
    if notices:
        Notice.objects.bulk_create(notices)


def blocked_list_readers():
    """Active people who may see the Blocked list (groups, direct permissions and superusers), in one query."""
    return get_user_model().objects.with_perm("tickets.view_blocked_ticket", backend=PERMISSIONS_BACKEND)


def unread_count(user) -> int:
    """The user's unread notices, counted up to UNREAD_CAP + 1."""
    return Notice.objects.filter(recipient=user, read_at__isnull=True).values("id")[: UNREAD_CAP + 1].count()


def recent_for(user) -> list[Notice]:
    """The user's newest notices with their tickets and contacts, in one query."""
    rows = Notice.objects.filter(recipient=user).select_related("ticket__contact", "flood_flag__contact")
    return list(rows[:LIST_LIMIT])


def mark_read(user, notices: list[Notice]) -> int:
    """Mark these of the user's notices read (the list was opened); return how many were unread."""
    unread = [n.pk for n in notices if n.read_at is None]
    if not unread:
        return 0
    return Notice.objects.filter(Q(pk__in=unread) & Q(recipient=user)).update(read_at=timezone.now())
