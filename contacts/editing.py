"""Edit a contact's profile: name, phone, e-mail and note, each change audited old → new."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from blockdesk import errors

from .addresses import clean, phone_number
from .models import AuditEntry, Contact

# How much of an old or new value an audit row quotes.
QUOTED_LENGTH = 200
# The fields' names as people read them (marked for translation; the audit trail stores them in English).
EDITABLE = {
    "name": gettext_noop("Name"),
    "phone": gettext_noop("Phone"),
    "email": gettext_noop("E-mail"),
    "note": gettext_noop("Note"),
}
MAX_LENGTHS = {"name": 200, "phone": 50, "email": 254, "note": 2000}


def edit_refusal(actor) -> str | None:
    """Why the actor may not edit contacts, or None; edit_contact checks it first."""
    if not actor.has_perm("contacts.change_contact"):
        return errors.NO_PERMISSION_EDIT_CONTACT
    return None


def parse_phone(text: str) -> str:
    """The number in E.164 (+6281234567890), or raise Invalid; "" stays "" (no phone)."""
    if not clean(text):
        return ""
    number = phone_number(text)
    if number is None:
        raise errors.Invalid(errors.INVALID_PHONE)
    return number


def _check_email(text: str) -> str:
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise errors.Invalid(errors.INVALID_EMAIL) from None
    return text


def clean_profile(values: dict[str, str]) -> dict[str, str]:
    """Strip and check the given fields (any of name, phone, email, note); raise Invalid naming the first bad one."""
    cleaned = {}
    for name, value in values.items():
        value = value.strip()
        if len(value) > MAX_LENGTHS[name]:
            raise errors.Invalid(
                gettext(errors.TOO_LONG).format(field=gettext(EDITABLE[name]), limit=MAX_LENGTHS[name])
            )
        if name == "phone":
            value = parse_phone(value)
        elif name == "email":
            value = _check_email(value)
        cleaned[name] = value
    return cleaned


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    @property
    def text(self) -> str:
        return f"{_quoted(self.old)} → {_quoted(self.new)}"


def _quoted(value: str) -> str:
    if not value:
        return "—"
    value = " ".join(value.split())
    return value if len(value) <= QUOTED_LENGTH else value[: QUOTED_LENGTH - 1] + "…"


def edit_contact(*, actor, contact: Contact, **values: str) -> list[FieldChange]:
    """Set the given profile fields; write one EDITED audit row per changed field; return the changes."""
    refusal = edit_refusal(actor)
    if refusal:
        raise errors.Forbidden(refusal)
    unknown = set(values) - EDITABLE.keys()
    if unknown:
        raise errors.Invalid(gettext(errors.NOT_EDITABLE).format(fields=", ".join(sorted(unknown))))
    cleaned = clean_profile(values)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.merged_into_id is not None:
            raise errors.MergedAway(
                gettext(errors.MERGED_AWAY).format(survivor=locked.merged_into_id), merged_into=locked.merged_into_id
            )
        changes = [
            FieldChange(field=name, old=getattr(locked, name), new=value)
            for name, value in cleaned.items()
            if getattr(locked, name) != value
        ]
        if not changes:
            return []
        for change in changes:
            setattr(locked, change.field, change.new)
        locked.save(update_fields=[change.field for change in changes] + ["updated_at"])
        now = timezone.now()
        AuditEntry.objects.bulk_create(
            AuditEntry(
                action=AuditEntry.Action.EDITED,
                actor=actor,
                contact=locked,
                subject=EDITABLE[change.field],
                change=change.text,
                at=now,
            )
            for change in changes
        )
    return changes
