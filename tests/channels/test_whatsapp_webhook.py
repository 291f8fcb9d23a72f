"""The WhatsApp webhook: Meta's handshake, the signature, messages in (every type), repeats, statuses."""

import json
import time

import pytest
from django.urls import reverse

from channels.whatsapp import (
    BAD_SIGNATURE,
    FAILED_STATUS,
    MAX_DEPTH,
    NOT_A_NOTIFICATION,
    NOT_JSON,
    TOO_DEEP,
    UNSUPPORTED,
    placeholder,
)
from channels.whatsapp_models import WhatsAppChannel
from channels.whatsapp_views import NO_SUCH_CHANNEL, VERIFICATION_REFUSED
from contacts.blocking import block_contact
from contacts.models import BlockReason, Contact, ContactIdentity
from tests import factories
from tests.channels.conftest import WA_APP_SECRET, WA_PHONE_NUMBER_ID
from tests.channels.peers.whatsapp import notification, status, text_message, typed_message, wamid
from tickets.models import DeliveryState, Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

BUDI = "6281234567890"


def _hello(text="Halo, pesanan saya belum sampai", *, id=None, wa_id=BUDI, name="Budi"):
    return notification(WA_PHONE_NUMBER_ID, messages=[text_message(wa_id, text, id=id)], names={wa_id: name})


# --- the verification handshake ------------------------------------------------------------------------------


def _verify(client, number, **params):
    query = {"hub.mode": "subscribe", "hub.verify_token": number.raw_verify_token, "hub.challenge": "1158201444"}
    query.update(params)
    return client.get(reverse("whatsapp:webhook", args=[number.channel_id]), query)


def test_the_handshake_echoes_the_challenge_as_plain_text(client, number):
    response = _verify(client, number)

    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.verify_token": "not-the-token"},
        {"hub.verify_token": ""},
        {"hub.mode": "unsubscribe"},
        {"hub.mode": ""},
        {"hub.challenge": ""},
        {"hub.challenge": "9" * 257},
    ],
)
def test_a_wrong_handshake_is_403_and_echoes_nothing(client, number, params):
    response = _verify(client, number, **params)

    assert response.status_code == 403
    assert response.json() == {"detail": VERIFICATION_REFUSED}


def test_a_new_verify_token_replaces_the_old_one(client, number):
    old = number.raw_verify_token
    new = number.set_new_verify_token()
    number.save()

    assert _verify(client, number, **{"hub.verify_token": old}).status_code == 403
    assert _verify(client, number, **{"hub.verify_token": new}).status_code == 200


@pytest.mark.parametrize("channel_id", [0, 999_999, 2**70])
def test_an_unknown_channel_is_404_with_json(client, number, channel_id):
    response = client.get(f"/hooks/whatsapp/{channel_id}/", {"hub.mode": "subscribe"})

    assert response.status_code == 404
    assert response.json() == {"detail": NO_SUCH_CHANNEL}


def test_an_inactive_channel_answers_404(client, number, meta):
    number.channel.is_active = False
    number.channel.save()

    assert _verify(client, number).status_code == 404
    assert meta(_hello()).status_code == 404
    assert not Message.objects.exists()


def test_other_methods_are_405(client, number, meta):
    assert client.put(meta.url).status_code == 405
    assert client.delete(meta.url).status_code == 405


# --- the signature ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Hub-Signature-256": ""},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "sha1=abc"},
        {"X-Hub-Signature-256": "sha256=ünïcode"},
    ],
)
def test_a_bad_signature_is_401_and_nothing_is_stored(meta, headers):
    response = meta(_hello(), headers=headers)

    assert response.status_code == 401
    assert response.json() == {"detail": BAD_SIGNATURE}
    assert not Message.objects.exists() and not Contact.objects.exists()


def test_a_body_signed_with_another_secret_is_401(meta):
    assert meta(_hello(), secret="someone-elses-secret").status_code == 401
    assert not Ticket.objects.exists()


def test_the_signature_is_checked_before_the_body_is_read_as_json(meta):
    # Not JSON at all: with a bad signature the answer is 401 (signature), not 400 (parsing).
    assert meta(b"{not json", secret="wrong").status_code == 401
    assert meta(b"{not json").status_code == 400


def test_a_channel_without_an_app_secret_refuses_every_post(meta, number):
    WhatsAppChannel.objects.filter(pk=number.pk).update(app_secret="")

    assert meta(_hello(), secret="").status_code == 401


# --- messages in -----------------------------------------------------------------------------------------------


def test_a_text_message_opens_a_ticket_for_the_sender(meta, number):
    response = meta(_hello(id="wamid.FIRST"))

    assert response.status_code == 200
    assert response.json() == {"messages": 1, "duplicates": 0, "statuses": 0, "ignored": 0}
    message = Message.objects.select_related("ticket__contact").get()
    assert (message.body, message.external_id, message.direction) == (
        "Halo, pesanan saya belum sampai",
        "wamid.FIRST",
        "in",
    )
    assert message.metadata == {"whatsapp": {"type": "text"}}
    assert message.ticket.channel == number.channel
    assert message.ticket.status == TicketStatus.UNASSIGNED
    contact = message.ticket.contact
    assert (contact.name, contact.phone) == ("Budi", "+6281234567890")
    assert ContactIdentity.objects.get(contact=contact).external_id == "+6281234567890"


def test_the_message_time_is_whatsapps_timestamp(meta):
    at = int(time.time()) - 600
    meta(notification(WA_PHONE_NUMBER_ID, messages=[text_message(BUDI, "earlier", at=at)]))

    assert int(Message.objects.get().sent_at.timestamp()) == at


def test_a_timestamp_in_the_future_is_read_as_now(meta):
    meta(notification(WA_PHONE_NUMBER_ID, messages=[text_message(BUDI, "from the future", at=time.time() + 10**6)]))

    assert Message.objects.get().sent_at.timestamp() <= time.time()


def test_a_repeated_wamid_is_stored_once_and_answered_as_a_duplicate(meta):
    first = meta(_hello(id="wamid.SAME"))
    again = meta(_hello(id="wamid.SAME"))

    assert first.json()["messages"] == 1
    assert again.status_code == 200
    assert again.json() == {"messages": 0, "duplicates": 1, "statuses": 0, "ignored": 0}
    assert Message.objects.count() == 1
    assert Ticket.objects.get().message_count == 1


def test_the_same_wamid_twice_in_one_notification_is_stored_once(meta):
    same = text_message(BUDI, "twice", id="wamid.TWICE")
    response = meta(notification(WA_PHONE_NUMBER_ID, messages=[same, same]))

    assert response.json()["duplicates"] == 1
    assert Message.objects.count() == 1


def test_a_second_message_joins_the_open_ticket(meta):
    meta(_hello("one"))
    meta(_hello("two"))

    ticket = Ticket.objects.get()
    assert ticket.message_count == 2
    assert list(ticket.messages.values_list("body", flat=True)) == ["one", "two"]


def test_a_known_phone_number_joins_its_contact(meta):
    known = factories.ContactFactory(name="Budi Santoso", phone="+6281234567890")

    meta(_hello())

    assert Ticket.objects.get().contact == known


CAT = {"id": "1003383421387256", "mime_type": "image/jpeg", "sha256": "abc=", "caption": "my parcel"}


@pytest.mark.parametrize(
    "kind, content, shown",
    [
        ("image", CAT, "[Image] my parcel"),
        ("image", {"id": "1", "mime_type": "image/png"}, "[Image]"),
        ("video", {"id": "2", "mime_type": "video/mp4", "caption": "unboxing"}, "[Video] unboxing"),
        ("audio", {"id": "3", "mime_type": "audio/ogg; codecs=opus", "voice": True}, "[Voice message]"),
        ("audio", {"id": "3", "mime_type": "audio/mpeg"}, "[Audio]"),
        ("document", {"id": "4", "filename": "invoice.pdf", "mime_type": "application/pdf"}, "[Document] invoice.pdf"),
        (
            "location",
            {"latitude": -6.2, "longitude": 106.816666, "name": "Monas", "address": "Jakarta"},
            "[Location] Monas Jakarta (-6.2, 106.816666)",
        ),
        ("location", {"latitude": 1.5, "longitude": 2}, "[Location] (1.5, 2)"),
        ("sticker", {"id": "5", "mime_type": "image/webp", "animated": False}, "[Sticker]"),
        ("reaction", {"message_id": "wamid.OURS", "emoji": "👍"}, "[Reaction 👍 to an earlier message]"),
        ("reaction", {"message_id": "wamid.OURS"}, "[Reaction removed from an earlier message]"),
        ("interactive", {"type": "button_reply", "button_reply": {"id": "y", "title": "Yes"}}, "[Button] Yes"),
        (
            "interactive",
            {"type": "list_reply", "list_reply": {"id": "r1", "title": "Refund", "description": "Money back"}},
            "[List choice] Refund",
        ),
        ("button", {"payload": "STOP", "text": "Stop promotions"}, "[Button] Stop promotions"),
        ("order", {"catalog_id": "1", "product_items": [{"product_retailer_id": "a"}] * 3}, "[Order] 3 items"),
        ("unsupported", {}, UNSUPPORTED),
        ("hologram", {"id": "6"}, UNSUPPORTED),
    ],
)
def test_other_types_are_stored_with_a_readable_placeholder_and_their_metadata(meta, kind, content, shown):
    meta(notification(WA_PHONE_NUMBER_ID, messages=[typed_message(BUDI, kind, content)]))

    message = Message.objects.get()
    assert message.body == shown
    assert message.metadata["whatsapp"]["type"] == kind
    if content:
        assert message.metadata["whatsapp"][kind] == content
    assert Ticket.objects.get().last_message_preview == shown


def test_a_contact_card_names_the_people_in_it(meta):
    cards = [{"name": {"formatted_name": "Sari Dewi", "first_name": "Sari"}, "phones": [{"phone": "+62811"}]}]
    meta(notification(WA_PHONE_NUMBER_ID, messages=[typed_message(BUDI, "contacts", cards)]))

    message = Message.objects.get()
    assert message.body == "[Contact card] Sari Dewi"
    assert message.metadata["whatsapp"]["contacts"] == cards


def test_a_reply_to_an_earlier_message_keeps_its_context(meta):
    message = text_message(BUDI, "this one")
    message["context"] = {"from": "15550100", "id": "wamid.EARLIER"}
    meta(notification(WA_PHONE_NUMBER_ID, messages=[message]))

    assert Message.objects.get().metadata["whatsapp"]["context"] == {"from": "15550100", "id": "wamid.EARLIER"}


def test_placeholders_never_fail_on_odd_content():
    assert placeholder("location", {"latitude": "x", "longitude": None, "name": 5}) == "[Location]"
    assert placeholder("interactive", {"button_reply": "not an object"}) == "[Button]"
    assert placeholder("order", {"product_items": "many"}) == "[Order] 0 items"


def test_nul_characters_and_lone_surrogates_are_stored_without_them(meta):
    body = json.dumps(_hello("bad\u0000byte \ud800 here")).encode()  # json.dumps escapes both

    assert meta(body).status_code == 200
    assert Message.objects.get().body == "badbyte ? here"


def test_a_message_from_a_blocked_contact_lands_in_the_blocked_list(meta, supervisor, blocking_on):
    meta(_hello("first"))
    contact = Contact.objects.get()
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)

    response = meta(_hello("buy cheap followers"))

    assert response.status_code == 200
    blocked = Ticket.objects.get(status=TicketStatus.BLOCKED)
    assert blocked.contact == contact
    assert blocked.last_message_preview == "buy cheap followers"


def test_a_blocked_contacts_new_whatsapp_number_finds_the_block(meta, supervisor, blocking_on):
    spammer = factories.ContactFactory(phone="+6281299998888")
    block_contact(actor=supervisor, contact=spammer, reason=BlockReason.SPAM)

    meta(_hello("promo", wa_id="6281299998888"))

    assert Ticket.objects.get().status == TicketStatus.BLOCKED


# --- several numbers of one Meta app -------------------------------------------------------------------------


def _second_number(secret=WA_APP_SECRET) -> WhatsAppChannel:
    channel = factories.ChannelFactory(name="WhatsApp Sales")
    return WhatsAppChannel.objects.create(
        channel=channel, phone_number_id="2222", app_secret=secret, access_token="t", api_base_url="http://x"
    )


def test_a_change_for_another_number_of_the_same_app_goes_to_its_channel(meta):
    sales = _second_number()

    response = meta(notification("2222", messages=[text_message(BUDI, "for sales")]))

    assert response.json()["messages"] == 1
    assert Ticket.objects.get().channel == sales.channel


def test_a_change_for_a_number_of_another_app_or_none_is_ignored(meta):
    _second_number(secret="another-apps-secret")

    other_app = notification("2222", messages=[text_message(BUDI, "x")])["entry"][0]
    unknown = notification("9999", messages=[text_message(BUDI, "y")])["entry"][0]

    response = meta({"object": "whatsapp_business_account", "entry": [other_app, unknown]})

    assert response.status_code == 200
    assert response.json() == {"messages": 0, "duplicates": 0, "statuses": 0, "ignored": 2}
    assert not Message.objects.exists()


def test_other_fields_are_ignored(meta):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}],
    }

    assert meta(payload).json() == {"messages": 0, "duplicates": 0, "statuses": 0, "ignored": 0}


# --- malformed bodies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, detail",
    [
        (b"not json", NOT_JSON),
        (b"\xff\xfe", NOT_JSON),
        (b"[1, 2]", NOT_A_NOTIFICATION),
        (b'{"object": "whatsapp_business_account"}', NOT_A_NOTIFICATION),
        (b'{"entry": {"id": 1}}', NOT_A_NOTIFICATION),
        (b'{"entry": [1]}', "`entry[0]` must be an object."),
        (b'{"entry": [{"changes": [{"value": {}}]}]}', "`entry[0].changes[0].value.metadata` must be an object."),
        (
            b'{"entry": [{"changes": [{"value": {"metadata": {"phone_number_id": ""}}}]}]}',
            "`entry[0].changes[0].value.metadata.phone_number_id` must be a non-empty string.",
        ),
    ],
)
def test_a_malformed_body_is_400_with_a_json_detail_and_nothing_stored(meta, payload, detail):
    response = meta(payload)

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "message, detail",
    [
        ({"from": BUDI, "type": "text", "text": {"body": "x"}}, "messages[0].id` must be a non-empty string"),
        ({"from": BUDI, "id": "w" * 256, "type": "text"}, "messages[0].id` must be at most 255 characters"),
        ({"id": "wamid.X", "type": "text"}, "messages[0].from` must be a non-empty string"),
        ({"id": "wamid.X", "from": BUDI, "timestamp": "soon"}, "messages[0].timestamp` must be Unix seconds"),
        ({"id": "wamid.X", "from": BUDI, "timestamp": "9" * 30}, "messages[0].timestamp` must be Unix seconds"),
        ("a string", "messages[0]` must be an object"),
    ],
)
def test_a_malformed_message_is_400_naming_it_and_nothing_of_the_body_is_stored(meta, message, detail):
    good = text_message(BUDI, "fine")
    response = meta(notification(WA_PHONE_NUMBER_ID, messages=[good, message]))

    assert response.status_code == 400
    assert detail.replace("messages[0]", "messages[1]") in response.json()["detail"]
    assert not Message.objects.exists()


@pytest.mark.parametrize("depth", [33, 500, 5000, 100_000])
def test_a_body_nested_too_deep_is_400_never_a_recursion_error(meta, depth):
    body = b'{"entry": [' + b"[" * depth + b"]" * depth + b"]}"

    response = meta(body)

    assert response.status_code == 400
    assert response.json()["detail"] in (TOO_DEEP.format(depth=MAX_DEPTH), NOT_JSON)


def test_a_body_over_a_mebibyte_is_413(meta):
    response = meta(b'{"entry": []}' + b" " * (1024 * 1024))

    assert response.status_code == 413


# --- statuses of our replies ----------------------------------------------------------------------------------


@pytest.fixture
def sent_reply(meta):
    meta(_hello())
    ticket = Ticket.objects.get()
    return Message.objects.create(
        ticket=ticket,
        channel=ticket.channel,
        direction=Message.Direction.OUT,
        body="We are on it",
        sent_at=ticket.last_message_at,
        delivery_state=DeliveryState.SENT,
        provider_message_id="wamid.OURREPLY",
    )


def _state(message) -> str:
    return Message.objects.get(pk=message.pk).delivery_state


def test_delivered_then_read_move_the_reply_forward(meta, sent_reply):
    delivered = meta(notification(WA_PHONE_NUMBER_ID, statuses=[status("wamid.OURREPLY", "delivered", BUDI)]))
    assert delivered.json()["statuses"] == 1
    assert _state(sent_reply) == DeliveryState.DELIVERED

    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status("wamid.OURREPLY", "read", BUDI)]))
    message = Message.objects.get(pk=sent_reply.pk)
    assert message.delivery_state == DeliveryState.READ
    assert message.delivered_at is not None and message.read_at is not None


def test_a_repeated_or_late_status_changes_nothing(meta, sent_reply):
    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status("wamid.OURREPLY", "read", BUDI)]))

    again = meta(
        notification(
            WA_PHONE_NUMBER_ID,
            statuses=[status("wamid.OURREPLY", "read", BUDI), status("wamid.OURREPLY", "delivered", BUDI)],
        )
    )

    assert again.json()["statuses"] == 0
    assert _state(sent_reply) == DeliveryState.READ


def test_a_failed_status_fails_the_reply_with_metas_error(meta, sent_reply):
    error = {
        "code": 131047,
        "title": "Re-engagement message",
        "message": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours have passed"},
    }

    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status("wamid.OURREPLY", "failed", BUDI, errors=[error])]))

    message = Message.objects.get(pk=sent_reply.pk)
    assert message.delivery_state == DeliveryState.FAILED
    assert message.last_error == FAILED_STATUS.format(
        reason="Message failed to send because more than 24 hours have passed (code 131047)"
    )


def test_a_failed_status_after_delivery_changes_nothing(meta, sent_reply):
    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status("wamid.OURREPLY", "delivered", BUDI)]))
    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status("wamid.OURREPLY", "failed", BUDI, errors=[])]))

    assert _state(sent_reply) == DeliveryState.DELIVERED


def test_a_status_of_a_message_that_is_not_ours_is_harmless(meta, sent_reply):
    response = meta(notification(WA_PHONE_NUMBER_ID, statuses=[status(wamid(), "delivered", BUDI)]))

    assert response.status_code == 200
    assert response.json()["statuses"] == 0
    assert _state(sent_reply) == DeliveryState.SENT


def test_a_status_of_another_channels_reply_with_the_same_id_is_not_taken(meta, sent_reply):
    other = factories.TicketFactory(channel=factories.ChannelFactory(name="Other"))
    theirs = factories.MessageFactory(
        ticket=other,
        direction=Message.Direction.OUT,
        external_id=None,
        delivery_state=DeliveryState.SENT,
        provider_message_id="wamid.SHARED",
    )

    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status("wamid.SHARED", "read", BUDI)]))

    assert _state(theirs) == DeliveryState.SENT
