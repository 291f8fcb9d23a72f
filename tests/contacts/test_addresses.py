"""contacts.addresses: one spelling per address, whatever the provider or the customer typed."""

import pytest
from django.test import override_settings

from contacts.addresses import normalise_address, normalise_email, normalise_phone, person_key
from contacts.models import Channel

WHATSAPP, SMS, EMAIL, TELEGRAM = Channel.Kind.WHATSAPP, Channel.Kind.SMS, Channel.Kind.EMAIL, Channel.Kind.TELEGRAM


@pytest.mark.parametrize(
    ("kind", "written", "stored"),
    [
        (WHATSAPP, "081234567890", "+6281234567890"),
        (WHATSAPP, "6281234567890", "+6281234567890"),  # as WhatsApp's webhooks write it, without the +
        (SMS, "(0812) 3456-7890", "+6281234567890"),
        (WHATSAPP, "\uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10", "+6281234567890"),
        (WHATSAPP, "+1 650-253-0000", "+16502530000"),
        (WHATSAPP, " +628111 ", "+628111"),  # not a valid number: cleaned only
        (WHATSAPP, "call 081234567890", "call 081234567890"),  # strict: only phone characters make a number
        (EMAIL, " Budi@Example.COM\u200b", "budi@example.com"),
        (TELEGRAM, "\u00a0Budi\u200e", "Budi"),  # no-break space, left-to-right mark
        (TELEGRAM, "081234567890", "081234567890"),  # not a phone-like channel
        (TELEGRAM, "\u200b \u2060", ""),
    ],
)
def test_normalise_address(kind, written, stored):
    assert normalise_address(kind, written) == stored
    assert normalise_address(kind, stored) == stored  # normalising again changes nothing


@override_settings(PHONE_DEFAULT_REGION="SG")
def test_national_numbers_are_read_in_the_default_region():
    assert normalise_phone("6123 4567") == "+6561234567"
    assert normalise_phone("081234567890") == "081234567890"  # not a Singapore number


def test_a_number_read_before_is_read_again_in_a_changed_region():
    assert normalise_phone("081234567890") == "+6281234567890"
    with override_settings(PHONE_DEFAULT_REGION="SG"):
        assert normalise_phone("081234567890") == "081234567890"
    assert normalise_phone("081234567890") == "+6281234567890"


def test_profile_fields():
    assert normalise_phone(" 0812 3456 7890\u200b") == "+6281234567890"
    assert normalise_phone("ext. 12") == "ext. 12"
    assert normalise_email("\ufeffSiti@X.ID ") == "siti@x.id"


@pytest.mark.parametrize(
    ("kind", "address", "key"),
    [
        (WHATSAPP, "+6281234567890", "+6281234567890"),
        (SMS, "+6281234567890", "+6281234567890"),
        (WHATSAPP, "+628111", None),
        (EMAIL, "budi@example.com", "budi@example.com"),
        (EMAIL, "not-an-address", None),
        (TELEGRAM, "+6281234567890", None),
        (Channel.Kind.WEBCHAT, "budi@example.com", None),
    ],
)
def test_person_key(kind, address, key):
    assert person_key(kind, address) == key
