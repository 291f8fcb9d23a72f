"""Addresses as BlockDesk compares them: one spelling for each phone number, e-mail address and chat id.

Providers and integrations write the same address in many ways: with a
leading space, a zero-width character pasted along, full-width digits, a
national "0812…" instead of "+62812…". Routing (and the contact edit and merge
that come later) compare addresses only after normalise_address, so a person
is recognised however their address was typed.
"""

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from django.conf import settings

from .models import Channel

# Channel kinds whose addresses are phone numbers, and whose addresses are e-mail addresses.
PHONE_KINDS = frozenset({Channel.Kind.WHATSAPP, Channel.Kind.SMS})
EMAIL_KINDS = frozenset({Channel.Kind.EMAIL})

# The field error of an address with nothing left once cleaned.
EMPTY_ADDRESS = "is empty once spaces and invisible characters are removed"

# Only these characters make a phone number: "call 0812…" or "0812-ABC" is not one.
_PHONE_TEXT = re.compile(r"\+?[\d\s().\-/]+")


def clean(text: str) -> str:
    """NFKC, without format characters (zero-width spaces, direction marks) and surrounding whitespace."""
    if text.isascii():  # NFKC leaves ASCII alone and no ASCII character is a format character
        return text.strip()
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf").strip()


def phone_number(text: str) -> str | None:
    """The E.164 form of a valid phone number (national numbers read in PHONE_DEFAULT_REGION), else None."""
    text = clean(text)
    if not _PHONE_TEXT.fullmatch(text):
        return None
    return _e164(text, settings.PHONE_DEFAULT_REGION)


@lru_cache(maxsize=4096)
def _e164(text: str, region: str) -> str | None:
    """Kept per text and region: each of a customer's messages brings the same address, and phonenumbers' reading
    of it was the costliest Python of routing a message (docs/benchmarks.md, issue 11)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(text: str) -> str:
    """A contact's phone as stored: E.164 when it is a valid number, else the cleaned text."""
    return phone_number(text) or clean(text)


def normalise_email(text: str) -> str:
    """A contact's e-mail as stored: cleaned and in lower case (addresses are compared case-insensitively)."""
    return clean(text).lower()


def normalise_address(kind: str, text: str) -> str:
    """The address as a channel of this kind stores it; "" if nothing is left.

    A phone-like address that is not a valid number stays as cleaned: it is
    still that channel's address, it is just not matched to anyone by phone.
    """
    if kind in PHONE_KINDS:
        return normalise_phone(text)
    if kind in EMAIL_KINDS:
        return normalise_email(text)
    return clean(text)


def person_key(kind: str, address: str) -> str | None:
    """The phone (E.164) or e-mail under which a normalised address may belong to a known person, else None."""
    if kind in PHONE_KINDS:
        return phone_number(address)
    if kind in EMAIL_KINDS and "@" in address:
        return address
    return None
