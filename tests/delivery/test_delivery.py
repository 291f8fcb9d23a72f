"""The delivery state machine, through a real loopback receiver: sent, retried, failed, blocked."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from bench.receiver import Receiver
from blockdesk import errors
from channels.api_webhook import NO_OUTBOUND_URL, RECEIVER_UNAVAILABLE, sign
from contacts.blocking import block_contact, unblock_contact
from contacts.models import BlockReason, Channel, UnblockChoice
from tests.delivery.conftest import SECRET
from tickets.delivery import attempt_delivery, enqueue_due_deliveries
from tickets.models import DeliveryAttempt, DeliveryState, Message, Ticket
from tickets.outbox import retry_delivery, send_reply

pytestmark = pytest.mark.django_db


def _reply(mine, agent, text="Your order left today."):
    return send_reply(actor=agent, ticket=mine, text=text)


def _fresh(message) -> Message:
    return Message.objects.get(pk=message.pk)


def test_a_reply_is_queued_and_its_delivery_enqueued_on_commit(mine, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = _reply(mine, agent)

    assert (message.delivery_state, message.attempts) == (DeliveryState.QUEUED, 0)
    assert len(callbacks) == 1


def test_the_receiver_gets_a_signed_post_and_the_reply_is_sent(mine, agent, receiver):
    message = _reply(mine, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.SENT

    [got] = receiver.received
    assert got["delivery"] == str(message.pk)
    assert got["body"]["message_id"] == message.pk
    assert got["body"]["ticket"] == mine.pk
    assert got["body"]["text"] == "Your order left today."
    assert got["body"]["contact"]["address"] == "+6281211112222"
    message = _fresh(message)
    assert (message.delivery_state, message.attempts, message.provider_message_id) == ("sent", 1, "r-1")
    assert message.next_attempt_at is None
    assert list(message.delivery_attempts.values_list("number", "outcome")) == [(1, "sent")]


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body(mine, agent, receiver):
    message = _reply(mine, agent)
    attempt_delivery(message.pk, 0)

    [got] = receiver.received
    timestamp = got["headers"]["X-BlockDesk-Timestamp"]
    body = json.dumps(got["body"], separators=(",", ":")).encode()
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert got["headers"]["X-BlockDesk-Signature"] == f"sha256={expected}" == f"sha256={sign(SECRET, timestamp, body)}"
    assert abs(int(timestamp) - timezone.now().timestamp()) < 5


def test_a_receiver_with_another_secret_refuses_and_the_reply_fails_with_its_answer(mine, agent, receiver):
    receiver.secret = "not-the-channel-secret"
    message = _reply(mine, agent)

    attempt_delivery(message.pk, 0)

    message = _fresh(message)
    assert message.delivery_state == DeliveryState.FAILED
    assert message.last_error.startswith("The receiver answered 401")


def test_a_5xx_is_retried_later_with_backoff_then_sent(mine, agent, receiver, settings):
    settings.DELIVERY_BACKOFF_BASE_SECONDS = 10
    receiver.answers = [(503, None)]
    message = _reply(mine, agent)
    before = timezone.now()

    assert attempt_delivery(message.pk, 0) == DeliveryState.QUEUED

    message = _fresh(message)
    assert message.last_error == RECEIVER_UNAVAILABLE.format(status=503)
    assert before + timedelta(seconds=7.5) <= message.next_attempt_at <= timezone.now() + timedelta(seconds=12.5)
    assert attempt_delivery(message.pk, 1) == DeliveryState.SENT
    assert list(_fresh(message).delivery_attempts.values_list("number", "outcome")) == [(1, "retry"), (2, "sent")]


def test_a_429_waits_its_retry_after(mine, agent, receiver):
    receiver.answers = [(429, "42")]
    message = _reply(mine, agent)

    attempt_delivery(message.pk, 0)

    wait = (_fresh(message).next_attempt_at - timezone.now()).total_seconds()
    assert 40 < wait <= 42


def test_a_4xx_fails_at_once_with_the_receivers_answer(mine, agent, receiver):
    receiver.answers = [(422, None)]
    message = _reply(mine, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.FAILED

    message = _fresh(message)
    assert message.last_error == 'The receiver answered 422: {"error": "scripted"}'
    assert message.next_attempt_at is None


def test_an_unreachable_receiver_is_retried_until_attempts_are_used_up(mine, agent, receiver, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    receiver.stop()
    message = _reply(mine, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.QUEUED
    assert attempt_delivery(message.pk, 1) == DeliveryState.FAILED

    message = _fresh(message)
    assert message.last_error.startswith("Gave up after 2 attempts. Last error: The receiver could not be reached")
    assert message.delivery_attempts.count() == 2


def test_a_channel_without_an_outbound_url_fails_with_that_reason(mine, agent, api_channel):
    api_channel.outbound_url = ""
    api_channel.save()
    message = _reply(mine, agent)

    attempt_delivery(message.pk, 0)

    assert (_fresh(message).delivery_state, _fresh(message).last_error) == ("failed", NO_OUTBOUND_URL)


def test_a_kind_without_a_sender_fails_and_says_so(agent):
    from tests import factories
    from tests.inbound import deliver
    from tickets import queue

    # SMS has no sender (WhatsApp, which this test used, has one now: channels/whatsapp_send.py).
    sms = factories.ChannelFactory(name="SMS", kind=Channel.Kind.SMS)
    ticket = queue.take_ticket(actor=agent, ticket=deliver(sms, "+62899").ticket)
    message = send_reply(actor=agent, ticket=ticket, text="Hello")

    attempt_delivery(message.pk, 0)

    assert _fresh(message).last_error == errors.DELIVERY_NO_SENDER.format(kind="SMS")


def test_a_reply_queued_before_a_block_is_not_sent_after_it(mine, agent, supervisor, receiver, blocking_on):
    message = _reply(mine, agent)
    block_contact(actor=supervisor, contact=mine.contact, reason=BlockReason.SPAM)

    assert attempt_delivery(message.pk, 0) == DeliveryState.FAILED

    assert receiver.received == []
    assert _fresh(message).last_error == errors.DELIVERY_CONTACT_BLOCKED


def test_a_released_contact_is_a_normal_conversation(mine, agent, supervisor, receiver, blocking_on):
    from tests.inbound import deliver
    from tickets import queue

    block_contact(actor=supervisor, contact=mine.contact, reason=BlockReason.SPAM)
    unblock_contact(actor=supervisor, contact=mine.contact, choice=UnblockChoice.UNBLOCK_ALL)
    ticket = queue.take_ticket(actor=agent, ticket=deliver(mine.channel, "+6281211112222", "Sorry, me again").ticket)
    message = send_reply(actor=agent, ticket=ticket, text="Welcome back")

    assert attempt_delivery(message.pk, 0) == DeliveryState.SENT
    assert [r["body"]["text"] for r in receiver.received] == ["Welcome back"]


def test_a_ticket_let_through_while_the_contact_stays_blocked_is_a_conversation(
    mine, agent, supervisor, receiver, blocking_on
):
    from contacts.blocking import release_blocked_tickets
    from tests.inbound import deliver
    from tickets import queue

    block_contact(actor=supervisor, contact=mine.contact, reason=BlockReason.SPAM)
    blocked = deliver(mine.channel, "+6281211112222", "Please, it is about my order").ticket
    release_blocked_tickets(actor=supervisor, ticket_ids=[blocked.pk])
    ticket = queue.take_ticket(actor=agent, ticket=Ticket.objects.get(pk=blocked.pk))
    message = send_reply(actor=agent, ticket=ticket, text="Here is your order number")

    assert attempt_delivery(message.pk, 0) == DeliveryState.SENT
    assert [r["body"]["text"] for r in receiver.received] == ["Here is your order number"]


def test_a_second_task_for_the_same_attempt_does_nothing(mine, agent, receiver):
    message = _reply(mine, agent)

    attempt_delivery(message.pk, 0)

    assert attempt_delivery(message.pk, 0) == "skipped"
    assert len(receiver.received) == 1


def test_a_task_from_before_another_attempt_does_nothing(mine, agent, receiver):
    message = _reply(mine, agent)
    Message.objects.filter(pk=message.pk).update(attempts=5)

    assert attempt_delivery(message.pk, 0) == "skipped"
    assert (_fresh(message).attempts, receiver.received) == (5, [])


def test_the_sweep_leaves_a_new_reply_to_its_task_for_a_claim(mine, agent, settings):
    settings.DELIVERY_CLAIM_SECONDS = 30
    message = _reply(mine, agent)

    assert timezone.now() + timedelta(seconds=29) < _fresh(message).next_attempt_at
    assert enqueue_due_deliveries() == 0


def test_a_retried_reply_is_left_to_its_task_for_a_claim(mine, agent, receiver, settings):
    settings.DELIVERY_CLAIM_SECONDS = 30
    message = _reply(mine, agent)
    receiver.answers = [(400, None)]
    attempt_delivery(message.pk, 0)

    retry_delivery(actor=agent, message=_fresh(message))

    assert timezone.now() + timedelta(seconds=29) < _fresh(message).next_attempt_at
    assert enqueue_due_deliveries() == 0


def test_the_sweep_hands_each_due_message_out_once(mine, agent, django_capture_on_commit_callbacks):
    due = _reply(mine, agent)
    _reply(mine, agent, "later")  # its task is waiting: not due
    Message.objects.filter(pk=due.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks() as callbacks:
        assert enqueue_due_deliveries() == 1
        assert enqueue_due_deliveries() == 0

    assert len(callbacks) == 1
    assert _fresh(due).next_attempt_at > timezone.now()


def test_a_worker_that_died_mid_send_leaves_the_reply_due_after_its_claim(mine, agent, settings):
    settings.DELIVERY_CLAIM_SECONDS = 30
    message = _reply(mine, agent)
    # What a worker killed after its claim leaves behind:
    Message.objects.filter(pk=message.pk).update(attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=1))

    assert enqueue_due_deliveries() == 1
    assert attempt_delivery(message.pk, 1) == DeliveryState.SENT
    assert DeliveryAttempt.objects.filter(message=message).count() == 1


def test_the_payload_is_the_documented_json(mine, agent, receiver):
    message = _reply(mine, agent)
    attempt_delivery(message.pk, 0)

    [got] = receiver.received
    assert set(got["body"]) == {"message_id", "ticket", "contact", "text", "sent_at"}
    assert set(got["body"]["contact"]) == {"id", "name", "phone", "email", "address"}
    assert got["headers"]["Content-Type"] == "application/json"
    assert json.loads(json.dumps(got["body"]))["sent_at"] == message.sent_at.isoformat()


def test_the_receiver_server_counts_duplicates():
    server = Receiver().start()
    try:
        server.handle({"X-BlockDesk-Delivery": "7"}, b"{}")
        server.handle({"X-BlockDesk-Delivery": "7"}, b"{}")
    finally:
        server.stop()
    assert server.duplicates == 1
