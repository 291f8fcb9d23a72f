"""Block rule pages (supervisors): the list, add, edit and delete (/spam/rules/).

Views ask contacts.block_rules whether the person may act (rule_refusal),
parse input with spam.rule_forms and call the domain verbs. Invalid and
Conflict become form errors (nothing changed); blockdesk.console answers
Forbidden and NotFound with the styled 403 and 404 pages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from blockdesk import errors
from blockdesk.console import console_view
from contacts.block_rules import create_rule, delete_rule, get_rule_for, rule_refusal, rules_matching, update_rule
from contacts.spam_models import BlockRule, RuleAction
from settings_app.switches import current_switches

from .rule_forms import PRECEDENCE_HELP, RuleFilterForm, RuleForm

RULES_PER_PAGE = 50
RULES_TAB = "rules"


def _require(request: HttpRequest, verb: str) -> None:
    refusal = rule_refusal(request.user, verb)
    if refusal:
        raise PermissionDenied(refusal)


def _page_context(**context) -> dict:
    return {"spam_tab": RULES_TAB, "blocking_on": current_switches().block_contacts_enabled, **context}


@login_required
@console_view
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    action, q, page_number = RuleFilterForm(request.GET).filters()
    page = Paginator(rules_matching(action=action, q=q), RULES_PER_PAGE).get_page(page_number)
    context = _page_context(
        action=action,
        q=q,
        actions=RuleAction.choices,
        page=page,
        rules=page.object_list,
        precedence=gettext(PRECEDENCE_HELP),
        can_add=rule_refusal(request.user, "add") is None,
        can_change=rule_refusal(request.user, "change") is None,
        can_delete=rule_refusal(request.user, "delete") is None,
    )
    return render(request, "spam/rules.html", context)


def _render_form(request: HttpRequest, form: RuleForm, rule: BlockRule | None = None, status: int = 200):
    context = _page_context(form=form, rule=rule, precedence=gettext(PRECEDENCE_HELP))
    return render(request, "spam/rule_form.html", context, status=status)


@login_required
@console_view
@require_http_methods(["GET", "POST"])
def rule_add(request: HttpRequest) -> HttpResponse:
    _require(request, "add")
    if request.method == "GET":
        return _render_form(request, RuleForm())
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form)
    try:
        rule = create_rule(actor=request.user, **form.cleaned_data)
    except (errors.Invalid, errors.Conflict) as error:
        form.add_refusal(error)
        return _render_form(request, form)
    messages.success(request, gettext("%(rule)s added.") % {"rule": rule})
    return redirect("spam:rules")


@login_required
@console_view
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change")
    rule = get_rule_for(request.user, pk)
    if request.method == "GET":
        return _render_form(request, RuleForm(rule=rule), rule)
    form = RuleForm(request.POST, rule=rule)
    if not form.is_valid():
        return _render_form(request, form, rule)
    data = form.cleaned_data
    try:
        changed = update_rule(
            actor=request.user,
            rule=rule,
            value=data["value"],
            action=data["action"],
            note=data["note"],
            channel=data["channel"],
        )
    except (errors.Invalid, errors.Conflict) as error:
        form.add_refusal(error)
        return _render_form(request, form, rule)
    messages.success(request, gettext("%(rule)s saved.") % {"rule": changed})
    return redirect("spam:rules")


@login_required
@console_view
@require_http_methods(["GET", "POST"])
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "delete")
    rule = get_rule_for(request.user, pk)
    if request.method == "GET":
        return render(request, "spam/rule_delete.html", _page_context(rule=rule))
    delete_rule(actor=request.user, rule=rule)
    messages.success(request, gettext("%(rule)s deleted.") % {"rule": rule})
    return redirect(reverse("spam:rules"))
