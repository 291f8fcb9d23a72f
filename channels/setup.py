"""What the channel set-up page needs to know of each channel kind, registered by the kind's module at start.

A kind with settings of its own keeps them in a model of its own, one row per
channel (OneToOne to contacts.Channel, related_name = the kind, like
channels.webchat_models.WebchatChannel). The set-up page shows the kind's
form, the address to paste into the provider, and a *Send test* that asks the
provider whether the settings work.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db import models

from contacts.models import Channel


class SetupCheckFailed(Exception):
    """The provider refused the channel's settings; reason says why, in words an administrator can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class KindSetup:
    kind: str
    # The kind's settings row (OneToOne to Channel); None for a kind with none of its own.
    settings_model: type[models.Model] | None
    # Edits the settings row; its secret fields are write-only (blank keeps the stored value).
    form: type[forms.ModelForm] | None
    # The absolute path the provider calls (its webhook), or None for a kind that is polled.
    webhook_path: Callable[[Channel], str] | None
    # Asks the provider whether the settings work; returns what happened, or raises SetupCheckFailed.
    send_test: Callable[[Channel], str] | None


_kinds: dict[str, KindSetup] = {}


def register_kind_setup(setup: KindSetup) -> None:
    _kinds[setup.kind] = setup


def kind_setup(kind: str) -> KindSetup | None:
    return _kinds.get(kind)
