"""The Suspected list (/spam/suspected/): contacts the flood guard flagged, with Block and Dismiss.

Views are doors: the acts are contacts.flood_guard's dismiss_flag and block_flagged.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blockdesk import errors
from blockdesk.console import console_view, fail, require_permission
from contacts.blocking import block_refusal
from contacts.flood_guard import (
    HISTORY,
    NO_PERMISSION_SUSPECTED,
    OPEN,
    block_flagged,
    dismiss_flag,
    flood_guard_refusal,
    flood_note,
    get_flag,
    suspected_flags,
)
from contacts.forms import BlockContactForm
from contacts.models import FloodStatus
from contacts.notices import blocked_notice

FLAGS_PER_PAGE = 50

view_suspected_required = require_permission("contacts.view_floodflag", NO_PERMISSION_SUSPECTED)


class FlagBlockForm(BlockContactForm):
    """The contact block form's reason, note and duration; a flagged contact's open tickets are always resolved."""

    resolve_open_tickets = None
    next = None


def _list_url(view: str = OPEN) -> str:
    url = reverse("spam:suspected")
    return f"{url}?status={HISTORY}" if view == HISTORY else url


@login_required
@console_view
@view_suspected_required
@require_GET
def suspected_list(request: HttpRequest) -> HttpResponse:
    view = HISTORY if request.GET.get("status") == HISTORY else OPEN
    page = Paginator(suspected_flags(view), FLAGS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "spam_tab": "suspected",
        "view": view,
        "page": page,
        "flags": page.object_list,
        "may_act": flood_guard_refusal(request.user) is None,
        "block_refusal": block_refusal(request.user),
    }
    return render(request, "spam/suspected.html", context)


@login_required
@console_view
@view_suspected_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_flag(pk)
    try:
        dismiss_flag(actor=request.user, flag=flag)
    except errors.Conflict as error:
        return fail(request, f"{flag.contact}: {error.detail}", _list_url())
    messages.success(
        request,
        gettext("%(contact)s is no longer suspected; the flood guard counts its messages afresh from now.")
        % {"contact": flag.contact},
    )
    return redirect(_list_url())


@login_required
@console_view
@view_suspected_required
@require_http_methods(["GET", "POST"])
def block(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_flag(pk)
    refusal = flood_guard_refusal(request.user) or block_refusal(request.user)
    if refusal:
        raise errors.Forbidden(refusal)
    if flag.status != FloodStatus.OPEN:
        return fail(
            request,
            gettext("%(contact)s: this suspected spam was already handled.") % {"contact": flag.contact},
            _list_url(HISTORY),
        )
    form = FlagBlockForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = block_flagged(
                actor=request.user, flag=flag, reason=data["reason"], note=data["note"], until=data["ends_at"]
            )
        except errors.Invalid as error:
            form.add_error("reason", error.detail)
        except errors.Conflict as error:
            return fail(request, f"{flag.contact}: {error.detail}", _list_url())
        else:
            messages.success(request, blocked_notice(flag.contact, made))
            return redirect(_list_url())
    context = {
        "spam_tab": "suspected",
        "flag": flag,
        "form": form,
        "counted": flood_note(flag.messages, flag.window_minutes),
    }
    return render(request, "spam/suspected_block.html", context)
