"""Texts made in Python by tickets, channels, accounts and settings_app, and the web chat's, in Bahasa Indonesia.

Each test asks as an Indonesian person (their profile) or an Indonesian visitor (Accept-Language), with the
project's catalogue (tests/i18n/conftest.py).
"""

import pytest
from django.urls import reverse

from channels.webchat_models import WebchatChannel
from contacts.models import Channel
from tests import factories

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def chat():
    channel = factories.ChannelFactory(name="Toko", kind=Channel.Kind.WEBCHAT)
    return WebchatChannel.objects.create(channel=channel, allowed_origins=SHOP)


def _widget_texts(client, chat, **headers):
    return client.get(reverse("webchat:widget", args=[chat.public_id]), headers=headers)


def test_the_widget_gets_its_texts_in_the_visitors_language(indonesian_catalogue, client, chat):
    indonesian = _widget_texts(client, chat, origin=SHOP, accept_language="id-ID,id;q=0.9,en;q=0.5")
    english = _widget_texts(client, chat, origin=SHOP, accept_language="fr-FR,fr;q=0.9")

    assert indonesian.json() == {"open": "Obrolan dengan kami", "close": "Tutup obrolan", "title": "Obrolan"}
    assert english.json() == {"open": "Chat with us", "close": "Close chat", "title": "Chat"}
    # Only the channel's allowed sites may read them; caches keep one answer per language and site.
    assert indonesian["Access-Control-Allow-Origin"] == SHOP
    assert {"Accept-Language", "Origin"} <= {part.strip() for part in indonesian["Vary"].split(",")}


def test_another_site_cannot_read_the_widget_texts_and_an_unknown_chat_has_none(indonesian_catalogue, client, chat):
    foreign = _widget_texts(client, chat, origin="https://evil.example.net")
    assert foreign.status_code == 200 and "Access-Control-Allow-Origin" not in foreign

    missing = client.get(reverse("webchat:widget", args=["00000000-0000-0000-0000-000000000000"]))
    assert missing.status_code == 404 and missing.json() == {"detail": "There is no chat here."}


def test_the_chat_page_refuses_in_the_visitors_language(indonesian_catalogue, client, chat):
    page = client.get(reverse("webchat:page", args=[chat.public_id]), headers={"accept_language": "id"})
    html = page.content.decode()
    assert 'data-offline-error="Pesan tidak dapat dikirim. Periksa koneksi Anda dan coba lagi."' in html

    too_long = client.post(
        reverse("webchat:send", args=[chat.public_id]),
        {"text": "x" * 4001, "token": page.context["token"]},
        headers={"accept_language": "id", "hx_request": "true", "origin": SHOP},
    )
    assert too_long.status_code == 422 and too_long.content.decode() == "Pesan paling banyak 4000 karakter."

    expired = client.post(
        reverse("webchat:send", args=[chat.public_id]),
        {"text": "Halo", "token": "forged"},
        headers={"accept_language": "id", "hx_request": "true", "origin": SHOP},
    )
    assert expired.content.decode() == "Halaman obrolan ini sudah kedaluwarsa. Muat ulang untuk melanjutkan obrolan."
