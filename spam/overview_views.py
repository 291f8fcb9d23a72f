"""The Spam overview page (/spam/): four charts of the last 30 days, each beside a table of the same numbers."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET

from blockdesk import errors
from blockdesk.console import console_view, require_permission

from .charts import BLOCKED_MESSAGES, FLAGS, HITS, horizontal_bars, stacked_by_day
from .overview import DEFAULT_DAYS, spam_overview

OVERVIEW_PERMISSION = "tickets.view_blocked_ticket"


@login_required
@console_view
@require_permission(OVERVIEW_PERMISSION, errors.NO_PERMISSION_SPAM_OVERVIEW)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    numbers = spam_overview(days=DEFAULT_DAYS)
    days = numbers.days
    totals = numbers.totals
    context = {
        "overview": numbers,
        "spam_tab": "overview",
        "blocked_chart": stacked_by_day(
            "chart-blocked",
            numbers.blocked_messages,
            title=ngettext(
                "Blocked messages per day by channel, last %(days)d day",
                "Blocked messages per day by channel, last %(days)d days",
                days,
            )
            % {"days": days},
            description=ngettext(
                "%(count)d customer message landed in blocked tickets.",
                "%(count)d customer messages landed in blocked tickets.",
                totals.blocked_messages,
            )
            % {"count": totals.blocked_messages},
            unit=BLOCKED_MESSAGES,
        ),
        "contacts_chart": horizontal_bars(
            "chart-contacts",
            [
                (contact.name or gettext("Contact %(number)s") % {"number": contact.id}, contact.messages)
                for contact in numbers.top_contacts
            ],
            title=ngettext("Top blocked contacts, last %(days)d day", "Top blocked contacts, last %(days)d days", days)
            % {"days": days},
            description=gettext("The contacts with the most messages in blocked tickets, most first."),
            unit=BLOCKED_MESSAGES,
            css_class="series-0",
        ),
        "rule_hits_chart": stacked_by_day(
            "chart-rule-hits",
            numbers.rule_hits,
            title=ngettext(
                "Block rule hits per day by action, last %(days)d day",
                "Block rule hits per day by action, last %(days)d days",
                days,
            )
            % {"days": days},
            description=ngettext(
                "Block rules matched %(count)d message; %(rejected)d of them were rejected.",
                "Block rules matched %(count)d messages; %(rejected)d of them were rejected.",
                totals.rule_hits,
            )
            % {"count": totals.rule_hits, "rejected": totals.rejected},
            unit=HITS,
        ),
        "top_rules_chart": horizontal_bars(
            "chart-top-rules",
            [(f"{rule.kind_label} {rule.value}", rule.hits) for rule in numbers.top_rules],
            title=ngettext(
                "Top block rules by hits, last %(days)d day", "Top block rules by hits, last %(days)d days", days
            )
            % {"days": days},
            description=gettext("The rules that matched most messages, most first."),
            unit=HITS,
            css_class="series-1",
        ),
        "flood_chart": stacked_by_day(
            "chart-flood",
            numbers.flood_flags,
            title=ngettext(
                "Flood flags per day by outcome, last %(days)d day",
                "Flood flags per day by outcome, last %(days)d days",
                days,
            )
            % {"days": days},
            description=ngettext(
                "The flood guard raised %(count)d suspected-spam flag.",
                "The flood guard raised %(count)d suspected-spam flags.",
                totals.flood_flags,
            )
            % {"count": totals.flood_flags},
            unit=FLAGS,
        ),
    }
    return render(request, "spam/overview.html", context)
