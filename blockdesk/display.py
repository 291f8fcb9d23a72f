"""How the console writes times and people, once: pages, messages and CSV exports all use these."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext, ngettext

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


def blocker_rule(blocked) -> int | None:
    """The id of the block rule that blocked a contact or made a block, or None."""
    return getattr(blocked, "blocked_by_rule_id", None) or getattr(blocked, "rule_id", None)


def who_blocked(blocked) -> str:
    """Who blocked a contact (or made a Block), as every page, CSV and the admin say it ("" for nobody known).

    "rule 7" for a block rule, the automatic actor's name ("flood guard"), else the person. An automatic
    actor's name is stored in English and said in the active language.
    """
    rule_id = blocker_rule(blocked)
    if rule_id:
        return gettext("rule %(number)s") % {"number": rule_id}
    name = getattr(blocked, "blocked_by_name", "") or getattr(blocked, "actor_name", "")
    return gettext(name) if name else person_name(blocked.blocked_by)


def tickets_phrase(count: int) -> str:
    """ "1 ticket", "3 tickets": a counted phrase, for a sentence that holds another count too."""
    return ngettext("%(count)d ticket", "%(count)d tickets", count) % {"count": count}


def messages_phrase(count: int) -> str:
    """ "1 message", "3 messages": a counted phrase, for a sentence that holds another count too."""
    return ngettext("%(count)d message", "%(count)d messages", count) % {"count": count}
