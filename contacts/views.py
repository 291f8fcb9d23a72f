"""Contacts pages: the list, the 360 customer view, and the block / unblock flows.

Views check the permission first, parse input with forms, fetch-and-authorize
with get_contact_for and call contacts.blocking; blockdesk.console answers
Forbidden and NotFound with the 403 and 404 pages (or dialogs). Here, Conflict
→ error notification and back to the contact; Invalid → form error.
The 360 view and the two confirmations are htmx partials shown in the shared
dialog; without JavaScript the same URLs are full pages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blockdesk import errors
from blockdesk.console import console_view, fail, go_to, perform, render_page_or_dialog, require_permission, safe_next
from blockdesk.display import messages_phrase, tickets_phrase
from tickets.access import visible_tickets
from tickets.destination import ContactChannels, blocked_contact_summary, whose
from tickets.models import TicketStatus

from .access import get_contact_for, visible_blocked_counts
from .blocking import (
    BULK_BLOCK_MAX,
    BlockedTicketCounts,
    BulkBlocked,
    block_contact,
    block_contacts,
    block_refusal,
    bulk_block_selection,
    release_status,
    unblock_contact,
    unblock_refusal,
)
from .duplicates import possible_duplicates
from .editing import edit_refusal
from .forms import BLOCKED, BlockContactForm, BulkBlockForm, ContactFilterForm, UnblockContactForm
from .merging import merge_refusal
from .models import Block, Contact, ContactIdentity, UnblockChoice
from .notices import blocked_notice

CONTACTS_PER_PAGE = 25
HISTORY_LENGTH = 20

view_contacts_required = require_permission("contacts.view_contact", errors.NO_PERMISSION_VIEW_CONTACTS)


def _blocked_tab_url() -> str:
    return f"{reverse('contacts:list')}?tab={BLOCKED}"


@login_required
@console_view
@view_contacts_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    tab, q, page_number = ContactFilterForm(request.GET).filters()
    found = Contact.objects.search(q)
    counts = found.aggregate(all=Count("id"), blocked=Count("id", filter=Q(is_blocked=True)))
    if tab == BLOCKED:
        rows = found.blocked().select_related("blocked_by").order_by("-blocked_at", "-id")
    else:
        rows = found.order_by("name", "id")
    rows = rows.prefetch_related(
        Prefetch("identities", queryset=ContactIdentity.objects.select_related("channel").order_by("channel__name"))
    )
    paginator = Paginator(rows, CONTACTS_PER_PAGE)
    paginator.count = counts[BLOCKED if tab == BLOCKED else "all"]  # counted above: no second COUNT
    page = paginator.get_page(page_number)
    context = {
        "tab": tab,
        "q": q,
        "counts": counts,
        "page": page,
        "contacts": page.object_list,
        "can_block": block_refusal(request.user) is None,
    }
    return render(request, "contacts/list.html", context)


@login_required
@console_view
@view_contacts_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        contact = get_contact_for(request.user, pk)
    except errors.MergedAway as merged:
        return go_to(request, reverse("contacts:detail", args=[merged.merged_into]))
    user = request.user
    blocks = list(contact.blocks.select_related("blocked_by", "lifted_by")[:HISTORY_LENGTH])
    current_block = next((block for block in blocks if block.is_current), None) if contact.is_blocked else None
    tickets = (
        visible_tickets(user)
        .filter(contact=contact)
        .select_related("channel", "assignee")
        .order_by("-last_message_at", "-id")[:HISTORY_LENGTH]
    )
    can_unblock = contact.is_blocked and unblock_refusal(user) is None
    identities = list(contact.identities.select_related("channel").order_by("channel__name"))
    # The contact's channels are its identities' (no second query) and its open tickets (one query), which hold
    # its blocked tickets too.
    channels = ContactChannels.load(contact, identities)
    context = {
        "contact": contact,
        "identities": identities,
        # Where the next message goes names open tickets: only for people who may see tickets.
        "destinations": channels.destinations() if user.has_perm("tickets.view_ticket") else None,
        "tickets": tickets,
        "current_block": current_block,
        "past_blocks": [block for block in blocks if not block.is_current],
        "can_block": not contact.is_blocked and block_refusal(user) is None,
        "can_unblock": can_unblock,
        "blocked_counts": (
            visible_blocked_counts(user, contact, known=_blocked_counts(channels.open_tickets)) if can_unblock else None
        ),
        "can_edit": edit_refusal(user) is None,
        "can_merge": merge_refusal(user) is None,
        "duplicates": possible_duplicates(contact),
    }
    return render_page_or_dialog(request, "contacts/detail.html", "contacts/_contact_360.html", context)


def _blocked_counts(open_tickets) -> BlockedTicketCounts:
    """What the contact's blocked tickets hold, from its open tickets: a blocked ticket is an open one."""
    messages_per_ticket = [ticket.message_count for ticket in open_tickets if ticket.status == TicketStatus.BLOCKED]
    return BlockedTicketCounts(tickets=len(messages_per_ticket), messages=sum(messages_per_ticket))


@login_required
@console_view
@view_contacts_required
@require_http_methods(["GET", "POST"])
def block(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    refusal = block_refusal(request.user)
    if refusal:
        raise PermissionDenied(refusal)
    if request.method == "GET":
        form = BlockContactForm(initial={"next": safe_next(request, request.GET.get("next", ""))})
        return _render_block_form(request, contact, form)

    form = BlockContactForm(request.POST)
    if not form.is_valid():
        return _render_block_form(request, contact, form)
    next_url = safe_next(request, form.cleaned_data["next"])
    try:
        block_row = block_contact(
            actor=request.user,
            contact=contact,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            resolve_open_tickets=form.cleaned_data["resolve_open_tickets"],
            until=form.cleaned_data["ends_at"],
        )
    except errors.Invalid as error:
        form.add_error("reason", error.detail)
        return _render_block_form(request, contact, form)
    except errors.Conflict as error:
        return fail(request, f"{contact}: {error.detail}", next_url or reverse("contacts:detail", args=[contact.pk]))
    summary = blocked_contact_summary(ContactChannels.load(contact).destinations())
    messages.success(request, f"{blocked_notice(contact, block_row)} {summary}")
    return redirect(next_url or _blocked_tab_url())


@login_required
@console_view
@view_contacts_required
@require_POST
def bulk_block(request: HttpRequest) -> HttpResponse:
    """Block selected: the first POST (from the list) asks to confirm, the second (confirm=on) blocks."""
    refusal = block_refusal(request.user)
    if refusal:
        raise PermissionDenied(refusal)
    form = BulkBlockForm(request.POST)
    list_url = reverse("contacts:list")
    if not form.is_valid() and "contact" in form.errors:
        return fail(request, form.first_error(), list_url)
    ids = form.selected()
    if len(ids) > BULK_BLOCK_MAX:
        return fail(request, errors.TOO_MANY_CONTACTS.format(limit=BULK_BLOCK_MAX), list_url)
    if not form.is_valid() or not form.cleaned_data["confirm"]:
        contacts, open_tickets = bulk_block_selection(ids)
        context = {
            "form": form,
            "show_errors": "confirm" in request.POST,
            "contacts": contacts,
            "to_block": [c for c in contacts if not c.is_blocked],
            "open_tickets": open_tickets,
        }
        return render(request, "contacts/bulk_block.html", context)
    data = form.cleaned_data
    return perform(
        request,
        lambda: block_contacts(
            actor=request.user,
            contact_ids=ids,
            reason=data["reason"],
            note=data["note"],
            resolve_open_tickets=data["resolve_open_tickets"],
            until=data["ends_at"],
        ),
        done=_bulk_block_done,
        success=_blocked_tab_url(),
        failure=list_url,
    )


def _bulk_block_done(result: BulkBlocked) -> str:
    blocked = len(result.blocked)
    if resolved := result.tickets_resolved:
        text = gettext("%(contacts)s blocked, %(tickets)s resolved.") % {
            "contacts": ngettext("%(count)d contact", "%(count)d contacts", blocked) % {"count": blocked},
            "tickets": ngettext("%(count)d open ticket", "%(count)d open tickets", resolved) % {"count": resolved},
        }
    else:
        text = ngettext("%(count)d contact blocked.", "%(count)d contacts blocked.", blocked) % {"count": blocked}
    if result.already_blocked:
        text += " " + gettext("Already blocked, left as they were: %(contacts)s.") % {
            "contacts": ", ".join(str(c) for c in result.already_blocked)
        }
    return text


def _render_block_form(request: HttpRequest, contact: Contact, form: BlockContactForm) -> HttpResponse:
    next_url = safe_next(request, form["next"].value() or "")
    channels = ContactChannels.load(contact)
    ids = [ticket.pk for ticket in channels.open_tickets]
    may_open = set(visible_tickets(request.user).filter(id__in=ids).values_list("id", flat=True)) if ids else set()
    context = {
        "contact": contact,
        "form": form,
        "next": next_url,
        "open_tickets": [
            {"ticket": ticket, "whose": whose(ticket), "may_open": ticket.pk in may_open}
            for ticket in channels.open_tickets
        ],
        "if_resolved": blocked_contact_summary(channels.destinations_after_block(resolve_open_tickets=True)),
        "if_left_open": blocked_contact_summary(channels.destinations_after_block(resolve_open_tickets=False)),
    }
    return render_page_or_dialog(request, "contacts/block.html", "contacts/_block_dialog.html", context)


@login_required
@console_view
@view_contacts_required
@require_http_methods(["GET", "POST"])
def unblock(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    refusal = unblock_refusal(request.user)
    if refusal:
        raise PermissionDenied(refusal)
    if request.method == "GET":
        form = UnblockContactForm(initial={"next": safe_next(request, request.GET.get("next", ""))})
        return _render_unblock_confirmation(request, contact, form)

    form = UnblockContactForm(request.POST)
    if not form.is_valid():
        form.errors.clear()
        form.add_error(None, errors.INVALID_UNBLOCK_CHOICE)
        return _render_unblock_confirmation(request, contact, form)
    next_url = safe_next(request, form.cleaned_data["next"])
    choice = form.cleaned_data["choice"]
    try:
        block_row = unblock_contact(actor=request.user, contact=contact, choice=choice)
    except errors.Invalid as error:
        form.add_error(None, error.detail)
        return _render_unblock_confirmation(request, contact, form)
    except errors.Conflict as error:
        return fail(request, f"{contact}: {error.detail}", next_url or reverse("contacts:detail", args=[contact.pk]))
    messages.success(request, _unblocked_text(contact, block_row, choice))
    return redirect(next_url or _blocked_tab_url())


def _unblocked_text(contact: Contact, block_row: Block, choice: str) -> str:
    if choice != UnblockChoice.UNBLOCK_ALL:
        deleted_tickets, deleted_messages = block_row.tickets_deleted, block_row.messages_deleted
        return gettext("%(contact)s is unblocked; %(tickets)s and %(messages)s deleted.") % {
            "contact": contact,
            "tickets": tickets_phrase(deleted_tickets),
            "messages": messages_phrase(deleted_messages),
        }
    moved = block_row.tickets_released
    if not moved:
        return gettext("%(contact)s is unblocked; no blocked tickets.") % {"contact": contact}
    return ngettext(
        "%(contact)s is unblocked; %(count)d blocked ticket moved to %(destination)s.",
        "%(contact)s is unblocked; %(count)d blocked tickets moved to %(destination)s.",
        moved,
    ) % {"contact": contact, "count": moved, "destination": TicketStatus(release_status()).label}


def _render_unblock_confirmation(request: HttpRequest, contact: Contact, form: UnblockContactForm) -> HttpResponse:
    context = {
        "contact": contact,
        "form": form,
        "next": safe_next(request, form["next"].value() or ""),
        "counts": visible_blocked_counts(request.user, contact) if contact.is_blocked else None,
        "destination": TicketStatus(release_status()).label,
    }
    return render_page_or_dialog(request, "contacts/unblock.html", "contacts/_unblock_dialog.html", context)
