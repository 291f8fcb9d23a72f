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
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from contacts.models import Channel

# Texts of the set-up pages (channels.setup_views) that tests import.
CHANNEL_NOT_FOUND = gettext_noop("There is no such channel.")
NO_TEST_FOR_KIND = gettext_noop("Channels of this kind have no test to send.")
TEST_CRASHED = gettext_noop("The test failed unexpectedly ({error}); nothing about the settings is known.")


class SetupCheckFailed(Exception):
    """The provider refused the channel's settings; reason says why, in words an administrator can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class KindSetup:
    kind: str
    # The kind's settings row (OneToOne to Channel); None for a kind with none of its own
    # (its form, if any, then edits the Channel row itself: the api kind's outbound URL and secret).
    settings_model: type[models.Model] | None
    # Edits the settings row; its secret fields are write-only (blank keeps the stored value).
    form: type[forms.ModelForm] | None
    # The absolute path the provider calls (its webhook), or None for a kind that is polled.
    webhook_path: Callable[[Channel], str] | None
    # Asks the provider whether the settings work; returns what happened, or raises SetupCheckFailed.
    send_test: Callable[[Channel], str] | None
    # More for the set-up page: (label, value, help) rows such as an address to call or a snippet to paste.
    details: Callable[[HttpRequest, Channel], list["SetupDetail"]] | None = None
    # Fields of the settings row that BlockDesk generates: shown once, right after the row is first saved.
    generated_secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetupDetail:
    label: str
    value: str
    help: str = ""
    # Shown as a block of code (a snippet to paste) rather than one line.
    block: bool = False


_kinds: dict[str, KindSetup] = {}


def register_kind_setup(setup: KindSetup) -> None:
    _kinds[setup.kind] = setup


def kind_setup(kind: str) -> KindSetup | None:
    return _kinds.get(kind)


def registered_kinds() -> list[KindSetup]:
    return list(_kinds.values())


def settings_row(setup: KindSetup, channel: Channel) -> models.Model | None:
    """The kind's settings row of this channel: the channel itself for a kind whose settings live on it (api),
    None while a kind with a model of its own has none saved yet."""
    if setup.settings_model is None:
        return channel
    return setup.settings_model._default_manager.filter(channel=channel).first()
