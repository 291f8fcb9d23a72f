"""The cached accessor for the system switches, and the one way to change them."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst

from blockdesk import errors
from blockdesk.audit import record_switch_change

from .models import SystemSettings

CACHE_KEY = "blockdesk:system-switches:v1"


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


def update_switches(*, actor, block_contacts_enabled: bool | None = None, bot_enabled: bool | None = None) -> Switches:
    """Change one or both switches; only administrators may. Each switch that changes gets an audit row."""
    if not actor.has_perm("settings_app.change_systemsettings"):
        raise errors.Forbidden(errors.NO_PERMISSION_SETTINGS)
    wanted = {"block_contacts_enabled": block_contacts_enabled, "bot_enabled": bot_enabled}
    with transaction.atomic():
        row = SystemSettings.objects.select_for_update().filter(pk=SystemSettings.SINGLETON_PK).first()
        if row is None:
            row = SystemSettings.load()
        changed = [name for name, value in wanted.items() if value is not None and value != getattr(row, name)]
        if changed:
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
            row.updated_by = actor
            row.save()
            transaction.on_commit(forget_switches)
    return _switches_of(row)
