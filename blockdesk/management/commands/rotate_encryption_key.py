"""Re-encrypt every stored secret (each EncryptedTextField of every model) with the new encryption key.

Changing the key: set FIELD_ENCRYPTION_KEY to the new key and FIELD_ENCRYPTION_KEY_PREVIOUS to the
old one on every process (both read, the new one writes), run this, then drop the previous key.
--old/--new name the keys instead of the settings. Every value is read first: if one can be read by
none of the keys, the command says which and changes nothing. Running it again changes nothing.
"""

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, Value

from blockdesk.encryption import EncryptedTextField, current_key

NOT_A_KEY = "{option} is not a Fernet key (32 url-safe base64-encoded bytes, as Fernet.generate_key() makes them)."
UNREADABLE = (
    "{count} stored value(s) can be read by none of the keys given, so nothing was changed: {where}. "
    "Add the key they were written with to FIELD_ENCRYPTION_KEY_PREVIOUS (or --old) and run this again."
)
NOT_THE_SETTINGS_KEY = (
    "Note: --new is not this process's FIELD_ENCRYPTION_KEY. Set FIELD_ENCRYPTION_KEY to it on every process, "
    "or they cannot read what was just written."
)
# Values are read and rewritten in chunks, so a large table needs no more memory than a chunk.
CHUNK = 2000


@dataclass
class FieldPlan:
    label: str
    model: type[models.Model]
    name: str
    changes: list[tuple[object, str, str]] = field(default_factory=list)  # (pk, stored, re-encrypted)
    already: int = 0
    empty: int = 0
    unreadable: list = field(default_factory=list)


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) stored encrypted, in a stable order."""
    found = []
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                found.append((model, model_field.name))
    return sorted(found, key=lambda item: (item[0]._meta.label, item[1]))


def _fernet(key: str | bytes, option: str) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise CommandError(NOT_A_KEY.format(option=option)) from None


def _stored(model: type[models.Model], name: str):
    """The column as stored (ciphertext): read as plain text, so the field does not decrypt it."""
    return model._base_manager.annotate(stored=ExpressionWrapper(F(name), output_field=models.TextField()))


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with FIELD_ENCRYPTION_KEY (old keys: FIELD_ENCRYPTION_KEY_PREVIOUS)."

    def add_arguments(self, parser):
        parser.add_argument("--new", help="The key to encrypt with (default: FIELD_ENCRYPTION_KEY).")
        parser.add_argument(
            "--old",
            action="append",
            help="A key values may be stored with now; repeat for several (default: FIELD_ENCRYPTION_KEY_PREVIOUS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, change nothing.")

    def handle(self, *args, new=None, old=None, dry_run=False, **options):
        new_fernet = _fernet(new, "--new") if new else Fernet(current_key())
        old_keys = old if old is not None else settings.FIELD_ENCRYPTION_KEY_PREVIOUS
        old_fernets = [_fernet(key, f"--old #{n}") for n, key in enumerate(old_keys, start=1)]
        if new and new.encode() != current_key():
            self.stdout.write(NOT_THE_SETTINGS_KEY)
        plans = [
            self._plan(model, name, new_fernet, MultiFernet([new_fernet, *old_fernets]))
            for model, name in encrypted_fields()
        ]
        unreadable = [(plan.label, plan.unreadable) for plan in plans if plan.unreadable]
        if unreadable:
            where = "; ".join(f"{label} id {', '.join(map(str, ids))}" for label, ids in unreadable)
            raise CommandError(UNREADABLE.format(count=sum(len(ids) for _, ids in unreadable), where=where))
        if not dry_run:
            with transaction.atomic():
                for plan in plans:
                    self._write(plan)
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        for plan in plans:
            self.stdout.write(
                f"{plan.label}: {len(plan.changes)} {verb}, {plan.already} already on the new key, {plan.empty} empty"
            )
        total = sum(len(plan.changes) for plan in plans)
        already = sum(plan.already for plan in plans)
        summary = f"{verb.capitalize()} {total} value(s) in {len(plans)} field(s); {already} already on the new key."
        self.stdout.write(self.style.SUCCESS(summary) if not dry_run else summary)

    def _plan(self, model, name: str, new_fernet: Fernet, readers: MultiFernet) -> FieldPlan:
        plan = FieldPlan(label=f"{model._meta.label}.{name}", model=model, name=name)
        rows = _stored(model, name).order_by("pk").values_list("pk", "stored")
        for pk, stored in rows.iterator(chunk_size=CHUNK):
            if not stored:
                plan.empty += 1
                continue
            token = stored.encode()
            try:
                new_fernet.decrypt(token)
            except InvalidToken:
                pass
            else:
                plan.already += 1
                continue
            try:
                plan.changes.append((pk, stored, readers.rotate(token).decode()))
            except InvalidToken:
                plan.unreadable.append(pk)
        return plan

    def _write(self, plan: FieldPlan) -> None:
        for pk, stored, rotated in plan.changes:
            # Only if the value is still the one read: a secret changed meanwhile was written with the new key.
            _stored(plan.model, plan.name).filter(pk=pk, stored=stored).update(
                **{plan.name: Value(rotated, output_field=models.TextField())}
            )
