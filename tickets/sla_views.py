"""The SLA view for supervisors: waiting per queue, first-response times of the last 7 days, a small SVG chart."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from blockdesk import errors
from blockdesk.console import console_view, require_permission
from settings_app.switches import current_switches

from .sla import DAYS, sla_report
from .waiting import minutes_text

CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 420, 140, 12


def _bars(days) -> list[dict]:
    """Each day's median first response as an SVG bar, scaled to the slowest day."""
    slowest = max((d.median_minutes or 0 for d in days), default=0) or 1
    width = (CHART_WIDTH - BAR_GAP * (len(days) + 1)) / len(days)
    bars = []
    for n, day in enumerate(days):
        height = round((day.median_minutes or 0) / slowest * (CHART_HEIGHT - 20), 1)
        bars.append(
            {
                "x": round(BAR_GAP + n * (width + BAR_GAP), 1),
                "y": round(CHART_HEIGHT - 16 - height, 1),
                "width": round(width, 1),
                "height": height,
                "label_x": round(BAR_GAP + n * (width + BAR_GAP) + width / 2, 1),
                "day": day,
                "weekday": date_format(day.day, "D"),
                "median": minutes_text(round(day.median_minutes))
                if day.median_minutes is not None
                else pgettext("no median time", "none"),
            }
        )
    return bars


@login_required
@console_view
@require_permission("tickets.view_all_tickets", errors.NO_PERMISSION_SLA)
@require_GET
def sla_view(request: HttpRequest) -> HttpResponse:
    alert = current_switches().waiting_alert_minutes
    report = sla_report(alert)
    context = {
        "report": report,
        "alert": alert,
        "days": DAYS,
        "bars": _bars(report.days),
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "median": minutes_text(round(report.median_minutes)) if report.median_minutes is not None else "",
        "p90": minutes_text(round(report.p90_minutes)) if report.p90_minutes is not None else "",
    }
    return render(request, "tickets/sla.html", context)
