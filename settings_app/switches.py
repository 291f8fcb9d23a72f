"""The cached accessor for the system switches, and the one way to change them."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst

from blockdesk import errors
from blockdesk.audit import record_setting_change, record_switch_change

from .models import SystemSettings

CACHE_KEY = "blockdesk:system-switches:v1"
WAITING_ALERT_MIN, WAITING_ALERT_MAX = 1, 1440
WAITING_ALERT_SETTING = "Waiting alert"
WAITING_ALERT_INVALID = (
    f"The waiting alert must be a whole number of minutes from {WAITING_ALERT_MIN} to {WAITING_ALERT_MAX} (a day)."
)


@dataclass(frozen=True)
class Switches:
    block_contacts_enabled: bool
    bot_enabled: bool
    # Queues colour a customer's wait past this many minutes (not a switch, but read as often and as cheaply).
    waiting_alert_minutes: int = 15


def _switches_of(row: SystemSettings) -> Switches:
    return Switches(
        block_contacts_enabled=row.block_contacts_enabled,
        bot_enabled=row.bot_enabled,
        waiting_alert_minutes=row.waiting_alert_minutes,
    )


def current_switches() -> Switches:
    """Return the switches, from the cache when it has them (no query)."""
    switches = cache.get(CACHE_KEY)
    if switches is None:
        row = SystemSettings.load()
        switches = _switches_of(row)
        cache.set(CACHE_KEY, switches, settings.SYSTEM_SETTINGS_CACHE_SECONDS)
    return switches


def forget_switches() -> None:
    cache.delete(CACHE_KEY)


def check_waiting_alert(minutes) -> None:
    """Refuse anything but a whole number of minutes in range (a bool is not one)."""
    if type(minutes) is not int or not WAITING_ALERT_MIN <= minutes <= WAITING_ALERT_MAX:
        raise errors.Invalid(WAITING_ALERT_INVALID)


def update_switches(
    *,
    actor,
    block_contacts_enabled: bool | None = None,
    bot_enabled: bool | None = None,
    waiting_alert_minutes: int | None = None,
) -> Switches:
    """Change the switches and the waiting alert; only administrators may. Each value that changes gets an audit row."""
    if not actor.has_perm("settings_app.change_systemsettings"):
        raise errors.Forbidden(errors.NO_PERMISSION_SETTINGS)
    if waiting_alert_minutes is not None:
        check_waiting_alert(waiting_alert_minutes)
    wanted = {"block_contacts_enabled": block_contacts_enabled, "bot_enabled": bot_enabled}
    with transaction.atomic():
        row = SystemSettings.objects.select_for_update().filter(pk=SystemSettings.SINGLETON_PK).first()
        if row is None:
            row = SystemSettings.load()
        changed = [name for name, value in wanted.items() if value is not None and value != getattr(row, name)]
        alert_changed = waiting_alert_minutes is not None and waiting_alert_minutes != row.waiting_alert_minutes
        if changed or alert_changed:
            now = timezone.now()
            for name in changed:
                record_switch_change(
                    actor=actor,
                    switch=capfirst(SystemSettings._meta.get_field(name).verbose_name),
                    before=getattr(row, name),
                    after=wanted[name],
                    at=now,
                )
                setattr(row, name, wanted[name])
            if alert_changed:
                change = f"{row.waiting_alert_minutes} → {waiting_alert_minutes} min"
                record_setting_change(actor=actor, setting=WAITING_ALERT_SETTING, change=change, at=now)
                row.waiting_alert_minutes = waiting_alert_minutes
            row.updated_by = actor
            row.save()
            transaction.on_commit(forget_switches)
    return _switches_of(row)
