from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """Send each person to where their day starts."""
    if request.user.has_perm("tickets.view_all_tickets"):
        return redirect("tickets:supervisor")
    if request.user.has_perm("tickets.work_ticket"):
        return redirect("tickets:agent")
    return redirect("contacts:list")
