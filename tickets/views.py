"""The dashboards, the ticket view and its actions.

Views check the permission first, parse input, fetch-and-authorize with
get_ticket_for and call one domain function; blockdesk.console maps its errors
(Forbidden → the 403 page, NotFound → the 404 page, Conflict and Invalid → a
notification and a redirect). Every page costs the same number of queries
whatever the number of tickets: lists select_related what they show and the
tab counts are one statement (TicketQuerySet.capped_counts).
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from blockdesk import errors
from blockdesk.console import (
    console_view,
    fail,
    perform,
    render_page_or_dialog,
    requested_next,
    require_permission,
)
from blockdesk.display import messages_phrase, person_name
from contacts.blocking import (
    block_refusal,
    delete_blocked_ticket,
    delete_blocked_tickets,
    release_blocked_tickets,
    release_status,
)
from contacts.models import Channel
from settings_app.switches import current_switches
from tickets import outbox, queue
from tickets.senders import reply_window_closes_at

from .access import get_ticket_for, visible_tickets
from .assignee_menu import AssigneeMenu
from .destination import next_message_destination
from .filters import FILTER_PARAMETERS, SORTS, QueueFilter, QueueFilterForm, default_sort
from .forms import (
    BAD_TIMELINE_POLL,
    LIVE_DELIVERY_STATES,
    AssignForm,
    TextForm,
    TicketSelectionForm,
    TimelinePollForm,
    people_who_work_tickets,
)
from .models import COUNT_CAP, Message, Ticket, TicketStatus

PAGE_SIZE = 25
# The newest messages a ticket view shows; older ones are summarised in one line.
TIMELINE_LIMIT = 200
# A reply is queued at once and sent by a worker; the timeline shows how far it got.
REPLY_QUEUED = gettext_noop("Reply queued on ticket #{pk}; its delivery shows in the timeline.")
RETRY_QUEUED = gettext_noop("Reply on ticket #{pk} queued again.")
NOTE_ADDED = gettext_noop("Note added to ticket #{pk}.")


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    permission: str = ""
    empty: str = _("No tickets in this queue.")
    refusal: str = ""


SUPERVISOR_QUEUES = (
    Queue(TicketStatus.BOT, TicketStatus.BOT.label),
    Queue(TicketStatus.UNASSIGNED, TicketStatus.UNASSIGNED.label),
    Queue(TicketStatus.ASSIGNED, TicketStatus.ASSIGNED.label),
    Queue(TicketStatus.RESOLVED, TicketStatus.RESOLVED.label),
    Queue(
        TicketStatus.BLOCKED,
        TicketStatus.BLOCKED.label,
        permission="tickets.view_blocked_ticket",
        empty=_("No blocked tickets. Messages from blocked contacts will appear here."),
        refusal=errors.NO_PERMISSION_BLOCKED_LIST,
    ),
)
AGENT_QUEUES = (
    Queue("mine", _("My tickets"), empty=_("You have no open tickets. Take one from Unassigned.")),
    Queue(
        TicketStatus.UNASSIGNED,
        TicketStatus.UNASSIGNED.label,
        empty=_("Nobody is waiting. New conversations appear here."),
    ),
)
BOARDS = {"supervisor": SUPERVISOR_QUEUES, "agent": AGENT_QUEUES}
BOARD_PERMISSIONS = {
    "supervisor": ("tickets.view_all_tickets", errors.NO_PERMISSION_SUPERVISOR_DASHBOARD),
    "agent": ("tickets.work_ticket", errors.NO_PERMISSION_WORK),
}
# Supervisors start where people are waiting; agents start with their own work.
DEFAULT_QUEUES = {"supervisor": TicketStatus.UNASSIGNED, "agent": "mine"}


# --- reading -------------------------------------------------------------------------------------------------


def _queues_for(user, board: str) -> tuple[Queue, ...]:
    return tuple(q for q in BOARDS[board] if not q.permission or user.has_perm(q.permission))


def _chosen_queue(request: HttpRequest, queues: tuple[Queue, ...], board: str) -> Queue:
    key = request.GET.get("queue") or DEFAULT_QUEUES[board]
    for candidate in queues:
        if candidate.key == key:
            return candidate
    for refused in BOARDS[board]:
        if refused.key == key:
            raise PermissionDenied(refused.refusal)
    raise Http404(errors.NO_SUCH_QUEUE)


# A tab shows "10,000+" past this many tickets.
TAB_COUNT_CAP = COUNT_CAP


def _my_tickets(user):
    return Ticket.objects.in_queue(TicketStatus.ASSIGNED).assigned_to(user)


def _counts(user, board: str) -> dict[str, int]:
    """Every tab's count in one query, each up to TAB_COUNT_CAP + 1."""
    if board == "supervisor":
        queues = {status: Ticket.objects.in_queue(status) for status in TicketStatus.values}
    else:
        queues = {"mine": _my_tickets(user), "unassigned": Ticket.objects.in_queue(TicketStatus.UNASSIGNED)}
    return Ticket.objects.capped_counts(queues, cap=TAB_COUNT_CAP)


def _shown(count: int) -> int | str:
    return f"{TAB_COUNT_CAP:,}+" if count > TAB_COUNT_CAP else count


def _tabs(request: HttpRequest, board: str, active: str, counts: dict[str, int]) -> dict:
    page_url = reverse(f"tickets:{board}")
    # A tab keeps the filters (not the sort, which each queue chooses, nor the page).
    kept = urlencode({k: v for k, v in request.GET.items() if k in FILTER_PARAMETERS and k != "sort" and v})
    tabs = [
        {
            "key": q.key,
            "label": q.label,
            "count": _shown(counts.get(q.key, 0)),
            "url": f"{page_url}?queue={q.key}" + (f"&{kept}" if kept else ""),
            "active": q.key == active,
        }
        for q in _queues_for(request.user, board)
    ]
    return {"tabs": tabs, "board": board, "active": active, "counts": counts}


def _queue_tickets(user, key: str):
    if key == "mine":
        return _my_tickets(user).for_list()
    return Ticket.objects.in_queue(key).for_list()


def _filters(request: HttpRequest, board: str, people: list) -> tuple[QueueFilter, QueueFilterForm, list]:
    """The queue filters of the URL; a bad one is said above the list and none is applied."""
    channels = list(Channel.objects.order_by("name").values_list("id", "name"))
    assignee_ids = {person.pk for person in people} if board == "supervisor" else None
    form = QueueFilterForm(request.GET, channel_ids={pk for pk, _ in channels}, assignee_ids=assignee_ids)
    return (form.queue_filter() if form.is_valid() else QueueFilter()), form, channels


def _dashboard(request: HttpRequest, board: str, template: str) -> HttpResponse:
    """The board's tabs and the chosen queue's page, read in one request so the badges and the table agree."""
    queues = _queues_for(request.user, board)
    chosen = _chosen_queue(request, queues, board)
    # One query for the assignee filter and every row's select, not one per row.
    people = list(people_who_work_tickets()) if board == "supervisor" else []
    queue_filter, filter_form, channels = _filters(request, board, people)
    tickets = queue_filter.apply(_queue_tickets(request.user, chosen.key), chosen.key)
    counts = _counts(request.user, board)
    paginator = Paginator(tickets, PAGE_SIZE)
    if not queue_filter.active and counts[chosen.key] <= TAB_COUNT_CAP:
        # Unfiltered, the list is the tab's queue: its count is already known, no second COUNT of the same rows.
        paginator.count = counts[chosen.key]
    page = paginator.get_page(request.GET.get("page"))
    can_assign = board == "supervisor" and request.user.has_perm("tickets.assign_ticket")
    query = request.GET.urlencode()
    context = {
        **_tabs(request, board, chosen.key, counts),
        "queue": chosen,
        "blocked": chosen.key == TicketStatus.BLOCKED,
        "page": page,
        "tickets": page.object_list,
        "workers": AssigneeMenu(people if can_assign and chosen.key != TicketStatus.RESOLVED else ()),
        "filter_form": filter_form,
        "filter_error": "" if filter_form.is_valid() else filter_form.first_error(),
        "filter": queue_filter,
        "sort": queue_filter.sort or default_sort(chosen.key),
        "sorts": SORTS,
        "channels": channels,
        "people": people,
        "waiting_alert": current_switches().waiting_alert_minutes,
        # The dashboard's own address, also when the live refresh renders the rows: Take and Assign come back here.
        "here": reverse(f"tickets:{board}") + (f"?{query}" if query else ""),
        "live_url": reverse("tickets:queue_live", args=[board]) + (f"?{query}" if query else ""),
        "refresh_seconds": settings.CONSOLE_REFRESH_SECONDS,
    }
    return render(request, template, context)


@login_required
@console_view
@require_permission("tickets.view_all_tickets", errors.NO_PERMISSION_SUPERVISOR_DASHBOARD)
@require_permission("tickets.view_ticket", errors.NO_PERMISSION_VIEW_TICKETS)
@require_GET
def supervisor_dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "supervisor", "tickets/supervisor.html")


@login_required
@console_view
@require_permission("tickets.work_ticket", errors.NO_PERMISSION_WORK)
@require_permission("tickets.view_ticket", errors.NO_PERMISSION_VIEW_TICKETS)
@require_GET
def agent_dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "agent", "tickets/agent.html")


def _poll_after_logout(request: HttpRequest) -> HttpResponse:
    """A poll after the session ended: send the whole page to the login form."""
    login = reverse("login")
    return HttpResponseClientRedirect(login) if request.htmx else redirect(login)


@console_view
@require_GET
def queue_live(request: HttpRequest, board: str) -> HttpResponse:
    """The tabs and the open queue's rows, polled by the dashboards: the same reads and permissions as the page."""
    if not request.user.is_authenticated:
        return _poll_after_logout(request)
    if board not in BOARDS:
        raise Http404(errors.NO_SUCH_DASHBOARD)
    permission, refusal = BOARD_PERMISSIONS[board]
    if not request.user.has_perm(permission):
        raise PermissionDenied(refusal)
    if not request.user.has_perm("tickets.view_ticket"):
        raise PermissionDenied(errors.NO_PERMISSION_VIEW_TICKETS)
    return _dashboard(request, board, "tickets/_queue_live.html")


@login_required
@console_view
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = get_ticket_for(user, pk)
    timeline = ticket.messages.timeline(TIMELINE_LIMIT)
    may_assign = ticket.status in queue.WORKING_STATUSES and user.has_perm("tickets.assign_ticket")
    context = {
        "ticket": ticket,
        "contact": ticket.contact,
        "timeline": timeline,
        "hidden_messages": max(ticket.message_count - len(timeline), 0),
        "is_blocked": ticket.status == TicketStatus.BLOCKED,
        "may_write": queue.can_write(user, ticket),
        "may_take": queue.can_take(user, ticket),
        "may_hand_over": queue.can_hand_over(user, ticket),
        "may_retry": outbox.can_retry_in(user, ticket),
        "may_reopen": queue.can_reopen(user, ticket),
        "reopen_refused": _reopen_refusal_shown(user, ticket),
        "previous_ticket": visible_tickets(user)
        .filter(contact_id=ticket.contact_id, created_at__lt=ticket.created_at)
        .order_by("-created_at")
        .only("pk", "created_at", "status")
        .first(),
        "waiting_alert": current_switches().waiting_alert_minutes,
        "reply_window": _reply_window(ticket),
        "may_block_contact": _may_block_contact(user, ticket),
        "next_destination": (
            next_message_destination(ticket.contact, ticket.channel) if ticket.status == TicketStatus.RESOLVED else None
        ),
        "workers": AssigneeMenu(people_who_work_tickets() if may_assign else ()),
        "reply_form": TextForm(prefix="reply"),
        "note_form": TextForm(prefix="note"),
        "here": request.get_full_path(),
        "last_message_id": max((message.pk for message in timeline), default=0),
        "seen": ticket.status,
        "tracked": _tracked(timeline),
        "refresh_seconds": settings.CONSOLE_REFRESH_SECONDS,
    }
    return render(request, "tickets/detail.html", context)


def _reply_window(ticket: Ticket) -> dict | None:
    """When the channel stops taking replies (WhatsApp's 24 hours), for an open ticket of a kind that has a window."""
    if not ticket.is_open or ticket.status == TicketStatus.BLOCKED:
        return None
    closes = reply_window_closes_at(ticket)
    return None if closes is None else {"closes": closes, "open": closes > timezone.now()}


def _tracked(messages) -> str:
    """The poll's `shown`: each reply on the page whose delivery state may still change, with that state."""
    return ",".join(
        f"{m.pk}:{m.delivery_state}"
        for m in messages
        if m.direction == Message.Direction.OUT and m.delivery_state in LIVE_DELIVERY_STATES
    )


@console_view
@require_GET
def ticket_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Messages newer than the ticket view shows, to append, and its status line: polled by the ticket view."""
    if not request.user.is_authenticated:
        return _poll_after_logout(request)
    ticket = get_ticket_for(request.user, pk)
    form = TimelinePollForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(BAD_TIMELINE_POLL, content_type="text/plain; charset=utf-8")
    after = form.cleaned_data["after"]
    # Oldest first and at most a view's worth: a long burst arrives over the next polls, none skipped.
    new = list(ticket.messages.filter(pk__gt=after).select_related("author").order_by("pk")[:TIMELINE_LIMIT])
    shown = form.cleaned_data["shown"]
    # Replies shown whose delivery state moved on: swapped in place, out of band.
    replies = list(ticket.messages.filter(pk__in=shown, pk__lte=after).select_related("author").order_by("pk"))
    changed = [message for message in replies if message.delivery_state != shown[message.pk]]
    context = {
        "ticket": ticket,
        "contact": ticket.contact,
        "new_messages": new,
        "changed_messages": changed,
        "tracked": _tracked([*replies, *new]),
        "may_retry": outbox.can_retry_in(request.user, ticket),
        "last_message_id": new[-1].pk if new else after,
        "seen": form.cleaned_data["seen"],
        "refresh_seconds": settings.CONSOLE_REFRESH_SECONDS,
    }
    return render(request, "tickets/_timeline_update.html", context)


def _reopen_refusal_shown(user, ticket: Ticket) -> str:
    """Why a resolved ticket cannot be reopened, when the reason is its blocked contact (the refusal says why)."""
    refusal = queue.reopen_refusal(user, ticket) if ticket.status == TicketStatus.RESOLVED else None
    return refusal.detail if refusal and refusal.detail == errors.REOPEN_CONTACT_BLOCKED else ""


def _may_block_contact(user, ticket: Ticket) -> bool:
    """Block contact shows for a contact not yet blocked: agents on their own ticket, supervisors on any."""
    if ticket.contact.is_blocked or block_refusal(user):
        return False
    return ticket.assignee_id == user.pk or user.has_perm("tickets.view_all_tickets")


# --- acting --------------------------------------------------------------------------------------------------


def _ticket_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _blocked_list_url() -> str:
    return reverse("tickets:supervisor") + f"?queue={TicketStatus.BLOCKED}"


def _queue_label(status: str) -> str:
    return TicketStatus(status).label


@login_required
@console_view
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    return perform(
        request,
        lambda: queue.take_ticket(actor=request.user, ticket=ticket),
        done=lambda _: gettext("Ticket #%(pk)s is now assigned to you.") % {"pk": ticket.pk},
        success=_ticket_url(ticket),
        failure=requested_next(request, reverse("home")),
    )


@login_required
@console_view
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    if not request.user.has_perm("tickets.assign_ticket"):
        raise PermissionDenied(errors.NO_PERMISSION_ASSIGN)
    back = requested_next(request, _ticket_url(ticket))
    form = AssignForm(request.POST)
    if not form.is_valid():
        return fail(request, errors.ASSIGNEE_CANNOT_WORK, back)
    assignee = form.cleaned_data["assignee"]
    return perform(
        request,
        lambda: queue.assign_ticket(actor=request.user, ticket=ticket, assignee=assignee),
        done=lambda _: (
            gettext("Ticket #%(pk)s assigned to %(person)s.") % {"pk": ticket.pk, "person": person_name(assignee)}
        ),
        success=back,
        failure=back,
    )


@login_required
@console_view
@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    return perform(
        request,
        lambda: queue.resolve_ticket(actor=request.user, ticket=ticket),
        done=lambda _: gettext("Ticket #%(pk)s resolved.") % {"pk": ticket.pk},
        success=requested_next(request, reverse("home")),
        failure=_ticket_url(ticket),
    )


@login_required
@console_view
@require_POST
def retry_delivery(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    message = ticket.messages.select_related("ticket__contact").filter(pk=message_pk).first()
    if message is None:
        raise Http404(errors.NO_SUCH_MESSAGE)
    back = requested_next(request, _ticket_url(ticket))
    return perform(
        request,
        lambda: outbox.retry_delivery(actor=request.user, message=message),
        done=lambda _: gettext(RETRY_QUEUED).format(pk=ticket.pk),
        success=back,
        failure=back,
    )


@login_required
@console_view
@require_GET
def failed_deliveries(request: HttpRequest) -> HttpResponse:
    """Supervisors: every reply whose delivery failed, newest first, with Retry."""
    if not request.user.has_perm("tickets.view_all_tickets"):
        raise PermissionDenied(errors.NO_PERMISSION_FAILED_DELIVERIES)
    failed = Message.objects.failed_deliveries().select_related("ticket__contact", "channel", "author")
    page = Paginator(failed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/failed.html", {"page": page, "here": request.get_full_path()})


def _write(request: HttpRequest, pk: int, *, prefix: str, write: Callable, done: str) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    queue.require_may_write(request.user, ticket)
    form = TextForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return fail(request, next(iter(form.errors["text"])), _ticket_url(ticket))
    text = form.cleaned_data["text"]
    return perform(
        request,
        lambda: write(actor=request.user, ticket=ticket, text=text),
        done=lambda _: gettext(done).format(pk=ticket.pk),
        success=_ticket_url(ticket),
        failure=_ticket_url(ticket),
    )


@login_required
@console_view
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    return _write(request, pk, prefix="reply", write=outbox.send_reply, done=REPLY_QUEUED)


@login_required
@console_view
@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    return _write(request, pk, prefix="note", write=queue.add_note, done=NOTE_ADDED)


@login_required
@console_view
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    return perform(
        request,
        lambda: queue.reopen_ticket(actor=request.user, ticket=ticket),
        done=lambda reopened: (
            gettext("Ticket #%(pk)s reopened: back with %(person)s.")
            % {"pk": ticket.pk, "person": person_name(reopened.assignee)}
            if reopened.assignee
            else gettext("Ticket #%(pk)s reopened: it is in the Unassigned queue.") % {"pk": ticket.pk}
        ),
        success=_ticket_url(ticket),
        failure=_ticket_url(ticket),
    )


@login_required
@console_view
@require_POST
def hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    return perform(
        request,
        lambda: queue.hand_over_from_bot(actor=request.user, ticket=ticket),
        done=lambda _: gettext("Ticket #%(pk)s moved to Unassigned.") % {"pk": ticket.pk},
        success=requested_next(request, _ticket_url(ticket)),
        failure=_ticket_url(ticket),
    )


@login_required
@console_view
@require_POST
def unblock(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    return perform(
        request,
        lambda: release_blocked_tickets(actor=request.user, ticket_ids=[ticket.pk]),
        done=lambda _: (
            gettext("Ticket #%(pk)s moved to %(queue)s.") % {"pk": ticket.pk, "queue": _queue_label(release_status())}
        ),
        success=requested_next(request, _blocked_list_url()),
        failure=_ticket_url(ticket),
    )


@login_required
@console_view
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk)
    return perform(
        request,
        lambda: delete_blocked_ticket(actor=request.user, ticket=ticket),
        done=lambda counts: (
            ngettext(
                "Ticket #%(pk)s and its %(count)s message deleted.",
                "Ticket #%(pk)s and its %(count)s messages deleted.",
                counts.messages,
            )
            % {"pk": ticket.pk, "count": counts.messages}
        ),
        success=_blocked_list_url(),
        failure=_ticket_url(ticket),
    )


@login_required
@console_view
@require_GET
def confirm_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask before deleting one blocked ticket (a dialog with htmx, a page without)."""
    ticket = get_ticket_for(request.user, pk)
    if not request.user.has_perm("tickets.delete_blocked_ticket"):
        raise PermissionDenied(errors.NO_PERMISSION_DELETE_TICKET)
    context = {
        "title": gettext("Delete ticket #%(pk)s?") % {"pk": ticket.pk},
        "problem": "" if ticket.status == TicketStatus.BLOCKED else gettext(errors.TICKET_NOT_BLOCKED),
        "question": ngettext(
            "Delete ticket #%(pk)s from %(contact)s and its %(count)s message? This cannot be undone.",
            "Delete ticket #%(pk)s from %(contact)s and its %(count)s messages? This cannot be undone.",
            ticket.message_count,
        )
        % {"pk": ticket.pk, "contact": ticket.contact, "count": ticket.message_count},
        "action_url": reverse("tickets:delete", args=[ticket.pk]),
        "action_label": gettext("Delete ticket"),
        "danger": True,
        "ticket_ids": [],
        "cancel_url": _ticket_url(ticket),
    }
    return _render_confirmation(request, context)


BULK_ACTIONS = {
    "unblock": ("tickets.unblock_ticket", errors.NO_PERMISSION_UNBLOCK_TICKET),
    "delete": ("tickets.delete_blocked_ticket", errors.NO_PERMISSION_DELETE_TICKET),
}


@login_required
@console_view
@require_permission("tickets.view_blocked_ticket", errors.NO_PERMISSION_BLOCKED_LIST)
@require_GET
def confirm_bulk(request: HttpRequest) -> HttpResponse:
    """Say how many tickets and messages a bulk unblock or delete would touch, and ask."""
    action = request.GET.get("action", "")
    if action not in BULK_ACTIONS:
        raise Http404(errors.NO_SUCH_ACTION)
    permission, refusal = BULK_ACTIONS[action]
    if not request.user.has_perm(permission):
        raise PermissionDenied(refusal)
    form = TicketSelectionForm(request.GET)
    ids = form.cleaned_data["ticket"] if form.is_valid() else []
    found = Ticket.objects.filter(id__in=ids, status=TicketStatus.BLOCKED).aggregate(
        tickets=Count("id"), messages=Sum("message_count")
    )
    tickets, message_total = found["tickets"], found["messages"] or 0
    problem = ""
    if not form.is_valid():
        problem = form.first_error()
    elif tickets != len(ids):
        problem = gettext(errors.TICKETS_NOT_BLOCKED)
    counts = {"count": tickets, "messages": messages_phrase(message_total)}
    if action == "delete":
        question = ngettext(
            "Delete %(count)s blocked ticket with %(messages)s? "
            "They are removed from the database; this cannot be undone.",
            "Delete %(count)s blocked tickets with %(messages)s? "
            "They are removed from the database; this cannot be undone.",
            tickets,
        )
        label = ngettext("Delete %(count)s ticket", "Delete %(count)s tickets", tickets)
    else:
        counts["destination"] = _queue_label(release_status())
        question = ngettext(
            "Unblock %(count)s blocked ticket with %(messages)s? "
            "They move to %(destination)s; the contacts stay blocked.",
            "Unblock %(count)s blocked tickets with %(messages)s? "
            "They move to %(destination)s; the contacts stay blocked.",
            tickets,
        )
        label = ngettext("Unblock %(count)s ticket", "Unblock %(count)s tickets", tickets)
    context = {
        "title": gettext("Delete blocked tickets?") if action == "delete" else gettext("Unblock tickets?"),
        "problem": problem,
        "question": question % counts,
        "action_url": reverse(f"tickets:bulk_{action}"),
        "action_label": label % counts,
        "danger": action == "delete",
        "ticket_ids": ids,
        "cancel_url": _blocked_list_url(),
    }
    return _render_confirmation(request, context)


def _render_confirmation(request: HttpRequest, context: dict) -> HttpResponse:
    return render_page_or_dialog(request, "tickets/confirm.html", "tickets/_confirm.html", context)


def _bulk(request: HttpRequest, action: Callable, done: Callable[..., str]) -> HttpResponse:
    form = TicketSelectionForm(request.POST)
    if not form.is_valid():
        return fail(request, form.first_error(), _blocked_list_url())
    ids = form.cleaned_data["ticket"]
    return perform(
        request,
        lambda: action(actor=request.user, ticket_ids=ids),
        done=done,
        success=_blocked_list_url(),
        failure=_blocked_list_url(),
    )


@login_required
@console_view
@require_permission("tickets.view_blocked_ticket", errors.NO_PERMISSION_BLOCKED_LIST)
@require_permission(*BULK_ACTIONS["unblock"])
@require_POST
def bulk_unblock(request: HttpRequest) -> HttpResponse:
    return _bulk(
        request,
        release_blocked_tickets,
        done=lambda n: (
            ngettext("%(count)s ticket moved to %(queue)s.", "%(count)s tickets moved to %(queue)s.", n)
            % {"count": n, "queue": _queue_label(release_status())}
        ),
    )


@login_required
@console_view
@require_permission("tickets.view_blocked_ticket", errors.NO_PERMISSION_BLOCKED_LIST)
@require_permission(*BULK_ACTIONS["delete"])
@require_POST
def bulk_delete(request: HttpRequest) -> HttpResponse:
    return _bulk(
        request,
        delete_blocked_tickets,
        done=lambda counts: (
            ngettext(
                "%(count)s ticket and %(messages)s deleted.",
                "%(count)s tickets and %(messages)s deleted.",
                counts.tickets,
            )
            % {"count": counts.tickets, "messages": messages_phrase(counts.messages)}
        ),
    )
