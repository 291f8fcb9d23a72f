"""How the console writes times and people, once: pages, messages and CSV exports all use these."""

from datetime import date, datetime

from django.utils import timezone

# Sortable, unambiguous in English and Indonesian, and read by every spreadsheet.
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


def format_when(value: datetime | None) -> str:
    """The date-time in the active time zone, as every page and CSV shows it ("" for none)."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(DATETIME_FORMAT)


def format_day(value: date | datetime | None) -> str:
    """The day (of a date-time, in the active time zone), as every page and CSV shows it ("" for none)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(DATE_FORMAT)


def person_name(user) -> str:
    """A person as the console names them: full name, else username ("" for none)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
