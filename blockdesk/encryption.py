"""A model field stored encrypted (Fernet, key FIELD_ENCRYPTION_KEY): secrets BlockDesk must use in clear.

Values are written with FIELD_ENCRYPTION_KEY and read with it or any of FIELD_ENCRYPTION_KEY_PREVIOUS
(MultiFernet), so the key can change without a moment when stored secrets cannot be read;
`manage.py rotate_encryption_key` then re-encrypts them all with the new key.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

UNREADABLE_SECRET = "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEY is not the key it was stored with."


def current_key() -> bytes:
    """The key values are written with."""
    key = settings.FIELD_ENCRYPTION_KEY
    if not key:
        # Only a DEBUG run gets here (settings refuse to start otherwise).
        return base64.urlsafe_b64encode(hashlib.sha256(b"field-encryption:" + settings.SECRET_KEY.encode()).digest())
    return key.encode()


def _fernet() -> MultiFernet:
    keys = [current_key(), *(key.encode() for key in settings.FIELD_ENCRYPTION_KEY_PREVIOUS)]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(UNREADABLE_SECRET) from None


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database and in clear on the model; empty stays empty."""

    def deconstruct(self):
        # Migrations record the column, a plain text field: history never imports this module.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.TextField", args, kwargs

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)
