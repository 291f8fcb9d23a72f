"""The native webhooks obey their channel's inbound limits: 429 with Retry-After and a JSON detail, nothing stored."""

import pytest

from tests.channels.conftest import WA_PHONE_NUMBER_ID
from tests.channels.peers.telegram import message_update
from tests.channels.peers.whatsapp import notification, text_message
from tests.channels.telegram_hook import post_update
from tickets.models import Message

pytestmark = pytest.mark.django_db


def _limit(channel, **limits):
    for name, value in limits.items():
        setattr(channel, name, value)
    channel.save(update_fields=list(limits))


def _refused(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("This channel sent more than its 2 ")


def test_telegram_over_the_request_limit_is_429_and_stores_nothing(telegram):
    _limit(telegram.channel, requests_per_minute=2)
    assert post_update(telegram, message_update(1, "one", message_id=1)).status_code == 200
    assert post_update(telegram, message_update(2, "two", message_id=2)).status_code == 200
    _refused(post_update(telegram, message_update(3, "three", message_id=3)))
    assert list(Message.objects.values_list("body", flat=True)) == ["one", "two"]


def test_a_wrong_secret_does_not_spend_the_channels_allowance(telegram):
    _limit(telegram.channel, requests_per_minute=1)
    assert post_update(telegram, message_update(1, "x", message_id=1), secret="wrong").status_code == 401
    assert post_update(telegram, message_update(2, "real", message_id=2)).status_code == 200


def test_whatsapp_counts_each_message_of_a_notification(number, meta):
    _limit(number.channel, messages_per_minute=2)
    batch = [text_message("62811111", f"m{n}", id=f"wamid.limit{n}") for n in range(3)]
    _refused(meta(notification(WA_PHONE_NUMBER_ID, messages=batch, names={"62811111": "Ani"})))
    assert not Message.objects.exists()
