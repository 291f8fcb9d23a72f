"""Saved replies in the console: the list to manage them, and the short search beside the reply box."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from blockdesk import errors
from blockdesk.console import console_view, fail, perform, require_permission

from . import saved_replies
from .access import get_ticket_for
from .models import SavedReply


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=SavedReply._meta.get_field("title").max_length)
    body = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    team = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("title", "body"):
            self.fields[name].error_messages["required"] = gettext(errors.SAVED_REPLY_EMPTY)


def _list_url() -> str:
    return reverse("tickets:saved_replies")


@login_required
@console_view
@require_permission("tickets.work_ticket", errors.NO_PERMISSION_WORK)
@require_GET
def saved_reply_list(request: HttpRequest) -> HttpResponse:
    replies = list(saved_replies.usable_by(request.user).order_by("owner_id", "title", "id"))
    context = {
        "mine": [r for r in replies if not r.is_team],
        "team": [r for r in replies if r.is_team],
        "form": SavedReplyForm(),
        "may_manage_team": request.user.has_perm(saved_replies.TEAM_PERMISSION),
        "placeholders": saved_replies.PLACEHOLDERS,
    }
    return render(request, "tickets/saved_replies.html", context)


@login_required
@console_view
@require_permission("tickets.work_ticket", errors.NO_PERMISSION_WORK)
@require_POST
def saved_reply_add(request: HttpRequest) -> HttpResponse:
    form = SavedReplyForm(request.POST)
    if not form.is_valid():
        return fail(request, next(iter(e for errs in form.errors.values() for e in errs)), _list_url())
    data = form.cleaned_data
    return perform(
        request,
        lambda: saved_replies.add_saved_reply(
            actor=request.user, title=data["title"], body=data["body"], team=data["team"]
        ),
        done=lambda reply: (
            (
                gettext("Saved reply “%(title)s” added for the team.")
                if reply.is_team
                else gettext("Saved reply “%(title)s” added.")
            )
            % {"title": reply.title}
        ),
        success=_list_url(),
        failure=_list_url(),
    )


@login_required
@console_view
@require_permission("tickets.work_ticket", errors.NO_PERMISSION_WORK)
@require_POST
def saved_reply_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reply = saved_replies.get_for(request.user, pk)
    return perform(
        request,
        lambda: saved_replies.delete_saved_reply(actor=request.user, reply=reply),
        done=lambda _: gettext("Saved reply “%(title)s” deleted.") % {"title": reply.title},
        success=_list_url(),
        failure=_list_url(),
    )


@login_required
@console_view
@require_permission("tickets.work_ticket", errors.NO_PERMISSION_WORK)
@require_GET
def saved_reply_search(request: HttpRequest, pk: int) -> HttpResponse:
    """The replies matching ?q=, filled for this ticket's contact and the signed-in agent (an htmx partial)."""
    ticket = get_ticket_for(request.user, pk)
    text = request.GET.get("q", "")[:100]
    found = [
        {"reply": reply, "text": saved_replies.filled(reply, contact=ticket.contact, agent=request.user)}
        for reply in saved_replies.search(request.user, text)
    ]
    return render(request, "tickets/_saved_reply_results.html", {"found": found, "searched": text})
