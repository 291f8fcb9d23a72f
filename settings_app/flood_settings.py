"""The flood guard's settings (DESIGN.md, "Spam defence"), and the one way to change them.

Routing reads them with the switches (settings_app.switches), so a change holds
for the very next message on every process.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_noop

from blockdesk import errors
from blockdesk.audit import record_setting_change, record_switch_change

from .models import SystemSettings
from .switches import COLUMNS, Switches, forget_switches

FLOOD_MESSAGES_MIN, FLOOD_MESSAGES_MAX = 2, 10_000
FLOOD_MINUTES_MIN, FLOOD_MINUTES_MAX = 1, 1440
FLOOD_MESSAGES_SETTING = "Flood limit"
FLOOD_MINUTES_SETTING = "Flood window"
# The ranges above, written out so each text is one msgid.
FLOOD_MESSAGES_INVALID = gettext_noop("The flood limit must be a whole number of messages from 2 to 10,000.")
FLOOD_MINUTES_INVALID = gettext_noop("The flood window must be a whole number of minutes from 1 to 1440 (a day).")
FLOOD_SWITCH_INVALID = gettext_noop("Flood guard on/off and auto-block take true or false.")


def check_flood_messages(messages) -> None:
    """Refuse anything but a whole number in range (a bool is not one)."""
    if type(messages) is not int or not FLOOD_MESSAGES_MIN <= messages <= FLOOD_MESSAGES_MAX:
        raise errors.Invalid(FLOOD_MESSAGES_INVALID)


def check_flood_minutes(minutes) -> None:
    if type(minutes) is not int or not FLOOD_MINUTES_MIN <= minutes <= FLOOD_MINUTES_MAX:
        raise errors.Invalid(FLOOD_MINUTES_INVALID)


def _switch_name(field: str) -> str:
    return capfirst(SystemSettings._meta.get_field(field).verbose_name)


def update_flood_guard(
    *,
    actor,
    enabled: bool | None = None,
    messages: int | None = None,
    minutes: int | None = None,
    auto_block: bool | None = None,
) -> Switches:
    """Change the flood guard (None keeps a value); only administrators may. Each value that changes is audited."""
    if not actor.has_perm("settings_app.change_systemsettings"):
        raise errors.Forbidden(errors.NO_PERMISSION_SETTINGS)
    for value in (enabled, auto_block):
        if value is not None and type(value) is not bool:
            raise errors.Invalid(FLOOD_SWITCH_INVALID)
    if messages is not None:
        check_flood_messages(messages)
    if minutes is not None:
        check_flood_minutes(minutes)
    with transaction.atomic():
        SystemSettings.load()
        row = SystemSettings.objects.select_for_update().get(pk=SystemSettings.SINGLETON_PK)
        now = timezone.now()
        changed = False
        for field, value in (("flood_guard_enabled", enabled), ("flood_auto_block", auto_block)):
            if value is not None and value != getattr(row, field):
                record_switch_change(
                    actor=actor, switch=_switch_name(field), before=getattr(row, field), after=value, at=now
                )
                setattr(row, field, value)
                changed = True
        if messages is not None and messages != row.flood_messages:
            change = f"{row.flood_messages} → {messages} messages"
            record_setting_change(actor=actor, setting=FLOOD_MESSAGES_SETTING, change=change, at=now)
            row.flood_messages = messages
            changed = True
        if minutes is not None and minutes != row.flood_minutes:
            change = f"{row.flood_minutes} → {minutes} min"
            record_setting_change(actor=actor, setting=FLOOD_MINUTES_SETTING, change=change, at=now)
            row.flood_minutes = minutes
            changed = True
        if changed:
            row.updated_by = actor
            row.save()
            transaction.on_commit(forget_switches)
    return Switches(**{name: getattr(row, name) for name in COLUMNS})
