"""The channel lifecycle: create, switch off, switch on, rotate the token — each audited.

Django admin and the create_channel command call these. `actor` None is the
shell operator (a management command); a person needs the channel permissions.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from blockdesk import errors

from .audit import record
from .models import AuditEntry, Channel

NAME_MAX_LENGTH = Channel._meta.get_field("name").max_length


def _check_may(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise errors.Forbidden(errors.NO_PERMISSION_CHANNELS)


def _lock(channel: Channel) -> Channel:
    return Channel.objects.select_for_update().get(pk=channel.pk)


def create_channel(*, actor, name: str, kind: str, signing_secret: str = "") -> tuple[Channel, str]:
    """Create an active channel and return it with its token, shown once."""
    _check_may(actor, "contacts.add_channel")
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise errors.Invalid(errors.CHANNEL_NAME_INVALID)
    if kind not in Channel.Kind.values:
        raise errors.Invalid(
            gettext(errors.UNKNOWN_CHANNEL_KIND).format(kind=kind, kinds=", ".join(Channel.Kind.values))
        )
    channel = Channel(name=name, kind=kind, signing_secret=signing_secret)
    raw = channel.set_new_token()
    try:
        with transaction.atomic():
            channel.save()
            record(AuditEntry.Action.CHANNEL_CREATED, actor=actor, channel=channel, subject=channel.name)
    except IntegrityError:
        raise errors.Conflict(gettext(errors.CHANNEL_NAME_TAKEN).format(name=name)) from None
    return channel, raw


def _switch(*, actor, channel: Channel, active: bool) -> Channel:
    _check_may(actor, "contacts.change_channel")
    with transaction.atomic():
        locked = _lock(channel)
        if locked.is_active == active:
            raise errors.Conflict(errors.CHANNEL_ALREADY_ACTIVE if active else errors.CHANNEL_ALREADY_INACTIVE)
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        action = AuditEntry.Action.CHANNEL_REACTIVATED if active else AuditEntry.Action.CHANNEL_DEACTIVATED
        record(action, actor=actor, channel=locked, subject=locked.name, change="off → on" if active else "on → off")
    channel.is_active = active
    return channel


def deactivate_channel(*, actor, channel: Channel) -> Channel:
    """Switch the channel off: its token stops working, its history stays."""
    return _switch(actor=actor, channel=channel, active=False)


def reactivate_channel(*, actor, channel: Channel) -> Channel:
    """Switch a channel that was switched off on again, with the token it had."""
    return _switch(actor=actor, channel=channel, active=True)


def rotate_channel_token(*, actor, channel: Channel) -> str:
    """Give the channel a new token and return it, shown once; the old one stops working."""
    _check_may(actor, "contacts.change_channel")
    with transaction.atomic():
        locked = _lock(channel)
        old_prefix = locked.token_prefix
        raw = locked.set_new_token()
        locked.save(update_fields=["token_hash", "token_prefix"])
        record(
            AuditEntry.Action.CHANNEL_TOKEN_ROTATED,
            actor=actor,
            channel=locked,
            subject=locked.name,
            change=f"{old_prefix}… → {locked.token_prefix}…",
        )
    channel.token_hash, channel.token_prefix = locked.token_hash, locked.token_prefix
    return raw
