"""POST /api/v1/inbound/messages over real HTTP (live_server): storage, idempotency and every refusal."""

import json

import pytest
import requests
from django.utils import timezone

from blockdesk.api import NOT_JSON
from blockdesk.api_auth import BAD_CHANNEL_TOKEN, INBOUND_MAX_BYTES, NO_CHANNEL_TOKEN
from contacts.blocking import block_contact, unblock_contact
from contacts.models import Contact
from tickets.models import Message, Ticket, TicketStatus

from .conftest import API, bearer, message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def post(live_server, channel_token):
    """post(body, token=…) → the response to POST /inbound/messages; dicts are sent as JSON."""

    def send(body, *, token=channel_token, headers=None):
        data = json.dumps(body) if isinstance(body, dict | list) else body
        all_headers = {"Content-Type": "application/json", **(bearer(token) if token else {}), **(headers or {})}
        return requests.post(f"{live_server.url}{API}/inbound/messages", data=data, headers=all_headers, timeout=10)

    return send


def test_first_delivery_is_stored_and_answers_201(post, channel):
    response = post(message("wamid.ABC", text="Hello", sent_at="2026-11-23T10:00:00Z"))

    assert response.status_code == 201
    body = response.json()
    stored = Message.objects.select_related("ticket__contact").get()
    assert body == {
        "message": stored.pk,
        "ticket": stored.ticket_id,
        "contact": stored.ticket.contact_id,
        "status": "unassigned",
        "rejected_by": None,
        "duplicate": False,
    }
    assert stored.body == "Hello"
    assert stored.external_id == "wamid.ABC"
    assert stored.channel == channel
    assert stored.sent_at.isoformat() == "2026-11-23T10:00:00+00:00"
    contact = stored.ticket.contact
    assert (contact.name, contact.phone, contact.email) == ("Budi", "+6281234567890", "")
    assert contact.identities.get().external_id == "+6281234567890"


def test_repeat_delivery_answers_200_with_the_first_result(post):
    first = post(message("wamid.ABC")).json()

    again = post(message("wamid.ABC", text="a different text"))

    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert Message.objects.count() == 1
    assert Message.objects.get().body == "Hello"


def test_repeat_of_a_message_deleted_by_delete_all_answers_deleted(post, supervisor, blocking_on):
    contact = Contact.objects.get(pk=post(message("hello")).json()["contact"])
    block_contact(actor=supervisor, contact=contact, reason="spam")
    assert post(message("spam-1", text="buy now")).json()["status"] == "blocked"
    unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    again = post(message("spam-1", text="buy now"))

    assert again.status_code == 200
    assert again.json() == {
        "message": None,
        "ticket": None,
        "contact": contact.pk,
        "status": "deleted",
        "rejected_by": None,
        "duplicate": True,
    }
    assert not Message.objects.filter(external_id="spam-1").exists()


def test_next_message_joins_the_open_ticket(post):
    first = post(message("m1")).json()
    second = post(message("m2")).json()

    assert second["ticket"] == first["ticket"]
    assert Ticket.objects.get().message_count == 2


def test_status_says_bot_when_the_bot_is_on(post, bot_on):
    assert post(message()).json()["status"] == "bot"


def test_message_of_a_blocked_contact_lands_in_a_blocked_ticket(post):
    first = post(message("m1")).json()
    Ticket.objects.update(status=TicketStatus.RESOLVED)
    blocked = {"is_blocked": True, "blocked_reason": "spam", "blocked_at": timezone.now()}
    Contact.objects.filter(pk=first["contact"]).update(**blocked)

    response = post(message("m2"))

    assert response.status_code == 201
    assert response.json()["status"] == "blocked"
    assert response.json()["ticket"] != first["ticket"]


def test_naive_sent_at_is_read_as_utc(post):
    post(message(sent_at="2026-11-23T10:00:00"))

    assert Message.objects.get().sent_at.isoformat() == "2026-11-23T10:00:00+00:00"


def test_same_message_id_on_another_channel_is_another_message(post, make_channel):
    _, other_token = make_channel(name="Telegram")

    assert post(message("same-id")).status_code == 201
    assert post(message("same-id"), token=other_token).status_code == 201
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("token", "detail"),
    [(None, NO_CHANNEL_TOKEN), ("bdc_wrong", BAD_CHANNEL_TOKEN)],
    ids=["missing", "wrong"],
)
def test_without_a_valid_token_answers_401(post, token, detail):
    response = post(message(), token=token)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert not Message.objects.exists()


def test_token_of_an_inactive_channel_answers_401(post, channel, channel_token):
    channel.is_active = False
    channel.save()

    response = post(message(), token=channel_token)

    assert response.status_code == 401
    assert response.json() == {"detail": BAD_CHANNEL_TOKEN}


def test_other_authorization_schemes_answer_401(post, channel_token):
    response = post(message(), token=None, headers={"Authorization": f"Basic {channel_token}"})

    assert response.status_code == 401
    assert response.json() == {"detail": NO_CHANNEL_TOKEN}


def test_personal_token_is_not_a_channel_token(post, supervisor, token_for):
    assert post(message(), token=token_for(supervisor)).status_code == 401


@pytest.mark.parametrize(
    "body",
    ["not json", "", "[1, 2]", '"text"', "null", '{"message_id": ', b"\xff\xfe{}"],
    ids=["text", "empty", "array", "string", "null", "truncated", "not-utf8"],
)
def test_body_that_is_not_a_json_object_answers_400(post, body):
    response = post(body)

    assert response.status_code == 400
    assert response.json() == {"detail": NOT_JSON}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"message_id": None}, ["message_id"]),
        ({"message_id": ""}, ["message_id"]),
        ({"message_id": 12}, ["message_id"]),
        ({"contact": None}, ["contact"]),
        ({"contact": {"name": "Budi"}}, ["contact.id"]),
        ({"contact": {"id": "x" * 256}}, ["contact.id"]),
        ({"contact": {"id": "+62", "phone": "1" * 51}}, ["contact.phone"]),
        ({"text": ""}, ["text"]),
        ({"text": "x" * 10_001}, ["text"]),
        ({"text": "nul\x00byte"}, ["text"]),
        ({"text": "\ud800"}, ["text"]),
        ({"sent_at": "yesterday"}, ["sent_at"]),
        ({"contact": {"id": "+62811", "email": "not an email"}}, ["contact.email"]),
        ({"message_id": "", "text": "", "contact": {"id": ""}}, ["message_id", "contact.id", "text"]),
    ],
    ids=[
        "message_id-missing",
        "message_id-empty",
        "message_id-number",
        "contact-missing",
        "contact.id-missing",
        "contact.id-too-long",
        "phone-too-long",
        "text-empty",
        "text-too-long",
        "text-nul",
        "text-lone-surrogate",
        "sent_at-not-a-time",
        "email-not-an-address",
        "several",
    ],
)
def test_invalid_fields_answer_422_naming_each(post, change, fields):
    body = message()
    body.update(change)
    if body["message_id"] is None:
        del body["message_id"]

    response = post(body)

    assert response.status_code == 422
    answer = response.json()
    assert [error["field"] for error in answer["errors"]] == fields
    assert all(error["message"] for error in answer["errors"])
    for field in fields:
        assert field in answer["detail"]
    assert not Message.objects.exists()


def test_text_of_exactly_10000_characters_is_accepted(post):
    assert post(message(text="x" * 10_000)).status_code == 201


def test_body_over_64_kib_answers_413_before_parsing(post):
    body = json.dumps(message(padding="x" * INBOUND_MAX_BYTES))

    response = post(body)

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 64 KiB."}
    assert not Message.objects.exists()


def test_body_over_djangos_upload_limit_answers_413_not_500(post, settings):
    # Django itself refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
    response = post("x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))

    assert response.status_code == 413
    assert "detail" in response.json()


def test_without_a_token_a_large_body_is_still_401(post):
    assert post("x" * (INBOUND_MAX_BYTES + 1), token=None).status_code == 401


def test_get_is_not_allowed(live_server, channel_token):
    response = requests.get(f"{live_server.url}{API}/inbound/messages", headers=bearer(channel_token), timeout=10)

    assert response.status_code == 405
