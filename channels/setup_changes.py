"""Saving a channel's settings from the set-up page: its name and its kind's settings row, in one transaction.

Creating, switching off and on and rotating the token are contacts.channels' audited functions;
this is the rest of what the page changes.
"""

from django import forms
from django.db import IntegrityError, models, transaction

from blockdesk import errors
from contacts.channels import NAME_MAX_LENGTH
from contacts.models import Channel, forget_channel_tokens


def save_channel_settings(*, actor, channel: Channel, name: str, kind_form: forms.ModelForm | None) -> bool:
    """Rename the channel and save its kind's (validated) settings form; return True if the settings row is new.

    The kind form's instance is the channel itself (api) or the kind's settings row, new on the first save.
    """
    if not actor.has_perm("contacts.change_channel"):
        raise errors.Forbidden(errors.NO_PERMISSION_CHANNELS)
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise errors.Invalid(errors.CHANNEL_NAME_INVALID)
    try:
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel.pk)
            created = False
            if kind_form is not None:
                row: models.Model = kind_form.save(commit=False)
                created = row.pk is None
                if isinstance(row, Channel):
                    # The api kind: its settings live on the channel row. Only the form's fields are written,
                    # so a token rotated or a switch flipped meanwhile is not undone.
                    row.name = name
                    row.save(update_fields=["name", *kind_form._meta.fields])
                else:
                    row.save()
                kind_form.save_m2m()
            if locked.name != name and not isinstance(getattr(kind_form, "instance", None), Channel):
                locked.name = name
                locked.save(update_fields=["name"])
            # The inbound API remembers channels by token (signing secret included): forget them everywhere here.
            transaction.on_commit(forget_channel_tokens)
    except IntegrityError:
        raise errors.Conflict(errors.CHANNEL_NAME_TAKEN.format(name=name)) from None
    channel.name = name
    return created
