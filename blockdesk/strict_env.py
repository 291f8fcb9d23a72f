"""Strict readers for boolean, number and region settings.

django-environ's env.bool reads any unknown word ("flase") as False, which
silently switches off whatever the setting guards. These readers accept only
the words below and stop the start with ImproperlyConfigured otherwise.
"""

import base64
import binascii
import math
import os

import phonenumbers
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})

NOT_A_BOOLEAN = "{name}={value!r} is not a boolean: use true or false (also 1/0, yes/no, on/off)."
NOT_A_WHOLE_NUMBER = "{name}={value!r} is not a whole number."
NOT_A_NUMBER = "{name}={value!r} is not a number."
BELOW_MINIMUM = "{name}={value!r} is too small: it must be {minimum} or more."
NOT_A_REGION = "{name}={value!r} is not a region code the phone library knows, such as ID or SG."


def env_bool(name: str, *, default: bool) -> bool:
    """The boolean in environment variable `name`, or `default` if it is unset."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(NOT_A_BOOLEAN.format(name=name, value=raw))


def env_int(name: str, *, default: int, minimum: int) -> int:
    """The whole number in environment variable `name` (at least `minimum`), or `default` if it is unset."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(NOT_A_WHOLE_NUMBER.format(name=name, value=raw)) from None
    if value < minimum:
        raise ImproperlyConfigured(BELOW_MINIMUM.format(name=name, value=raw, minimum=minimum))
    return value


def env_float(name: str, *, default: float, minimum: float) -> float:
    """The finite number in environment variable `name` (at least `minimum`), or `default` if it is unset."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(NOT_A_NUMBER.format(name=name, value=raw)) from None
    if not math.isfinite(value):
        raise ImproperlyConfigured(NOT_A_NUMBER.format(name=name, value=raw))
    if value < minimum:
        raise ImproperlyConfigured(BELOW_MINIMUM.format(name=name, value=raw, minimum=minimum))
    return value


def env_region(name: str, *, default: str) -> str:
    """The two-letter phone region in environment variable `name` (any case), or `default` if it is unset."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    region = raw.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ImproperlyConfigured(NOT_A_REGION.format(name=name, value=raw))
    return region


NOT_A_FERNET_KEY = (
    "{name}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes, as "
    "Fernet.generate_key() makes them)."
)


def env_fernet_keys(name: str) -> list[str]:
    """The comma-separated Fernet keys in environment variable `name`, each checked; none if it is unset or empty.

    The error names the position of a bad key, never the key itself.
    """
    keys = [key.strip() for key in os.environ.get(name, "").split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(NOT_A_FERNET_KEY.format(name=name, position=position))
    return keys
