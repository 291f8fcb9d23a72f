"""The signed-in person's notices: the list (opening it marks them read) and the navigation counter."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blockdesk import errors
from blockdesk.console import console_view, require_permission

from . import notices


@login_required
@console_view
@require_permission("tickets.view_ticket", errors.NO_PERMISSION_VIEW_TICKETS)
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    recent = notices.recent_for(request.user)
    unread = {n.pk for n in recent if n.read_at is None}
    notices.mark_read(request.user, recent)
    return render(request, "tickets/notices.html", {"notices": recent, "unread": unread})


@login_required
@console_view
@require_permission("tickets.view_ticket", errors.NO_PERMISSION_VIEW_TICKETS)
@require_GET
def notice_counter(request: HttpRequest) -> HttpResponse:
    """The navigation's unread counter, loaded after the page and refreshed (pages pay no query for it)."""
    n = notices.unread_count(request.user)
    shown = f"{notices.UNREAD_CAP}+" if n > notices.UNREAD_CAP else n
    return render(request, "tickets/_notice_counter.html", {"unread": shown})
