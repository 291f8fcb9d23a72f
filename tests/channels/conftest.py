import pytest

from channels.webchat_models import WebchatChannel
from contacts.models import Channel
from tests import factories

SHOP = "https://shop.example.com"


@pytest.fixture
def chat(db):
    channel = factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT)
    return WebchatChannel.objects.create(channel=channel, allowed_origins=f"{SHOP}\nhttps://www.shop.example.com")


@pytest.fixture
def bot_api():
    """A local Telegram Bot API (tests/channels/peers/telegram.py), stopped after the test."""
    from tests.channels.peers.telegram import BotApiPeer

    peer = BotApiPeer().start()
    yield peer
    peer.stop()


@pytest.fixture
def telegram(db, bot_api):
    """A Telegram channel whose bot talks to the local Bot API."""
    from channels.telegram_models import TelegramChannel
    from tests.channels.peers.telegram import TOKEN

    channel = factories.ChannelFactory(name="Telegram", kind=Channel.Kind.TELEGRAM)
    return TelegramChannel.objects.create(channel=channel, bot_token=TOKEN, api_base_url=bot_api.url)


# --- WhatsApp: a WhatsApp channel whose Graph API is the loopback peer (tests/channels/peers/whatsapp.py) ---

WA_PHONE_NUMBER_ID = "106540352242922"
WA_APP_SECRET = "meta-app-secret-for-tests"
WA_ACCESS_TOKEN = "EAAG-test-access-token"


@pytest.fixture
def graph():
    from tests.channels.peers.whatsapp import GraphAPI

    server = GraphAPI(token=WA_ACCESS_TOKEN, phone_number_id=WA_PHONE_NUMBER_ID).start()
    yield server
    server.stop()


@pytest.fixture
def number(db, graph):
    """The WhatsApp channel's settings, talking to the loopback Graph API (raw verify token: `raw_verify_token`)."""
    from channels.whatsapp_models import WhatsAppChannel

    channel = factories.ChannelFactory(name="WhatsApp Support", kind=Channel.Kind.WHATSAPP)
    found = WhatsAppChannel(
        channel=channel,
        phone_number_id=WA_PHONE_NUMBER_ID,
        app_secret=WA_APP_SECRET,
        access_token=WA_ACCESS_TOKEN,
        api_base_url=graph.base_url,
    )
    raw = found.set_new_verify_token()
    found.save()
    found.raw_verify_token = raw
    return found


@pytest.fixture
def meta(client, number):
    """Post a notification to the number's webhook as Meta does: post(payload) or post(payload, secret=…)."""
    from django.urls import reverse

    from tests.channels.peers.whatsapp import signed

    url = reverse("whatsapp:webhook", args=[number.channel_id])

    def post(payload, *, secret=WA_APP_SECRET, headers=None):
        body, signed_headers = signed(secret, payload)
        signed_headers.pop("Content-Type")
        sent = {**signed_headers, **(headers or {})}
        return client.post(url, data=body, content_type="application/json", headers=sent)

    post.url = url
    return post


@pytest.fixture
def logged_in(client):
    """logged_in(user) returns the test client signed in as that user (as in tests/console)."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
