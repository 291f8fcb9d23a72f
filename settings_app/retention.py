"""How long blocked tickets are kept (off by default), and the one way to change it.

The sweep that deletes them is contacts.blocking.delete_quiet_blocked_tickets.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from blockdesk import errors
from blockdesk.audit import record_setting_change

from .models import SystemSettings

RETENTION_MIN_DAYS, RETENTION_MAX_DAYS = 1, 3650
RETENTION_SETTING = "Blocked ticket retention"
# The range is RETENTION_MIN_DAYS to RETENTION_MAX_DAYS, written out so the text is one msgid.
RETENTION_INVALID = gettext_noop(
    "Retention must be a whole number of days from 1 to 3650, or empty to keep blocked tickets until a supervisor acts."
)


def check_retention(days) -> None:
    """Refuse anything but None or a whole number of days in range (a bool is not one)."""
    if days is not None and (type(days) is not int or not RETENTION_MIN_DAYS <= days <= RETENTION_MAX_DAYS):
        raise errors.Invalid(RETENTION_INVALID)


def retention_days() -> int | None:
    return SystemSettings.load().blocked_ticket_retention_days


def _shown(days: int | None) -> str:
    return f"{days} days" if days else "off"


def update_retention(*, actor, days: int | None) -> int | None:
    """Set the retention (None switches it off); only administrators may. A change gets an audit row."""
    if not actor.has_perm("settings_app.change_systemsettings"):
        raise errors.Forbidden(errors.NO_PERMISSION_SETTINGS)
    check_retention(days)
    with transaction.atomic():
        SystemSettings.load()
        row = SystemSettings.objects.select_for_update().get(pk=SystemSettings.SINGLETON_PK)
        if row.blocked_ticket_retention_days != days:
            change = f"{_shown(row.blocked_ticket_retention_days)} → {_shown(days)}"
            record_setting_change(actor=actor, setting=RETENTION_SETTING, change=change, at=timezone.now())
            row.blocked_ticket_retention_days = days
            row.updated_by = actor
            row.save(update_fields=["blocked_ticket_retention_days", "updated_by", "updated_at"])
    return days
