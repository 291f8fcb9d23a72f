"""Receipts, Retry, the BOT's reply and the encrypted secret, through the domain and the API."""

import pytest
from django.db import connection

from accounts.models import ApiToken
from blockdesk import errors
from tickets.delivery import attempt_delivery
from tickets.models import Channel, DeliveryState, Message, TicketStatus
from tickets.outbox import record_receipt, retry_delivery, send_bot_reply, send_reply

pytestmark = pytest.mark.django_db


def _sent(mine, agent):
    message = send_reply(actor=agent, ticket=mine, text="Done")
    attempt_delivery(message.pk, 0)
    return Message.objects.get(pk=message.pk)


def _failed(mine, agent, receiver):
    receiver.answers = [(400, None)]
    return _sent(mine, agent)


def test_receipts_only_move_forward_and_repeat_harmlessly(mine, agent):
    message = _sent(mine, agent)

    assert record_receipt(message=message, state="read") is True
    assert record_receipt(message=message, state="delivered") is False
    assert record_receipt(message=message, state="read") is False

    message.refresh_from_db()
    assert (message.delivery_state, message.read_at is not None, message.delivered_at is not None) == (
        "read",
        True,
        True,
    )


def test_an_unknown_receipt_state_is_refused(mine, agent):
    with pytest.raises(errors.Invalid):
        record_receipt(message=_sent(mine, agent), state="failed")


def test_retry_queues_a_failed_reply_with_fresh_attempts(mine, agent, receiver):
    message = _failed(mine, agent, receiver)

    retry_delivery(actor=agent, message=message)

    message.refresh_from_db()
    assert (message.delivery_state, message.attempts) == (DeliveryState.QUEUED, 0)
    assert attempt_delivery(message.pk, 0) == DeliveryState.SENT


def test_retry_is_refused_for_a_reply_that_did_not_fail_and_for_someone_elses_ticket(
    mine, agent, other_agent, receiver
):
    sent = _sent(mine, agent)
    with pytest.raises(errors.Conflict, match=errors.NOT_A_FAILED_DELIVERY):
        retry_delivery(actor=agent, message=sent)
    failed = _failed(mine, agent, receiver)
    with pytest.raises(errors.Forbidden, match=errors.TICKET_NOT_YOURS):
        retry_delivery(actor=other_agent, message=failed)
    assert Message.objects.get(pk=failed.pk).delivery_state == DeliveryState.FAILED


def test_the_bot_replies_only_in_its_own_tickets(api_channel, bot_on):
    from tests.inbound import deliver

    ticket = deliver(api_channel, "+62811", "hi").ticket
    message = send_bot_reply(ticket=ticket, text="Hello, I am the bot")
    assert (message.author, message.delivery_state) == (None, DeliveryState.QUEUED)

    ticket.status = TicketStatus.UNASSIGNED
    ticket.save()
    with pytest.raises(errors.Conflict, match=errors.TICKET_NOT_WITH_BOT):
        send_bot_reply(ticket=ticket, text="still me")


def test_the_outbound_secret_is_stored_encrypted(api_channel):
    with connection.cursor() as cursor:
        cursor.execute("SELECT outbound_secret FROM contacts_channel WHERE id = %s", [api_channel.pk])
        (stored,) = cursor.fetchone()
    assert stored and "outbound-test-secret" not in stored
    assert Channel.objects.get(pk=api_channel.pk).outbound_secret == "outbound-test-secret"


# API


def _token(user) -> str:
    _, raw = ApiToken.issue(user=user, name="test")
    return raw


def test_the_ticket_api_shows_each_replys_state(client, mine, agent, receiver):
    _failed(mine, agent, receiver)
    response = client.get(f"/api/v1/tickets/{mine.pk}", headers={"Authorization": f"Bearer {_token(agent)}"})

    reply = response.json()["messages"][-1]
    assert (reply["state"], reply["attempts"]) == ("failed", 1)
    assert reply["last_error"].startswith("The receiver answered 400")
    assert response.json()["messages"][0]["state"] is None


def test_the_api_retries_a_failed_reply_and_refuses_a_sent_one(client, mine, agent, receiver):
    failed = _failed(mine, agent, receiver)
    sent = _sent(mine, agent)
    auth = {"Authorization": f"Bearer {_token(agent)}"}

    assert client.post(f"/api/v1/messages/{failed.pk}/retry", headers=auth).json()["state"] == "queued"
    refused = client.post(f"/api/v1/messages/{sent.pk}/retry", headers=auth)
    assert (refused.status_code, refused.json()["detail"]) == (409, errors.NOT_A_FAILED_DELIVERY)
    assert client.post("/api/v1/messages/999999/retry", headers=auth).status_code == 404


def test_a_receipt_with_the_channel_token_moves_the_reply_on(client, mine, agent, api_channel):
    token = api_channel.set_new_token()
    api_channel.save()
    message = _sent(mine, agent)
    auth = {"Authorization": f"Bearer {token}"}

    first = client.post(
        "/api/v1/outbound/receipts", {"message_id": message.pk, "state": "delivered"}, "application/json", headers=auth
    )
    again = client.post(
        "/api/v1/outbound/receipts", {"message_id": message.pk, "state": "delivered"}, "application/json", headers=auth
    )
    unknown = client.post(
        "/api/v1/outbound/receipts", {"message_id": 999999, "state": "read"}, "application/json", headers=auth
    )
    bad = client.post(
        "/api/v1/outbound/receipts", {"message_id": message.pk, "state": "lost"}, "application/json", headers=auth
    )

    assert first.json() == {"message_id": message.pk, "state": "delivered", "changed": True}
    assert again.json()["changed"] is False
    assert (unknown.status_code, bad.status_code) == (404, 422)
    assert Message.objects.get(pk=message.pk).delivery_state == DeliveryState.DELIVERED


def test_the_admin_never_shows_the_outbound_secret_and_keeps_it_when_left_empty(client, api_channel):
    from tests import factories

    client.force_login(factories.AdministratorFactory(is_staff=True, is_superuser=True))
    url = f"/admin/contacts/channel/{api_channel.pk}/change/"

    page = client.get(url).content.decode()
    client.post(
        url,
        {"name": api_channel.name, "kind": "api", "is_active": "on", "outbound_url": "http://127.0.0.1:9/new"},
    )

    assert "outbound-test-secret" not in page
    channel = Channel.objects.get(pk=api_channel.pk)
    assert (channel.outbound_url, channel.outbound_secret) == ("http://127.0.0.1:9/new", "outbound-test-secret")
