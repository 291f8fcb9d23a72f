import pytest

from bench.receiver import Receiver
from tests import factories
from tests.inbound import deliver
from tickets import queue
from tickets.models import Channel

SECRET = "outbound-test-secret"


@pytest.fixture
def receiver():
    server = Receiver(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def api_channel(db, receiver):
    return factories.ChannelFactory(
        name="Shop API", kind=Channel.Kind.API, outbound_url=receiver.url, outbound_secret=SECRET
    )


@pytest.fixture
def mine(api_channel, agent):
    """A ticket of Budi's on the api channel, taken by the agent."""
    ticket = deliver(api_channel, "+6281211112222", "Where is my order?").ticket
    return queue.take_ticket(actor=agent, ticket=ticket)
