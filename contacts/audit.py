"""Writing the audit trail for acts beyond blocking: switches, channels and personal API tokens.

The domain function of each act calls `record` inside its own transaction, so
the act and its row commit together or not at all.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from .models import AuditEntry

# The actor of an act done from the shell (a management command), not by a signed-in person.
SYSTEM_ACTOR = gettext_noop("system (shell)")


def on_off(value: bool) -> str:
    return "on" if value else "off"


def record(action: str, *, actor, at: datetime | None = None, **about) -> AuditEntry:
    """Write one audit row; `actor` None means the shell operator."""
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_name="" if actor is not None else SYSTEM_ACTOR,
        at=at or timezone.now(),
        **about,
    )


def record_switch_change(*, actor, switch: str, before: bool, after: bool, at: datetime) -> AuditEntry:
    """The row for one system switch that changed: "BOT: off → on"."""
    return record(
        AuditEntry.Action.SWITCH_CHANGED,
        actor=actor,
        at=at,
        subject=switch,
        change=f"{on_off(before)} → {on_off(after)}",
    )


def record_setting_change(*, actor, setting: str, change: str, at: datetime) -> AuditEntry:
    """The row for one other system setting that changed: "Who answers BOT tickets: nobody → built-in bot"."""
    return record(AuditEntry.Action.SWITCH_CHANGED, actor=actor, at=at, subject=setting[:200], change=change[:50])
