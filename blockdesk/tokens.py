"""Bearer tokens (channel and personal): made once, kept only as SHA-256 hashes."""

import hashlib
import secrets


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token(kind: str) -> tuple[str, str, str]:
    """A fresh bearer token starting with `kind`: (raw value shown once, its hash, its shown prefix)."""
    raw = kind + secrets.token_urlsafe(32)
    return raw, hash_token(raw), raw[:12]
