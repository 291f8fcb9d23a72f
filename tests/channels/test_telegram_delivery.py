"""Replies out through sendMessage on the local Bot API: sent, retried after a 429, failed for good when blocked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blockdesk import errors
from channels.telegram import BOT_BLOCKED, NO_ADDRESS, NOT_SET_UP, TELEGRAM_REFUSED
from contacts.blocking import block_contact
from contacts.models import BlockReason, ContactIdentity
from tests.channels.peers.telegram import BLOCKED, USER, error, member_update, message_update, too_many_requests
from tests.channels.telegram_hook import post_update
from tickets import queue
from tickets.delivery import attempt_delivery
from tickets.models import DeliveryState, Message, Ticket
from tickets.outbox import send_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(telegram, agent):
    """Budi wrote to the bot; the agent took the ticket."""
    post_update(telegram, message_update(1, "Where is my order?"))
    return queue.take_ticket(actor=agent, ticket=Ticket.objects.get())


def _reply(ticket, agent, text="It left today.") -> Message:
    return send_reply(actor=agent, ticket=ticket, text=text)


def _fresh(message) -> Message:
    return Message.objects.get(pk=message.pk)


def test_a_reply_goes_out_with_send_message_to_the_chat(ticket, agent, bot_api):
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.SENT

    [call] = [c for c in bot_api.calls if c["method"] == "sendMessage"]
    assert call["token"] == bot_api.token  # the peer answers 401 to any other token in the path
    assert call["params"] == {"chat_id": USER["id"], "text": "It left today."}
    message = _fresh(message)
    assert (message.delivery_state, message.provider_message_id, message.last_error) == ("sent", "500", "")


def test_a_reply_longer_than_telegrams_limit_goes_out_in_parts(ticket, agent, bot_api):
    message = _reply(ticket, agent, text="a" * 4096 + "b" * 10)

    attempt_delivery(message.pk, 0)

    assert [len(p["text"]) for p in bot_api.calls_of("sendMessage")] == [4096, 10]
    assert _fresh(message).provider_message_id == "500,501"


def test_a_bot_the_user_blocked_fails_for_good_and_marks_the_address(ticket, agent, bot_api):
    bot_api.blocked_by.add(USER["id"])
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.FAILED

    message = _fresh(message)
    assert message.last_error == TELEGRAM_REFUSED.format(code=403, description=BLOCKED[1]["description"])
    assert message.last_error == "Telegram refused: 403 Forbidden: bot was blocked by the user"
    identity = ContactIdentity.objects.get(channel=ticket.channel)
    assert identity.undeliverable_reason == BOT_BLOCKED
    assert identity.undeliverable_since is not None


def test_a_reply_to_an_undeliverable_address_fails_at_once_without_asking_telegram(ticket, agent, bot_api, telegram):
    post_update(telegram, member_update(2, "kicked"))
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.FAILED

    assert _fresh(message).last_error == errors.DELIVERY_UNDELIVERABLE.format(reason=BOT_BLOCKED)
    assert _fresh(message).last_error == "Not sent: The customer blocked the bot on Telegram."
    assert bot_api.calls_of("sendMessage") == []


def test_after_the_user_is_back_replies_go_out_again(ticket, agent, bot_api, telegram):
    post_update(telegram, member_update(2, "kicked"))
    post_update(telegram, member_update(3, "member"))
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.SENT


def test_a_429_is_tried_again_after_telegrams_retry_after(ticket, agent, bot_api, settings):
    settings.DELIVERY_BACKOFF_BASE_SECONDS = 1
    bot_api.answers.append(too_many_requests(37))
    message = _reply(ticket, agent)
    before = timezone.now()

    assert attempt_delivery(message.pk, 0) == DeliveryState.QUEUED

    message = _fresh(message)
    assert message.last_error == "Telegram answered 429: Too Many Requests: retry after 37"
    assert message.next_attempt_at >= before + timedelta(seconds=37)
    assert message.next_attempt_at <= timezone.now() + timedelta(seconds=38)
    assert attempt_delivery(message.pk, 1) == DeliveryState.SENT


def test_a_5xx_is_tried_again(ticket, agent, bot_api):
    bot_api.answers.append(error(502, "Bad Gateway"))
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.QUEUED
    assert attempt_delivery(message.pk, 1) == DeliveryState.SENT


def test_a_bot_api_that_cannot_be_reached_is_tried_again_and_the_token_is_never_shown(ticket, agent, bot_api, telegram):
    bot_api.stop()
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.QUEUED

    message = _fresh(message)
    assert message.last_error.startswith("Telegram could not be reached: ")
    assert telegram.bot_token.split(":")[1] not in message.last_error


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (error(400, "Bad Request: chat not found"), "Telegram refused: 400 Bad Request: chat not found"),
        (error(401, "Unauthorized"), "Telegram refused: 401 Unauthorized"),
    ],
)
def test_other_refusals_fail_at_once_with_telegrams_description(ticket, agent, bot_api, answer, reason):
    bot_api.answers.append(answer)
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.FAILED
    assert _fresh(message).last_error == reason
    assert ContactIdentity.objects.get(channel=ticket.channel).undeliverable_reason == ""


def test_a_wrong_bot_token_is_refused_by_the_peer(ticket, agent, bot_api, telegram):
    telegram.bot_token = "987654321:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    telegram.save()
    message = _reply(ticket, agent)

    assert attempt_delivery(message.pk, 0) == DeliveryState.FAILED
    assert _fresh(message).last_error == "Telegram refused: 401 Unauthorized"


def test_a_channel_without_a_bot_fails_with_the_reason(ticket, agent, telegram):
    telegram.delete()
    message = _reply(ticket, agent)

    attempt_delivery(message.pk, 0)

    assert _fresh(message).last_error == NOT_SET_UP


def test_a_contact_without_a_chat_on_the_channel_fails_with_the_reason(ticket, agent):
    ContactIdentity.objects.filter(channel=ticket.channel).delete()
    message = _reply(ticket, agent)

    attempt_delivery(message.pk, 0)

    assert _fresh(message).last_error == NO_ADDRESS


def test_nothing_goes_out_to_a_blocked_contact(ticket, agent, supervisor, bot_api, blocking_on):
    message = _reply(ticket, agent)
    block_contact(actor=supervisor, contact=ticket.contact, reason=BlockReason.SPAM, resolve_open_tickets=False)

    assert attempt_delivery(message.pk, 0) == DeliveryState.FAILED

    assert _fresh(message).last_error == errors.DELIVERY_CONTACT_BLOCKED
    assert bot_api.calls_of("sendMessage") == []


def test_a_blocked_contacts_message_lands_in_blocked_and_nobody_can_answer_it(
    telegram, supervisor, agent, bot_api, blocking_on, bot_on
):
    post_update(telegram, message_update(1, "hi"))
    first = Ticket.objects.get()
    block_contact(actor=supervisor, contact=first.contact, reason=BlockReason.SPAM)

    post_update(telegram, message_update(2, "buy now", message_id=2))

    blocked = Ticket.objects.exclude(pk=first.pk).get()
    assert blocked.status == "blocked"
    with pytest.raises(errors.DomainError):
        send_reply(actor=supervisor, ticket=blocked, text="no")
    assert bot_api.calls_of("sendMessage") == []
