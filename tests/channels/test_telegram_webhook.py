"""The Telegram webhook: updates in become tickets, repeats change nothing, a wrong secret stores nothing."""

import json

import pytest
from django.test import Client

from channels.telegram_updates import EDITED, NOT_AN_UPDATE, UNSUPPORTED
from channels.telegram_views import BAD_SECRET, NO_SUCH_BOT, NOT_AN_OBJECT, NOT_JSON, TOO_LARGE
from contacts.blocking import block_contact
from contacts.models import BlockReason, Contact, ContactIdentity
from tests.channels.peers.telegram import USER, edited_update, member_update, message_update
from tests.channels.telegram_hook import post_update
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

CHAT = str(USER["id"])
DOCUMENT = {"file_id": "d", "file_name": "invoice.pdf", "mime_type": "application/pdf", "file_size": 52000}
STICKER = {"file_id": "st", "emoji": "😀"}
VOICE = {"file_id": "v", "duration": 5}


def _identity(telegram) -> ContactIdentity:
    return ContactIdentity.objects.get(channel=telegram.channel, external_id=CHAT)


def test_a_message_becomes_a_ticket_with_the_users_name_and_chat_id(telegram):
    response = post_update(telegram, message_update(1, "Where is my order?", message_id=42))

    assert response.status_code == 200
    assert response.json()["outcome"] == "stored"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.status) == (telegram.channel, TicketStatus.UNASSIGNED)
    assert ticket.contact.name == "Budi Santoso"
    assert _identity(telegram).contact == ticket.contact
    [message] = ticket.messages.all()
    assert (message.body, message.external_id, message.direction) == ("Where is my order?", f"{CHAT}:42", "in")
    assert message.sent_at.timestamp() == 1764590400
    assert message.metadata["telegram"] | {} == {
        "update_id": 1,
        "chat_id": USER["id"],
        "message_id": 42,
        "type": "text",
        "username": "budis",
        "user_id": USER["id"],
    }
    assert response.json() == {
        "ok": True,
        "outcome": "stored",
        "message": message.pk,
        "ticket": ticket.pk,
        "status": "unassigned",
    }


def test_the_next_message_joins_the_open_ticket(telegram):
    post_update(telegram, message_update(1, "Hello", message_id=1))
    post_update(telegram, message_update(2, "Anyone?", message_id=2))

    ticket = Ticket.objects.get()
    assert list(ticket.messages.values_list("body", flat=True).order_by("id")) == ["Hello", "Anyone?"]


def test_a_repeated_update_is_a_no_op_200(telegram):
    update = message_update(7, "Once")
    first = post_update(telegram, update)
    again = post_update(telegram, update)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"ok": True, "outcome": "duplicate"}
    assert Message.objects.count() == 1


def test_the_same_message_under_a_new_update_id_is_stored_once(telegram):
    post_update(telegram, message_update(7, "Once", message_id=3))
    again = post_update(telegram, message_update(8, "Once", message_id=3))

    assert again.json()["outcome"] == "duplicate"
    assert Message.objects.count() == 1


def test_update_ids_are_per_channel(telegram, bot_api):
    from channels.telegram_models import TelegramChannel
    from contacts.models import Channel
    from tests import factories
    from tests.channels.peers.telegram import TOKEN

    other = TelegramChannel.objects.create(
        channel=factories.ChannelFactory(name="Telegram 2", kind=Channel.Kind.TELEGRAM),
        bot_token=TOKEN,
        api_base_url=bot_api.url,
    )
    post_update(telegram, message_update(1, "to the first bot"))
    response = post_update(other, message_update(1, "to the second bot"))

    assert response.json()["outcome"] == "stored"
    assert Ticket.objects.count() == 2


def test_an_edit_is_a_new_message_with_its_own_id(telegram):
    post_update(telegram, message_update(1, "I ordered 2", message_id=5))
    response = post_update(telegram, edited_update(2, "I ordered 3", message_id=5, edit_date=1764590999))
    repeat = post_update(telegram, edited_update(3, "I ordered 3", message_id=5, edit_date=1764590999))

    assert response.json()["outcome"] == "stored"
    assert repeat.json()["outcome"] == "duplicate"
    edit = Message.objects.order_by("id").last()
    assert edit.body == EDITED.format(text="I ordered 3") == "✏️ edited: I ordered 3"
    assert edit.external_id == f"{CHAT}:5:edit:1764590999"
    assert edit.metadata["telegram"]["edited"] is True
    assert edit.sent_at.timestamp() == 1764590999
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "shown", "kind", "details"),
    [
        (
            {"photo": [{"file_id": "s", "width": 90, "height": 90}, {"file_id": "L", "width": 1280, "height": 960}]},
            "[Photo] my parcel",
            "photo",
            {"file_id": "L", "width": 1280, "height": 960},
        ),
        (
            {"document": DOCUMENT},
            "[Document: invoice.pdf, 52 KB] my parcel",
            "document",
            DOCUMENT,
        ),
        ({"sticker": {"file_id": "st", "emoji": "😀"}}, "[Sticker 😀] my parcel", "sticker", STICKER),
        ({"voice": {"file_id": "v", "duration": 5}}, "[Voice message, 5 s] my parcel", "voice", VOICE),
        (
            {"location": {"latitude": -6.2, "longitude": 106.8}},
            "[Location: -6.2, 106.8] my parcel",
            "location",
            {"latitude": -6.2, "longitude": 106.8},
        ),
        (
            {"contact": {"phone_number": "+6281234567890", "first_name": "Sari"}},
            "[Contact: Sari, +6281234567890] my parcel",
            "contact",
            {"phone_number": "+6281234567890", "first_name": "Sari"},
        ),
        ({"game": {"title": "?"}}, f"{UNSUPPORTED} my parcel", "unsupported", None),
    ],
)
def test_other_kinds_get_a_readable_placeholder_and_their_details(telegram, content, shown, kind, details):
    post_update(telegram, message_update(1, None, caption="my parcel", **content))

    message = Message.objects.get()
    assert message.body == shown
    assert message.metadata["telegram"]["type"] == kind
    assert message.metadata["telegram"].get("details") == details


def test_a_group_chat_is_answered_and_ignored(telegram):
    update = message_update(1, "hi all")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Fans"}

    response = post_update(telegram, update)

    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")
    assert not Message.objects.exists()


def test_other_update_types_are_answered_and_ignored(telegram):
    response = post_update(telegram, {"update_id": 9, "callback_query": {"id": "1", "data": "x"}})

    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")


def test_a_blocked_contacts_message_lands_in_the_blocked_list(telegram, supervisor, blocking_on, bot_on):
    post_update(telegram, message_update(1, "first"))
    contact = Contact.objects.get()
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)

    response = post_update(telegram, message_update(2, "spam again", message_id=2))

    assert response.json()["status"] == TicketStatus.BLOCKED
    blocked = Ticket.objects.get(status=TicketStatus.BLOCKED)
    assert blocked.messages.get().body == "spam again"


# --- The secret token -------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", "wrong", "x" * 300, "ünïcödé"])
def test_a_wrong_or_missing_secret_token_is_401_and_stores_nothing(telegram, secret):
    from channels.telegram_models import TelegramUpdate

    response = post_update(telegram, message_update(1, "let me in"), secret=secret)  # "": no header at all

    assert response.status_code == 401
    assert response.json() == {"detail": BAD_SECRET}
    assert not Message.objects.exists()
    assert not TelegramUpdate.objects.exists()


def test_the_secret_is_checked_before_the_body_is_read(telegram):
    response = post_update(telegram, None, secret="wrong", raw=b"{not json")

    assert response.status_code == 401


def test_another_channels_secret_does_not_open_this_one(telegram, bot_api):
    from channels.telegram_models import TelegramChannel
    from contacts.models import Channel
    from tests import factories

    other = TelegramChannel.objects.create(
        channel=factories.ChannelFactory(name="Telegram 2", kind=Channel.Kind.TELEGRAM), bot_token="", api_base_url=""
    )

    response = post_update(telegram, message_update(1, "x"), secret=other.secret_token)

    assert response.status_code == 401


@pytest.mark.parametrize("active", [False, None])
def test_an_inactive_or_unknown_channel_is_404(telegram, active):
    if active is False:
        telegram.channel.is_active = False
        telegram.channel.save()
        path = f"/hooks/telegram/{telegram.channel_id}/"
    else:
        path = f"/hooks/telegram/{telegram.channel_id + 100}/"

    headers = {"X-Telegram-Bot-Api-Secret-Token": telegram.secret_token}
    response = Client().post(path, data="{}", content_type="application/json", headers=headers)

    assert (response.status_code, response.json()) == (404, {"detail": NO_SUCH_BOT})


def test_get_is_405(telegram):
    assert Client().get(f"/hooks/telegram/{telegram.channel_id}/").status_code == 405


# --- Malformed bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{not json", NOT_JSON),
        (b"\xff\xfe", NOT_JSON),
        (b"[1, 2]", NOT_AN_OBJECT),
        (b"[" * 150_000 + b"]" * 150_000, TOO_LARGE.format(limit=256 * 1024)),
        (b'{"message": {}}', NOT_AN_UPDATE.format(problem="update_id must be an integer")),
        (b'{"update_id": "1"}', NOT_AN_UPDATE.format(problem="update_id must be an integer")),
        (b'{"update_id": 1, "message": null}', NOT_AN_UPDATE.format(problem="message must be an object")),
        (b'{"update_id": 1, "message": {"chat": {}}}', NOT_AN_UPDATE.format(problem="chat.id must be an integer")),
        (
            b'{"update_id": 1, "message": {"chat": {"id": 5, "type": "private"}}}',
            NOT_AN_UPDATE.format(problem="message.message_id must be an integer"),
        ),
        (
            b'{"update_id": 1, "my_chat_member": {"chat": {"id": 5, "type": "private"}}}',
            NOT_AN_UPDATE.format(problem="my_chat_member.new_chat_member must be an object"),
        ),
    ],
)
def test_a_malformed_body_is_4xx_with_a_json_detail_and_stores_nothing(telegram, raw, detail):
    response = post_update(telegram, None, raw=raw)

    assert response.status_code in (400, 413)
    assert response.json() == {"detail": detail}
    assert not Message.objects.exists()


def test_deeply_nested_json_is_a_400(telegram):
    raw = b'{"update_id": 1, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = post_update(telegram, None, raw=raw)

    assert response.status_code == 400


def test_nul_and_lone_surrogates_are_stored_cleaned(telegram):
    raw = json.dumps(message_update(1, "a\u0000b\ud800c", user={**USER, "first_name": "Bu\u0000di\udfff"})).encode()

    response = post_update(telegram, None, raw=raw)

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.body == "ab?c"
    assert message.ticket.contact.name == "Budi? Santoso"


# --- The user blocks and unblocks the bot -----------------------------------------------------


def test_blocking_the_bot_makes_the_address_undeliverable_and_member_clears_it(telegram):
    from channels.telegram import BOT_BLOCKED

    post_update(telegram, message_update(1, "hi"))

    kicked = post_update(telegram, member_update(2, "kicked"))

    assert kicked.json()["outcome"] == "unreachable"
    identity = _identity(telegram)
    assert identity.undeliverable_reason == BOT_BLOCKED
    assert identity.undeliverable_since.timestamp() == 1764590600

    back = post_update(telegram, member_update(3, "member"))

    assert back.json()["outcome"] == "reachable"
    identity = _identity(telegram)
    assert (identity.undeliverable_reason, identity.undeliverable_since) == ("", None)


def test_a_message_from_an_undeliverable_address_clears_it(telegram):
    post_update(telegram, message_update(1, "hi"))
    post_update(telegram, member_update(2, "kicked"))

    post_update(telegram, message_update(3, "I am back", message_id=2))

    assert _identity(telegram).undeliverable_reason == ""


def test_a_replayed_kick_changes_nothing(telegram):
    post_update(telegram, message_update(1, "hi"))
    post_update(telegram, member_update(2, "kicked"))
    post_update(telegram, member_update(3, "member"))

    replay = post_update(telegram, member_update(2, "kicked"))

    assert replay.json()["outcome"] == "duplicate"
    assert _identity(telegram).undeliverable_reason == ""


def test_the_360_view_shows_an_undeliverable_address(telegram, supervisor, client):
    from channels.telegram import BOT_BLOCKED

    post_update(telegram, message_update(1, "hi"))
    post_update(telegram, member_update(2, "kicked"))
    client.force_login(supervisor)

    page = client.get(f"/contacts/{Contact.objects.get().pk}/").content.decode()

    assert CHAT in page
    assert BOT_BLOCKED in page
    assert "Unreachable since" in page
