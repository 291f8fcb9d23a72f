"""The Spam overview page (/spam/): four charts of the last 30 days, each beside a table of the same numbers."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blockdesk import errors
from blockdesk.console import console_view, require_permission

from .charts import counted, horizontal_bars, stacked_by_day
from .overview import DEFAULT_DAYS, spam_overview

OVERVIEW_PERMISSION = "tickets.view_blocked_ticket"


@login_required
@console_view
@require_permission(OVERVIEW_PERMISSION, errors.NO_PERMISSION_SPAM_OVERVIEW)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    numbers = spam_overview(days=DEFAULT_DAYS)
    days = numbers.days
    context = {
        "overview": numbers,
        "spam_tab": "overview",
        "blocked_chart": stacked_by_day(
            "chart-blocked",
            numbers.blocked_messages,
            title=f"Blocked messages per day by channel, last {days} days",
            description=f"{counted(numbers.totals.blocked_messages, 'customer message')} landed in blocked tickets.",
            unit="blocked message",
        ),
        "contacts_chart": horizontal_bars(
            "chart-contacts",
            [(contact.name or f"Contact {contact.id}", contact.messages) for contact in numbers.top_contacts],
            title=f"Top blocked contacts, last {days} days",
            description="The contacts with the most messages in blocked tickets, most first.",
            unit="blocked message",
            css_class="series-0",
        ),
        "rule_hits_chart": stacked_by_day(
            "chart-rule-hits",
            numbers.rule_hits,
            title=f"Block rule hits per day by action, last {days} days",
            description=f"Block rules matched {counted(numbers.totals.rule_hits, 'message')}; "
            f"{numbers.totals.rejected} of them were rejected.",
            unit="hit",
        ),
        "top_rules_chart": horizontal_bars(
            "chart-top-rules",
            [(f"{rule.kind_label} {rule.value}", rule.hits) for rule in numbers.top_rules],
            title=f"Top block rules by hits, last {days} days",
            description="The rules that matched most messages, most first.",
            unit="hit",
            css_class="series-1",
        ),
        "flood_chart": stacked_by_day(
            "chart-flood",
            numbers.flood_flags,
            title=f"Flood flags per day by outcome, last {days} days",
            description=f"The flood guard raised {counted(numbers.totals.flood_flags, 'suspected-spam flag')}.",
            unit="flag",
        ),
    }
    return render(request, "spam/overview.html", context)
