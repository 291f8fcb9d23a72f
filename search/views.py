"""The search page: contacts, a ticket by number and matching messages for one text, messages paged."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blockdesk.console import console_view

from .finders import MAX_QUERY_LENGTH, MESSAGE_CANDIDATES, messages_in_order, search, search_refusal

MESSAGES_PER_PAGE = 20


class SearchForm(forms.Form):
    q = forms.CharField(max_length=MAX_QUERY_LENGTH, required=False, strip=True)
    page = forms.CharField(max_length=12, required=False)


@login_required
@console_view
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    refusal = search_refusal(request.user)
    if refusal:
        raise PermissionDenied(refusal)
    form = SearchForm(request.GET)
    context = {"form": form, "q": "", "results": None, "candidates": MESSAGE_CANDIDATES}
    if form.is_valid() and form.cleaned_data["q"]:
        results = search(request.user, form.cleaned_data["q"])
        page = Paginator(results.message_ids, MESSAGES_PER_PAGE).get_page(form.cleaned_data["page"] or "1")
        context.update(
            q=results.text,
            results=results,
            page=page,
            found_messages=messages_in_order(results, list(page.object_list)),
        )
    return render(request, "search/page.html", context)
