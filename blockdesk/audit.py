"""The audit trail's door for settings_app, which may not import contacts (DESIGN.md's dependency direction).

A switch change writes its audit row in its own transaction, yet AuditEntry
lives in contacts, above settings_app. So settings_app records through this
module, and contacts plugs its recorder in when it starts (ContactsConfig.ready):
both arrows point at blockdesk, none runs from settings_app up to contacts.
"""

from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured

NO_SWITCH_RECORDER = "Nothing records switch changes in the audit trail: is the contacts app installed?"

_recorders: dict[str, Callable[..., object]] = {}


def register_switch_recorder(recorder: Callable[..., object]) -> None:
    """Called once at start-up by the app that owns the audit trail."""
    _recorders["switch"] = recorder


def register_setting_recorder(recorder: Callable[..., object]) -> None:
    """Called once at start-up by the app that owns the audit trail."""
    _recorders["setting"] = recorder


def record_setting_change(*, actor, setting: str, change: str, at: datetime) -> None:
    """Write the audit row of one setting that is not an on/off switch; `change` never holds a secret."""
    recorder = _recorders.get("setting")
    if recorder is None:
        raise ImproperlyConfigured(NO_SWITCH_RECORDER)
    recorder(actor=actor, setting=setting, change=change, at=at)


def record_switch_change(*, actor, switch: str, before: bool, after: bool, at: datetime) -> None:
    """Write the audit row of one switch that changed (inside the caller's transaction)."""
    recorder = _recorders.get("switch")
    if recorder is None:
        raise ImproperlyConfigured(NO_SWITCH_RECORDER)
    recorder(actor=actor, switch=switch, before=before, after=after, at=at)
