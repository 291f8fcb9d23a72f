"""End to end over real sockets: the local Bot API is told the webhook (telegram_set_webhook), pushes updates to
BlockDesk's live server with the secret token, and receives the replies through sendMessage."""

import pytest
from django.core.management import call_command

from contacts.blocking import block_contact
from contacts.models import BlockReason, Contact, ContactIdentity
from tests.channels.peers.telegram import USER, member_update, message_update
from tickets import queue
from tickets.delivery import attempt_delivery
from tickets.models import DeliveryState, Ticket, TicketStatus
from tickets.outbox import send_reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hooked(telegram, bot_api, live_server):
    """The peer knows BlockDesk's webhook and secret token, as Telegram would after setWebhook."""
    call_command("telegram_set_webhook", str(telegram.channel_id), "--url", live_server.url)
    assert bot_api.webhook_url == f"{live_server.url}/hooks/telegram/{telegram.channel_id}/"
    assert bot_api.secret_token == telegram.secret_token
    return bot_api


def test_message_in_reply_out_and_the_blocked_bot(hooked, agent):
    response = hooked.push(message_update(hooked.next_update_id(), "Is my parcel lost?"))
    assert (response.status_code, response.json()["outcome"]) == (200, "stored")

    ticket = queue.take_ticket(actor=agent, ticket=Ticket.objects.get())
    reply = send_reply(actor=agent, ticket=ticket, text="No, it arrives tomorrow.")
    assert attempt_delivery(reply.pk, 0) == DeliveryState.SENT
    assert hooked.calls_of("sendMessage") == [{"chat_id": USER["id"], "text": "No, it arrives tomorrow."}]

    assert hooked.push(member_update(hooked.next_update_id(), "kicked")).json()["outcome"] == "unreachable"
    second = send_reply(actor=agent, ticket=ticket, text="Anything else?")
    assert attempt_delivery(second.pk, 0) == DeliveryState.FAILED
    assert len(hooked.calls_of("sendMessage")) == 1
    assert ContactIdentity.objects.get().undeliverable_reason


def test_a_push_with_a_wrong_secret_is_refused_and_stores_nothing(hooked):
    response = hooked.push(message_update(hooked.next_update_id(), "forged"), secret="not-the-secret")

    assert response.status_code == 401
    assert not Ticket.objects.exists()


def test_a_blocked_contacts_message_lands_in_the_blocked_list_and_gets_no_answer(
    hooked, supervisor, blocking_on, bot_on
):
    hooked.push(message_update(hooked.next_update_id(), "hello", message_id=1))
    block_contact(actor=supervisor, contact=Contact.objects.get(), reason=BlockReason.SPAM)

    response = hooked.push(message_update(hooked.next_update_id(), "buy followers", message_id=2))

    assert response.json()["status"] == TicketStatus.BLOCKED
    assert Ticket.objects.filter(status=TicketStatus.BLOCKED).count() == 1
    assert hooked.calls_of("sendMessage") == []
