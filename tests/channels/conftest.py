import pytest

from channels.webchat_models import WebchatChannel
from contacts.models import Channel
from tests import factories

SHOP = "https://shop.example.com"


@pytest.fixture
def chat(db):
    channel = factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT)
    return WebchatChannel.objects.create(channel=channel, allowed_origins=f"{SHOP}\nhttps://www.shop.example.com")
