"""The inbound API stores addresses normalised, and refuses one that is nothing but spaces and invisible characters."""

import pytest

from contacts.addresses import EMPTY_ADDRESS
from contacts.models import Contact, ContactIdentity
from tickets.models import Message

from .conftest import API, bearer, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, channel_token):
    def send(path: str, body: dict):
        return client.post(f"{API}/inbound/{path}", body, content_type="application/json", **_headers(channel_token))

    return send


def _headers(token: str) -> dict:
    return {f"HTTP_{key.upper()}": value for key, value in bearer(token).items()}


@pytest.mark.parametrize("address", [" ", "\u200b", "\u200b \ufeff\u2060"], ids=["space", "zero-width", "mixed"])
def test_an_address_of_nothing_answers_422_naming_contact_id(post, address):
    response = post("messages", message("m-1", address))

    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("contact.id", f"Value error, {EMPTY_ADDRESS}")
    ]
    assert not Message.objects.exists()


def test_a_batch_names_the_item_with_an_address_of_nothing(post):
    response = post("messages/batch", {"messages": [message("m-1"), message("m-2", "\u200b "), message("m-3")]})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["messages[1].contact.id"]
    assert not Message.objects.exists()


def test_the_stored_address_and_profile_are_normalised(post):
    body = message("m-1", "\u200b 0812-3456-7890")
    body["contact"].update(phone="0812 3456 7890", email="Budi@Example.COM")

    response = post("messages", body)

    assert response.status_code == 201
    contact = Contact.objects.get(pk=response.json()["contact"])
    assert ContactIdentity.objects.get().external_id == "+6281234567890"
    assert (contact.phone, contact.email) == ("+6281234567890", "budi@example.com")
