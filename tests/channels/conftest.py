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
