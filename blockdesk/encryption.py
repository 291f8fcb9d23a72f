"""A model field stored encrypted (Fernet, key FIELD_ENCRYPTION_KEY): secrets BlockDesk must use in clear."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models

UNREADABLE_SECRET = "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEY is not the key it was stored with."


def _fernet() -> Fernet:
    key = settings.FIELD_ENCRYPTION_KEY
    if not key:
        # Only a DEBUG run gets here (settings refuse to start otherwise).
        key = base64.urlsafe_b64encode(hashlib.sha256(b"field-encryption:" + settings.SECRET_KEY.encode()).digest())
    return Fernet(key)


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

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)
