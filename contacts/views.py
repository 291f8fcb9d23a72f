"""Contacts pages: the list, the 360 customer view, and the block / unblock flows.

Views parse input with forms, fetch-and-authorize with get_contact_for, call
contacts.blocking and map blockdesk.errors to responses:
Forbidden → 403 page with the error's text; NotFound → 404;
Conflict → error notification and back to the contact; Invalid → form error.
The 360 view and the two confirmations are htmx partials shown in the shared
dialog; without JavaScript the same URLs are full pages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from blockdesk import errors
from tickets.access import visible_tickets
from tickets.destination import ContactChannels, blocked_contact_summary, whose
from tickets.models import TicketStatus

from .access import get_contact_for
from .blocking import (
    block_contact,
    block_refusal,
    blocked_ticket_counts,
    release_status,
    unblock_contact,
    unblock_refusal,
)
from .forms import BLOCKED, BlockContactForm, ContactFilterForm, UnblockContactForm
from .models import Contact, ContactIdentity, UnblockChoice

CONTACTS_PER_PAGE = 25
HISTORY_LENGTH = 20

view_contacts_required = permission_required("contacts.view_contact", raise_exception=True)


def _plural(count: int, singular: str, plural: str = "") -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _get_contact(user, pk) -> Contact:
    try:
        return get_contact_for(user, pk)
    except errors.NotFound as error:
        raise Http404(error.detail) from error


def _safe_next(request: HttpRequest, url: str) -> str:
    """Return url if it points into this site, else ""."""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return ""
    return url


def _render(request: HttpRequest, page: str, partial: str, context: dict, status: int = 200) -> HttpResponse:
    """Render the partial for an htmx request (it goes into the dialog), else the full page."""
    in_dialog = bool(request.htmx) and not request.htmx.boosted
    response = render(request, partial if in_dialog else page, {**context, "in_dialog": in_dialog}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _refused(request: HttpRequest, detail: str, contact: Contact | None = None) -> HttpResponse:
    return _render(
        request, "contacts/refused.html", "contacts/_refused.html", {"detail": detail, "contact": contact}, status=403
    )


def _blocked_tab_url() -> str:
    return f"{reverse('contacts:list')}?tab={BLOCKED}"


@login_required
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
    page = Paginator(rows, CONTACTS_PER_PAGE).get_page(page_number)
    context = {"tab": tab, "q": q, "counts": counts, "page": page, "contacts": page.object_list}
    return render(request, "contacts/list.html", context)


@login_required
@view_contacts_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get_contact(request.user, pk)
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
    context = {
        "contact": contact,
        "identities": contact.identities.select_related("channel").order_by("channel__name"),
        "destinations": ContactChannels.load(contact).destinations(),
        "tickets": tickets,
        "current_block": current_block,
        "past_blocks": [block for block in blocks if not block.is_current],
        "can_block": not contact.is_blocked and block_refusal(user) is None,
        "can_unblock": can_unblock,
        "blocked_counts": blocked_ticket_counts(contact) if can_unblock else None,
    }
    return _render(request, "contacts/detail.html", "contacts/_contact_360.html", context)


@login_required
@view_contacts_required
@require_http_methods(["GET", "POST"])
def block(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get_contact(request.user, pk)
    if request.method == "GET":
        refusal = block_refusal(request.user)
        if refusal:
            return _refused(request, refusal, contact)
        form = BlockContactForm(initial={"next": _safe_next(request, request.GET.get("next", ""))})
        return _render_block_form(request, contact, form)

    form = BlockContactForm(request.POST)
    if not form.is_valid():
        return _render_block_form(request, contact, form)
    next_url = _safe_next(request, form.cleaned_data["next"])
    try:
        block_row = block_contact(
            actor=request.user,
            contact=contact,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            resolve_open_tickets=form.cleaned_data["resolve_open_tickets"],
        )
    except errors.Forbidden as error:
        return _refused(request, error.detail, contact)
    except errors.Invalid as error:
        form.add_error("reason", error.detail)
        return _render_block_form(request, contact, form)
    except errors.Conflict as error:
        messages.error(request, f"{contact}: {error.detail}")
        return redirect(next_url or reverse("contacts:detail", args=[contact.pk]))
    text = f"{contact} is blocked."
    if block_row.tickets_resolved:
        text += f" {_plural(block_row.tickets_resolved, 'open ticket')} resolved."
    messages.success(request, f"{text} {blocked_contact_summary(ContactChannels.load(contact).destinations())}")
    return redirect(next_url or _blocked_tab_url())


def _render_block_form(request: HttpRequest, contact: Contact, form: BlockContactForm) -> HttpResponse:
    next_url = _safe_next(request, form["next"].value() or "")
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
    return _render(request, "contacts/block.html", "contacts/_block_dialog.html", context)


@login_required
@view_contacts_required
@require_http_methods(["GET", "POST"])
def unblock(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get_contact(request.user, pk)
    if request.method == "GET":
        refusal = unblock_refusal(request.user)
        if refusal:
            return _refused(request, refusal, contact)
        form = UnblockContactForm(initial={"next": _safe_next(request, request.GET.get("next", ""))})
        return _render_unblock_confirmation(request, contact, form)

    form = UnblockContactForm(request.POST)
    if not form.is_valid():
        form.errors.clear()
        form.add_error(None, errors.INVALID_UNBLOCK_CHOICE)
        return _render_unblock_confirmation(request, contact, form)
    next_url = _safe_next(request, form.cleaned_data["next"])
    choice = form.cleaned_data["choice"]
    try:
        block_row = unblock_contact(actor=request.user, contact=contact, choice=choice)
    except errors.Forbidden as error:
        return _refused(request, error.detail, contact)
    except errors.Invalid as error:
        form.add_error(None, error.detail)
        return _render_unblock_confirmation(request, contact, form)
    except errors.Conflict as error:
        messages.error(request, f"{contact}: {error.detail}")
        return redirect(next_url or reverse("contacts:detail", args=[contact.pk]))
    if choice == UnblockChoice.UNBLOCK_ALL:
        destination = TicketStatus(release_status()).label
        moved = block_row.tickets_released
        outcome = f"{_plural(moved, 'blocked ticket')} moved to {destination}" if moved else "no blocked tickets"
    else:
        tickets = _plural(block_row.tickets_deleted, "ticket")
        outcome = f"{tickets} and {_plural(block_row.messages_deleted, 'message')} deleted"
    messages.success(request, f"{contact} is unblocked; {outcome}.")
    return redirect(next_url or _blocked_tab_url())


def _render_unblock_confirmation(request: HttpRequest, contact: Contact, form: UnblockContactForm) -> HttpResponse:
    context = {
        "contact": contact,
        "form": form,
        "next": _safe_next(request, form["next"].value() or ""),
        "counts": blocked_ticket_counts(contact) if contact.is_blocked else None,
        "destination": TicketStatus(release_status()).label,
    }
    return _render(request, "contacts/unblock.html", "contacts/_unblock_dialog.html", context)
