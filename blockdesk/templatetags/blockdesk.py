"""Template filters for the console's one way of writing times, people and who blocked: {% load blockdesk %}."""

from django import template

from blockdesk.display import blocker_rule, format_day, format_when, person_name, who_blocked

register = template.Library()

register.filter("when", format_when)
register.filter("day", format_day)
register.filter("person", person_name)
register.filter("who_blocked", who_blocked)
register.filter("blocker_rule", blocker_rule)
