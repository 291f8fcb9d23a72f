"""Replies out through the loopback Graph API: the request Meta gets, its answers, the 24-hour window, blocks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blockdesk import errors
from channels.setup import SetupCheckFailed, kind_setup
from channels.whatsapp_send import META_REFUSED, META_UNREACHABLE, NOT_SET_UP, WINDOW_CLOSED, check_number
from contacts.blocking import block_contact
from contacts.models import BlockReason, Channel
from tests.channels.conftest import WA_ACCESS_TOKEN, WA_PHONE_NUMBER_ID
from tests.channels.peers.whatsapp import DISPLAY_NUMBER, VERIFIED_NAME, meta_error, notification, status
from tests.inbound import deliver
from tickets import queue
from tickets.delivery import attempt_delivery
from tickets.models import DeliveryState, Message, Ticket, TicketStatus
from tickets.outbox import send_bot_reply, send_reply
from tickets.senders import reply_window_closes_at

pytestmark = pytest.mark.django_db

BUDI = "+6281234567890"


@pytest.fixture
def ticket(number, agent):
    """Budi wrote a minute ago; the agent took the ticket."""
    routed = deliver(number.channel, BUDI, "Where is my parcel?", message_id="wamid.IN1")
    return queue.take_ticket(actor=agent, ticket=routed.ticket)


def _send(agent, ticket, text="Your parcel left Jakarta today.") -> Message:
    message = send_reply(actor=agent, ticket=ticket, text=text)
    attempt_delivery(message.pk, 0)
    return Message.objects.get(pk=message.pk)


def test_a_reply_goes_to_the_graph_api_with_the_token_and_is_sent(graph, ticket, agent):
    message = _send(agent, ticket)

    assert (message.delivery_state, message.provider_message_id, message.last_error) == ("sent", "wamid.GRAPH1", "")
    [request] = graph.requests
    assert request["method"] == "POST"
    assert request["path"] == f"/v21.0/{WA_PHONE_NUMBER_ID}/messages"
    assert request["headers"]["Authorization"] == f"Bearer {WA_ACCESS_TOKEN}"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Your parcel left Jakarta today."},
    }


def test_the_receipts_come_back_through_the_webhook(graph, ticket, agent, meta):
    message = _send(agent, ticket)

    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status(message.provider_message_id, "delivered", BUDI[1:])]))
    assert Message.objects.get(pk=message.pk).delivery_state == DeliveryState.DELIVERED
    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status(message.provider_message_id, "read", BUDI[1:])]))
    assert Message.objects.get(pk=message.pk).delivery_state == DeliveryState.READ


def test_a_wrong_token_is_permanent_with_metas_words(graph, ticket, agent):
    graph.token = "another-token"

    message = _send(agent, ticket)

    assert message.delivery_state == DeliveryState.FAILED
    assert message.last_error == META_REFUSED.format(
        text="Error validating access token: the session is invalid. [code 190]"
    )


@pytest.mark.parametrize(
    "http, error",
    [
        (400, meta_error("Re-engagement message", 131047, details="More than 24 hours have passed")),
        (400, meta_error("Message undeliverable", 131026)),
        (400, meta_error("(#100) Invalid parameter", 100)),
        (403, meta_error("Application does not have permission", 10)),
    ],
)
def test_refusals_fail_at_once_with_the_providers_message(graph, ticket, agent, http, error):
    graph.answers.append((http, error, None))

    message = _send(agent, ticket)

    assert message.delivery_state == DeliveryState.FAILED
    assert message.attempts == 1
    assert error["error"]["message"] in message.last_error
    assert f"[code {error['error']['code']}]" in message.last_error
    if "error_data" in error["error"]:
        assert "More than 24 hours have passed" in message.last_error


@pytest.mark.parametrize(
    "http, error, retry_after",
    [
        (400, meta_error("(#4) Application request limit reached", 4), None),
        (400, meta_error("(#80007) Rate limit issues", 80007), None),
        (400, meta_error("(#130429) Rate limit hit", 130429), None),
        (429, {"error": {"message": "Too many"}}, "30"),
        (500, {"error": {"message": "An unknown error occurred", "code": 1}}, None),
        (503, {}, None),
    ],
)
def test_rate_limits_and_metas_trouble_are_tried_again(graph, ticket, agent, http, error, retry_after, settings):
    graph.answers.append((http, error, retry_after))
    before = timezone.now()

    message = _send(agent, ticket)

    assert message.delivery_state == DeliveryState.QUEUED
    assert str(http) in message.last_error
    assert message.next_attempt_at > before
    if retry_after:
        assert message.next_attempt_at >= before + timedelta(seconds=30)

    attempt_delivery(message.pk, 1)  # the peer answers normally again
    message = Message.objects.get(pk=message.pk)
    assert (message.delivery_state, message.attempts) == (DeliveryState.SENT, 2)


def test_an_unreachable_graph_api_is_tried_again(graph, ticket, agent):
    graph.stop()

    message = _send(agent, ticket)

    assert message.delivery_state == DeliveryState.QUEUED
    assert message.last_error == META_UNREACHABLE.format(error="ConnectionError")


def test_a_channel_without_settings_fails_and_says_so(agent):
    channel = Channel.objects.create(name="Bare WhatsApp", kind="whatsapp", token_hash="f" * 64)
    ticket = queue.take_ticket(actor=agent, ticket=deliver(channel, BUDI, "hi").ticket)

    message = _send(agent, ticket)

    assert (message.delivery_state, message.last_error) == (DeliveryState.FAILED, NOT_SET_UP)


# --- the 24-hour window -------------------------------------------------------------------------------------


def _age_customer_messages(ticket, hours: float) -> None:
    Message.objects.filter(ticket=ticket, direction="in").update(sent_at=timezone.now() - timedelta(hours=hours))


def test_within_24_hours_the_reply_goes_out(graph, ticket, agent):
    _age_customer_messages(ticket, 23.9)

    assert _send(agent, ticket).delivery_state == DeliveryState.SENT


def test_after_24_hours_the_reply_fails_at_once_without_calling_meta(graph, ticket, agent):
    _age_customer_messages(ticket, 25)

    message = _send(agent, ticket)

    assert message.delivery_state == DeliveryState.FAILED
    assert message.attempts == 1
    closed = Message.objects.get(direction="in").sent_at + timedelta(hours=24)
    assert message.last_error == WINDOW_CLOSED.format(closed=closed)
    assert graph.requests == []


def test_a_new_customer_message_opens_the_window_again(graph, ticket, agent, number):
    _age_customer_messages(ticket, 30)
    assert _send(agent, ticket).delivery_state == DeliveryState.FAILED

    deliver(number.channel, BUDI, "Hello again?")

    assert _send(agent, ticket).delivery_state == DeliveryState.SENT


def test_the_window_closes_24_hours_after_the_customers_last_message(ticket):
    last = Message.objects.get(direction="in").sent_at

    assert reply_window_closes_at(ticket) == last + timedelta(hours=24)


def test_kinds_without_a_window_have_none(agent):
    chat = Channel.objects.create(name="Chat", kind="webchat", token_hash="e" * 64)
    ticket = deliver(chat, "visitor-1", "hi").ticket

    assert reply_window_closes_at(ticket) is None


def test_the_ticket_shows_when_the_window_closes(logged_in, agent, ticket):
    page = logged_in(agent).get(f"/tickets/{ticket.pk}/").content.decode()

    assert 'id="reply-window"' in page
    assert "Replies go out until" in page


def test_the_ticket_shows_a_closed_window(logged_in, agent, ticket):
    _age_customer_messages(ticket, 30)

    page = logged_in(agent).get(f"/tickets/{ticket.pk}/").content.decode()

    assert "replies fail until the customer writes again" in page


def test_other_kinds_show_no_window(logged_in, agent):
    chat = Channel.objects.create(name="Chat", kind="webchat", token_hash="e" * 64)
    ticket = queue.take_ticket(actor=agent, ticket=deliver(chat, "visitor-1", "hi").ticket)

    assert 'id="reply-window"' not in logged_in(agent).get(f"/tickets/{ticket.pk}/").content.decode()


# --- blocked contacts -----------------------------------------------------------------------------------------


def test_a_blocked_contacts_message_gets_no_answer_from_anyone(graph, number, supervisor, blocking_on, bot_on, meta):
    first = deliver(number.channel, BUDI, "hi")
    block_contact(actor=supervisor, contact=first.contact, reason=BlockReason.SPAM)

    meta(
        notification(
            WA_PHONE_NUMBER_ID,
            messages=[{"from": BUDI[1:], "id": "wamid.SPAM", "type": "text", "text": {"body": "promo"}}],
        )
    )

    ticket = Ticket.objects.get(status=TicketStatus.BLOCKED)
    with pytest.raises(errors.Conflict, match=errors.TICKET_IS_BLOCKED):
        send_bot_reply(ticket=ticket, text="Hello from the BOT")
    assert not Message.objects.filter(direction="out").exists()
    assert graph.sent() == []


def test_a_reply_queued_before_the_block_is_not_sent(graph, ticket, agent, supervisor, blocking_on):
    message = send_reply(actor=agent, ticket=ticket, text="on its way")
    block_contact(actor=supervisor, contact=ticket.contact, reason=BlockReason.SPAM)

    attempt_delivery(message.pk, 0)

    assert Message.objects.get(pk=message.pk).delivery_state == DeliveryState.FAILED
    assert graph.sent() == []


# --- the end-to-end path, with the task backend running tasks at once -----------------------------------------


def test_message_in_reply_out_receipt_back(graph, number, agent, meta, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    meta(
        notification(
            WA_PHONE_NUMBER_ID,
            messages=[
                {
                    "from": "6281234567890",
                    "id": "wamid.E2E",
                    "type": "text",
                    "timestamp": str(int(timezone.now().timestamp())),
                    "text": {"body": "Is my order shipped?"},
                }
            ],
            names={"6281234567890": "Budi"},
        )
    )
    ticket = queue.take_ticket(actor=agent, ticket=Ticket.objects.get())

    with django_capture_on_commit_callbacks(execute=True):
        reply = send_reply(actor=agent, ticket=ticket, text="Yes, this morning.")

    reply = Message.objects.get(pk=reply.pk)
    assert reply.delivery_state == DeliveryState.SENT
    assert graph.sent()[0]["text"]["body"] == "Yes, this morning."
    meta(notification(WA_PHONE_NUMBER_ID, statuses=[status(reply.provider_message_id, "read", "6281234567890")]))
    assert Message.objects.get(pk=reply.pk).delivery_state == DeliveryState.READ


# --- Send test on the set-up page -----------------------------------------------------------------------------


def test_send_test_answers_the_display_number(graph, number):
    assert kind_setup("whatsapp").send_test is check_number

    assert check_number(number.channel) == f"Connected to WhatsApp number {DISPLAY_NUMBER} ({VERIFIED_NAME})."
    [request] = graph.requests
    assert (request["method"], request["path"]) == ("GET", f"/v21.0/{WA_PHONE_NUMBER_ID}")
    assert request["headers"]["Authorization"] == f"Bearer {WA_ACCESS_TOKEN}"


def test_send_test_says_what_meta_refused(graph, number):
    graph.token = "rotated-elsewhere"

    with pytest.raises(SetupCheckFailed) as failed:
        check_number(number.channel)

    assert "Error validating access token" in failed.value.reason


def test_send_test_on_a_wrong_phone_number_id(graph, number):
    number.phone_number_id = "123"
    number.save()

    with pytest.raises(SetupCheckFailed) as failed:
        check_number(number.channel)

    assert "Object with ID '123' does not exist" in failed.value.reason


def test_send_test_without_settings(db):
    channel = Channel.objects.create(name="Bare", kind="whatsapp", token_hash="d" * 64)

    with pytest.raises(SetupCheckFailed, match="no Cloud API settings"):
        check_number(channel)
