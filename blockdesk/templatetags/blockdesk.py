"""Template filters for the console's one way of writing times and people: {% load blockdesk %}."""

from django import template

from blockdesk.display import format_day, format_when, person_name

register = template.Library()

register.filter("when", format_when)
register.filter("day", format_day)
register.filter("person", person_name)
