"""Hostile mail through the real poller: whatever a sender writes, the poll neither crashes nor stores a mail twice."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email_models import EmailChannel
from channels.email_poll import poll_mailbox
from tests.channels.mail.conftest import raw_mail
from tickets.models import Message

pytestmark = pytest.mark.django_db

HEADERS = ["From", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type", "Auto-Submitted", "Date"]
# Text a header may hold: anything but the line breaks that would end it, NUL included.
header_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=60)


def _mail(headers, body: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
    return head + b"\r\n" + body.replace(b"\r", b"").replace(b"\n", b"\r\n")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    headers=st.lists(st.tuples(st.sampled_from(HEADERS), header_text), max_size=8),
    sender=st.sampled_from(["budi@customer.example", "Budi <budi@customer.example>", "=?utf-8?q?B=C3=BCdi?= <b@c.d>"]),
    body=st.binary(max_size=400).filter(lambda b: b"\x00" not in b),
)
def test_no_mail_crashes_the_poll_and_none_is_stored_twice(mailbox, dovecot, headers, sender, body):
    dovecot.append(_mail([("From", sender), *headers], body))
    before = Message.objects.count()

    result = poll_mailbox(EmailChannel.objects.get(pk=mailbox.pk))

    assert result.stored + result.duplicates + result.automatic + result.unreadable == 1
    assert Message.objects.count() == before + result.stored
    EmailChannel.objects.filter(pk=mailbox.pk).update(last_uid=0)  # read everything again: all deduped
    again = poll_mailbox(EmailChannel.objects.get(pk=mailbox.pk))
    assert again.stored == 0
    assert Message.objects.count() == before + result.stored


def test_control_characters_in_headers_are_stored_without_them(mailbox, dovecot):
    dovecot.append(raw_mail("Hi", subject="Order\x01 12\x7f34"))

    poll_mailbox(EmailChannel.objects.get(pk=mailbox.pk))

    assert Message.objects.get().metadata["email"]["subject"] == "Order 1234"
