"""The whole WhatsApp round trip over real sockets: Meta's side posts to a live server, we post to the peer."""

import pytest
from django.urls import reverse

from contacts.blocking import block_contact
from contacts.models import BlockReason, Contact
from tests.channels.conftest import WA_APP_SECRET, WA_PHONE_NUMBER_ID
from tests.channels.peers.whatsapp import notification, post_notification, status, text_message, verify_webhook
from tickets import queue
from tickets.delivery import attempt_delivery
from tickets.models import DeliveryState, Message, Ticket, TicketStatus
from tickets.outbox import send_reply

pytestmark = pytest.mark.django_db(transaction=True)

BUDI = "6281234567890"


def test_handshake_message_in_reply_out_receipts_back_and_a_block(
    live_server, graph, number, agent, supervisor, blocking_on
):
    url = live_server.url + reverse("whatsapp:webhook", args=[number.channel_id])

    handshake = verify_webhook(url, number.raw_verify_token, "8423")
    assert (handshake.status_code, handshake.text) == (200, "8423")
    assert verify_webhook(url, "wrong").status_code == 403

    hello = notification(WA_PHONE_NUMBER_ID, messages=[text_message(BUDI, "Where is my parcel?")], names={BUDI: "Budi"})
    answer = post_notification(url, WA_APP_SECRET, hello)
    assert answer.status_code == 200 and answer.json()["messages"] == 1
    assert post_notification(url, "not-the-secret", hello).status_code == 401
    assert post_notification(url, WA_APP_SECRET, hello).json()["duplicates"] == 1

    ticket = queue.take_ticket(actor=agent, ticket=Ticket.objects.get())
    reply = send_reply(actor=agent, ticket=ticket, text="It left Jakarta today.")
    assert attempt_delivery(reply.pk, 0) == DeliveryState.SENT
    wamid = Message.objects.get(pk=reply.pk).provider_message_id
    assert graph.sent()[0]["to"] == BUDI

    post_notification(url, WA_APP_SECRET, notification(WA_PHONE_NUMBER_ID, statuses=[status(wamid, "delivered", BUDI)]))
    post_notification(url, WA_APP_SECRET, notification(WA_PHONE_NUMBER_ID, statuses=[status(wamid, "read", BUDI)]))
    assert Message.objects.get(pk=reply.pk).delivery_state == DeliveryState.READ

    block_contact(actor=supervisor, contact=Contact.objects.get(), reason=BlockReason.SPAM)
    spam = notification(WA_PHONE_NUMBER_ID, messages=[text_message(BUDI, "BUY FOLLOWERS")])
    assert post_notification(url, WA_APP_SECRET, spam).status_code == 200
    assert Ticket.objects.get(status=TicketStatus.BLOCKED).last_message_preview == "BUY FOLLOWERS"
    assert len(graph.sent()) == 1  # nothing more went out
