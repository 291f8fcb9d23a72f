"""The queues' waiting time: {% waiting ticket alert_minutes %} renders "waiting 14 min", coloured past the alert."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from tickets.models import Speaker
from tickets.waiting import minutes_text, waited_minutes

register = template.Library()


@register.simple_tag
def waiting(ticket, alert_minutes: int):
    """The customer's wait, or who spoke last when nobody waits."""
    minutes = waited_minutes(ticket.waiting_since)
    if minutes is None:
        said = gettext("We replied last") if ticket.last_speaker == Speaker.US else gettext("Not waiting")
        return format_html('<span class="waiting none muted">{}</span>', said)
    late = " late" if minutes >= alert_minutes else ""
    said = gettext("waiting %(time)s") % {"time": minutes_text(minutes)}
    return format_html('<span class="waiting{}" data-minutes="{}">{}</span>', late, minutes, said)
