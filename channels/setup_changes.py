"""Saving a channel's settings from the set-up page: its name and its kind's settings row, in one transaction,
with one audit row saying what changed (a secret only that it changed).

Creating, switching off and on and rotating the token are contacts.channels' audited functions;
this is the rest of what the page changes.
"""

from django import forms
from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from blockdesk import errors
from contacts.audit import record
from contacts.channels import NAME_MAX_LENGTH
from contacts.models import AuditEntry, Channel

SETTINGS_SAVED_MEANWHILE = gettext_noop(
    "Someone saved this channel's settings meanwhile. Reload the page and make your change again."
)
CHANGE_MAX_LENGTH = AuditEntry._meta.get_field("change").max_length
# How much of a changed value the audit row quotes.
VALUE_LENGTH = 80


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
            changes = [f"name: {locked.name} → {name}"] if locked.name != name else []
            created = False
            if kind_form is not None:
                created, kind_changes = _save_kind_form(kind_form, name)
                changes += kind_changes
            if locked.name != name and not isinstance(kind_form.instance if kind_form else None, Channel):
                locked.name = name
                locked.save(update_fields=["name"])
            if changes:
                change = "; ".join(changes)[:CHANGE_MAX_LENGTH]
                record(AuditEntry.Action.CHANNEL_CHANGED, actor=actor, channel=locked, subject=name, change=change)
    except IntegrityError:
        raise errors.Conflict(gettext(errors.CHANNEL_NAME_TAKEN).format(name=name)) from None
    channel.name = name
    return created


def _save_kind_form(kind_form: forms.ModelForm, name: str) -> tuple[bool, list[str]]:
    row: models.Model = kind_form.save(commit=False)
    model = type(row)
    if row.pk is None:
        if model._default_manager.filter(channel=row.channel_id).exists():
            raise errors.Conflict(SETTINGS_SAVED_MEANWHILE)
        row.save()
        kind_form.save_m2m()
        with translation.override("en"):  # the audit trail stores English, whoever saves
            return True, [f"{model._meta.verbose_name} settings made"]
    # The form already wrote its values onto the instance: compare with the row as stored.
    before = model._default_manager.get(pk=row.pk)
    changes = [_described(kind_form, field, before, row) for field in kind_form._meta.fields]
    if isinstance(row, Channel):
        # The api kind: its settings live on the channel row. Only the form's fields are written,
        # so a token rotated or a switch flipped meanwhile is not undone.
        row.name = name
        row.save(update_fields=["name", *kind_form._meta.fields])
    else:
        row.save()
    kind_form.save_m2m()
    return False, [change for change in changes if change]


def _described(form: forms.ModelForm, field: str, before: models.Model, after: models.Model) -> str:
    old, new = getattr(before, field), getattr(after, field)
    if old == new:
        return ""
    with translation.override("en"):  # the audit trail stores English, whoever saves
        label = str(form[field].label).lower()
    if isinstance(form.fields[field].widget, forms.PasswordInput):
        return f"{label} changed"  # never a secret, not even its end
    return f"{label}: {_short(old)} → {_short(new)}"


def _short(value) -> str:
    text = " ".join(str(value).split()) or "(empty)"
    return text if len(text) <= VALUE_LENGTH else text[: VALUE_LENGTH - 1] + "…"
