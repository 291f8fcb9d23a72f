"""Every open chat polls each second: a poll costs the same few queries however long the conversation is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tickets.models import DeliveryState, Message

from .visitor import ChatVisitor

pytestmark = pytest.mark.django_db

# The chat, the visitor's contact, what is new, what is unread.
QUIET_POLL_QUERIES = 4


def _polled_queries(visitor) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert visitor.poll().status_code == 200
    return len(queries)


@pytest.mark.parametrize("history", [1, 60])
def test_a_quiet_poll_costs_the_same_whatever_the_history(chat, agent, history):
    chat.messages_per_visitor = chat.messages_per_address = 1000
    chat.save()
    visitor = ChatVisitor(chat)
    visitor.open()
    for n in range(history):
        visitor.send(f"message {n}")
    ticket = Message.objects.get(body="message 0").ticket
    for n in range(history):
        factories.MessageFactory(
            ticket=ticket,
            direction=Message.Direction.OUT,
            body=f"reply {n}",
            external_id=None,
            delivery_state=DeliveryState.READ,
        )
    visitor.open()
    assert _polled_queries(visitor) == QUIET_POLL_QUERIES
