from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from blockdesk import errors
from blockdesk.console import console_view


@login_required
@console_view
def home(request):
    """Send each person to where their day starts."""
    if request.user.has_perm("tickets.view_all_tickets"):
        return redirect("tickets:supervisor")
    if request.user.has_perm("tickets.work_ticket"):
        return redirect("tickets:agent")
    if request.user.has_perm("contacts.view_contact"):
        return redirect("contacts:list")
    raise PermissionDenied(errors.NO_ROLE)
