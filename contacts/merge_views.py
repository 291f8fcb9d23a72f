"""Merge and edit pages of the 360 view: find the other contact, confirm the merge, edit the profile.

The contact whose 360 view the person is in survives a merge; the
confirmation offers to keep the other one instead. Views fetch-and-authorize
with get_contact_for and call contacts.merging / contacts.editing;
blockdesk.console answers Forbidden and NotFound with its 403 and 404 pages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from blockdesk import errors
from blockdesk.console import console_view, fail, go_to, render_page_or_dialog, require_permission
from blockdesk.display import tickets_phrase

from .access import get_contact_for
from .duplicates import possible_duplicates
from .editing import EDITABLE, edit_contact
from .forms import ContactEditForm, MergeSearchForm
from .merging import MergeResult, merge_contacts, plan_merge
from .models import Contact, ContactIdentity

SEARCH_RESULTS = 20

view_contacts_required = require_permission("contacts.view_contact", errors.NO_PERMISSION_VIEW_CONTACTS)
merge_required = require_permission("contacts.merge_contact", errors.NO_PERMISSION_MERGE)
edit_required = require_permission("contacts.change_contact", errors.NO_PERMISSION_EDIT_CONTACT)


@login_required
@console_view
@view_contacts_required
@merge_required
@require_GET
def merge_search(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    q = MergeSearchForm(request.GET).text()
    if q:
        found = list(Contact.objects.search(q).exclude(pk=contact.pk).order_by("name", "id")[:SEARCH_RESULTS])
    else:
        found = [duplicate.contact for duplicate in possible_duplicates(contact)]
    context = {"contact": contact, "q": q, "found": found}
    return render_page_or_dialog(request, "contacts/merge_search.html", "contacts/_merge_search.html", context)


@login_required
@console_view
@view_contacts_required
@merge_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    survivor = get_contact_for(request.user, pk)
    merged = get_contact_for(request.user, other)
    detail_url = reverse("contacts:detail", args=[survivor.pk])
    if request.method == "GET":
        if survivor.pk == merged.pk:
            return fail(request, errors.MERGE_WITH_ITSELF, detail_url)
        context = {
            "plan": plan_merge(survivor=survivor, merged=merged),
            "identities": ContactIdentity.objects.filter(contact=merged).select_related("channel").order_by("id"),
        }
        return render_page_or_dialog(request, "contacts/merge.html", "contacts/_merge_dialog.html", context)
    merged_name = str(merged)
    try:
        result = merge_contacts(actor=request.user, survivor=survivor, merged=merged)
    except (errors.Conflict, errors.Invalid) as error:
        return fail(request, error.detail, detail_url)
    messages.success(request, _merged_text(merged_name, result))
    return go_to(request, detail_url)


def _merged_text(merged_name: str, result: MergeResult) -> str:
    moved = {
        "merged": merged_name,
        "number": result.merged_id,
        "survivor": result.survivor,
        "addresses": ngettext("%(count)d channel address", "%(count)d channel addresses", result.identities)
        % {"count": result.identities},
        "tickets": tickets_phrase(result.tickets),
    }
    if not result.tickets_joined:
        return (
            gettext("%(merged)s (#%(number)s) is merged into %(survivor)s: %(addresses)s and %(tickets)s moved.")
            % moved
        )
    return gettext(
        "%(merged)s (#%(number)s) is merged into %(survivor)s: %(addresses)s and %(tickets)s moved; "
        "%(pairs)s of open tickets on one channel made one."
    ) % {
        **moved,
        "pairs": ngettext("%(count)d pair", "%(count)d pairs", result.tickets_joined)
        % {"count": result.tickets_joined},
    }


@login_required
@console_view
@view_contacts_required
@edit_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_for(request.user, pk)
    detail_url = reverse("contacts:detail", args=[contact.pk])
    if request.method == "GET":
        form = ContactEditForm(initial={name: getattr(contact, name) for name in ContactEditForm.base_fields})
        return _render_edit_form(request, contact, form)
    form = ContactEditForm(request.POST)
    if not form.is_valid():
        return _render_edit_form(request, contact, form)
    try:
        changes = edit_contact(actor=request.user, contact=contact, **form.cleaned_data)
    except errors.Invalid as error:
        form.add_error(None, error.detail)
        return _render_edit_form(request, contact, form)
    if changes:
        fields = ", ".join(gettext(EDITABLE[change.field]) for change in changes)
        messages.success(request, gettext("Saved: %(fields)s.") % {"fields": fields})
    else:
        messages.info(request, gettext("Nothing changed."))
    return go_to(request, detail_url)


def _render_edit_form(request: HttpRequest, contact: Contact, form: ContactEditForm) -> HttpResponse:
    context = {"contact": contact, "form": form}
    return render_page_or_dialog(request, "contacts/edit.html", "contacts/_edit_dialog.html", context)
