"""Hostile input to the Telegram webhook (hypothesis): no 5xx, nothing stored without the secret, replays deduped."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.telegram_models import TelegramUpdate
from contacts.models import Contact, ContactIdentity
from tests.channels.telegram_hook import post_update
from tickets.models import Message

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
good_ids = st.integers(min_value=1, max_value=2**40)
# Mostly ids Telegram could send (so updates get stored, and replays tested), some anything at all.
ids = good_ids | good_ids | good_ids | st.integers(min_value=-(2**64), max_value=2**64) | json_values
texts = st.text(max_size=200) | st.sampled_from(["\x00", "\ud800", "", " ", "✏️"]) | json_values
users = st.fixed_dictionaries(
    {},
    optional={"id": ids, "first_name": texts, "last_name": texts, "username": texts, "is_bot": json_values},
)
chats = st.fixed_dictionaries(
    {
        "id": good_ids | ids,
        "type": st.sampled_from(["private", "private", "private", "group", "supergroup"]) | json_values,
    }
)
content = {
    "date": ids,
    "edit_date": ids,
    "text": texts,
    "caption": texts,
    "photo": st.lists(st.dictionaries(st.sampled_from(["file_id", "width", "file_size"]), scalars)) | json_values,
    "document": st.dictionaries(st.sampled_from(["file_id", "file_name", "file_size"]), scalars) | json_values,
    "sticker": json_values,
    "voice": json_values,
    "location": st.dictionaries(st.sampled_from(["latitude", "longitude"]), scalars) | json_values,
    "contact": json_values,
    "venue": json_values,
}
messages = st.fixed_dictionaries(
    {"message_id": good_ids | ids, "chat": chats}, optional={"from": users | json_values, **content}
)
members = st.fixed_dictionaries(
    {
        "chat": chats,
        "new_chat_member": st.fixed_dictionaries({"status": st.sampled_from(["kicked", "member"]) | texts}),
    },
    optional={"date": ids, "from": users},
)
structured = st.fixed_dictionaries(
    {"update_id": good_ids | ids},
    optional={
        "message": messages | messages | json_values,
        "edited_message": messages,
        "my_chat_member": members | json_values,
    },
)
updates = structured | structured | structured | st.dictionaries(st.text(max_size=15), json_values, max_size=5)


def _stored() -> tuple[int, int, int, int]:
    return (
        Message.objects.count(),
        Contact.objects.count(),
        TelegramUpdate.objects.count(),
        ContactIdentity.objects.exclude(undeliverable_reason="").count(),
    )


@FUZZ
@given(update=updates)
def test_random_updates_with_the_right_secret_never_5xx_and_a_replay_changes_nothing(telegram, update):
    raw = json.dumps(update).encode()

    first = post_update(telegram, None, raw=raw)
    assert first.status_code in (200, 400), first.content
    assert "detail" in first.json() or first.json()["ok"] is True
    after_first = _stored()

    again = post_update(telegram, None, raw=raw)
    assert again.status_code == first.status_code
    if first.status_code == 200:
        assert again.json()["outcome"] == "duplicate"
    assert _stored() == after_first


@FUZZ
@given(update=updates, secret=st.text(max_size=80) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
def test_nothing_is_stored_from_a_request_without_the_secret(telegram, update, secret):
    if secret == telegram.secret_token:
        return
    before = _stored()
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret.replace("\r", "").replace("\n", "")}

    response = Client().post(
        f"/hooks/telegram/{telegram.channel_id}/",
        data=json.dumps(update),
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 401
    assert _stored() == before


@FUZZ
@given(body=st.binary(max_size=2000), content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_random_bytes_never_5xx(telegram, body, content_type):
    before = _stored()
    headers = {"X-Telegram-Bot-Api-Secret-Token": telegram.secret_token}

    response = Client().post(
        f"/hooks/telegram/{telegram.channel_id}/", data=body, content_type=content_type, headers=headers
    )

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert _stored() == before


well_formed = st.builds(
    lambda update_id, chat_id, message_id, sender, content, edited: {
        "update_id": update_id,
        "edited_message" if edited else "message": {
            "message_id": message_id,
            "chat": {"id": chat_id, "type": "private"},
            "from": sender,
            "date": 1764590400,
            **({"edit_date": 1764590500} if edited else {}),
            **content,
        },
    },
    update_id=st.integers(min_value=1, max_value=2**40),
    chat_id=st.integers(min_value=1, max_value=2**40),
    message_id=st.integers(min_value=1, max_value=2**31),
    sender=users,
    content=st.fixed_dictionaries({}, optional={k: v for k, v in content.items() if "date" not in k}),
    edited=st.booleans(),
)


@FUZZ
@given(update=well_formed)
def test_well_formed_private_messages_with_random_content_are_stored_once(telegram, update):
    raw = json.dumps(update).encode()
    before = Message.objects.count()

    first = post_update(telegram, None, raw=raw)
    again = post_update(telegram, None, raw=raw)

    assert first.status_code == again.status_code == 200, first.content
    assert again.json()["outcome"] == "duplicate"
    assert Message.objects.count() - before == (1 if first.json()["outcome"] == "stored" else 0)
