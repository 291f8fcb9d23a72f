"""The BOT as a participant: which customer messages reach a bot, the signed POST to its webhook, the built-in bot."""

import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone
from django_tasks import task_backends

from bench.receiver import Receiver
from blockdesk import errors
from contacts.blocking import block_contact, unblock_ticket
from contacts.models import BlockReason
from settings_app.bot import forget_answerer
from settings_app.models import BotAnswerer, SystemSettings
from tests.inbound import deliver
from tickets import bot, builtin_bot
from tickets.delivery import attempt_delivery
from tickets.models import DeliveryState, Message, TicketStatus
from tickets.outbox import send_bot_reply
from tickets.queue import take_ticket
from tickets.routing import InboundMessage, route_inbound_batch

pytestmark = pytest.mark.django_db

SECRET = "bot-webhook-test-secret"


@pytest.fixture
def answered_by(db):
    """answered_by(answerer, url="") → sets who answers BOT tickets (the webhook with SECRET)."""

    def choose(answerer: str, url: str = "") -> None:
        SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).update(
            bot_answerer=answerer, bot_webhook_url=url, bot_webhook_secret=SECRET
        )
        forget_answerer()

    return choose


@pytest.fixture
def bot_receiver():
    server = Receiver(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def task_queue(settings):
    """A task backend that keeps what is enqueued instead of running it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["default"]


def _bot_tasks(task_queue) -> list[tuple]:
    """The (args, run_after) of each bot task enqueued."""
    return [(tuple(r.args), r.task.run_after) for r in task_queue.results if r.task.func is bot.answer_message.func]


@pytest.fixture
def enqueued(task_queue):
    """enqueued() → the message ids handed to the bot task so far."""
    return lambda: [args[0] for args, _ in _bot_tasks(task_queue)]


@pytest.fixture
def retried(task_queue):
    """retried() → the (message id, attempt) of each later try the task asked for, with how long it waits."""

    def tries():
        return [
            (args, run_after and round((run_after - timezone.now()).total_seconds()))
            for args, run_after in _bot_tasks(task_queue)
        ]

    return tries


def _in_bot_ticket(channel, text="Hello", contact_id="+6281200000001"):
    routed = deliver(channel, contact_id, text)
    assert routed.ticket.status == TicketStatus.BOT
    return routed.message


def _bot_replies(ticket) -> list[Message]:
    return list(ticket.messages.filter(direction=Message.Direction.OUT, author=None).order_by("id"))


# Which messages reach a bot ------------------------------------------------------------------------


def test_a_message_in_a_bot_ticket_is_handed_on_after_commit(
    channel, bot_on, answered_by, enqueued, django_capture_on_commit_callbacks
):
    answered_by(BotAnswerer.BUILTIN)
    with django_capture_on_commit_callbacks() as callbacks:
        message = _in_bot_ticket(channel)
        assert enqueued() == []  # not before the message is committed
    for callback in callbacks:
        callback()

    assert enqueued() == [message.pk]


def test_nothing_is_handed_on_while_nobody_answers_bot_tickets(
    channel, bot_on, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _in_bot_ticket(channel)

    assert enqueued() == []


def test_a_batch_hands_on_only_its_bot_tickets_messages(
    channel, bot_on, answered_by, enqueued, blocking_on, supervisor, django_capture_on_commit_callbacks
):
    answered_by(BotAnswerer.BUILTIN)
    spammer = deliver(channel, "+6289999", "spam").contact
    block_contact(actor=supervisor, contact=spammer, reason=BlockReason.SPAM)
    inbounds = [
        InboundMessage(message_id="b-1", contact_id="+6281111", text="Hi"),
        InboundMessage(message_id="b-2", contact_id="+6289999", text="more spam"),
        InboundMessage(message_id="b-3", contact_id="+6282222", text="Hours?"),
        InboundMessage(message_id="b-1", contact_id="+6281111", text="Hi"),  # a repeat inside the batch
    ]
    with django_capture_on_commit_callbacks(execute=True):
        routed = route_inbound_batch(channel=channel, inbounds=inbounds)

    assert [r.status for r in routed] == ["bot", "blocked", "bot", "bot"]
    assert sorted(enqueued()) == sorted([routed[0].message.pk, routed[2].message.pk])


def test_a_blocked_contacts_message_never_reaches_the_bot(
    channel, bot_on, blocking_on, answered_by, enqueued, supervisor, bot_receiver, django_capture_on_commit_callbacks
):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    contact = deliver(channel, "+6287777", "first").contact
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)

    with django_capture_on_commit_callbacks(execute=True):
        routed = deliver(channel, "+6287777", "WIN A PHONE")

    assert routed.ticket.status == TicketStatus.BLOCKED
    assert enqueued() == []
    bot.answer_message.call(routed.message.pk)  # even asked directly, the task does not send it
    assert bot_receiver.received == []


def test_a_released_ticket_of_a_still_blocked_contact_does_not_reach_the_bot(
    channel, bot_on, blocking_on, answered_by, supervisor, bot_receiver
):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    contact = deliver(channel, "+6287777", "first").contact
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)
    blocked = deliver(channel, "+6287777", "let me in").ticket
    unblock_ticket(actor=supervisor, ticket=blocked)  # to the BOT queue; the contact stays blocked
    message = deliver(channel, "+6287777", "hello?").message
    assert message.ticket.status == TicketStatus.BOT

    bot.answer_message.call(message.pk)

    assert bot_receiver.received == []


# The bot webhook ------------------------------------------------------------------------------------


def test_the_bot_webhook_gets_a_signed_post_per_message(channel, bot_on, answered_by, bot_receiver):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    message = _in_bot_ticket(channel, "What are your hours?")
    before = int(time.time())

    bot.answer_message.call(message.pk)

    [got] = bot_receiver.received  # the receiver refuses (401) a wrong signature, so it was right
    headers = {name.lower(): value for name, value in got["headers"].items()}
    assert got["delivery"] == f"bot-message-{message.pk}"
    assert before <= int(headers["x-blockdesk-timestamp"]) <= int(time.time())
    assert headers["content-type"] == "application/json"
    body = got["body"]
    assert body["event"] == "message.created"
    assert body["message"] == {"id": message.pk, "text": "What are your hours?", "sent_at": body["message"]["sent_at"]}
    assert body["ticket"]["id"] == message.ticket_id and body["ticket"]["status"] == "bot"
    assert body["contact"] == {"id": message.ticket.contact_id, "name": "Budi"}
    assert body["reply_url"] == f"/api/v1/tickets/{message.ticket_id}/bot-reply"
    assert body["handover_url"] == f"/api/v1/tickets/{message.ticket_id}/handover"


def test_the_signature_covers_timestamp_dot_raw_body(channel, bot_on, answered_by, bot_receiver, monkeypatch):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    message = _in_bot_ticket(channel)
    sent = {}
    real_open = bot._opener.open

    def spy(request, timeout):
        sent.update(body=request.data, headers=dict(request.header_items()))
        return real_open(request, timeout=timeout)

    monkeypatch.setattr(bot._opener, "open", spy)
    bot.answer_message.call(message.pk)

    headers = {name.lower(): value for name, value in sent["headers"].items()}
    digest = hmac.new(
        SECRET.encode(), headers["x-blockdesk-timestamp"].encode() + b"." + sent["body"], hashlib.sha256
    ).hexdigest()
    assert headers["x-blockdesk-signature"] == f"sha256={digest}"
    assert json.loads(sent["body"])["message"]["id"] == message.pk


def test_a_bot_that_answers_503_is_asked_again_later_and_a_400_is_not(
    channel, bot_on, answered_by, bot_receiver, retried
):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    message = _in_bot_ticket(channel)
    bot_receiver.answers = [(503, None), (400, None)]

    bot.answer_message.call(message.pk)
    bot.answer_message.call(message.pk, 2)

    # The 503 is tried again as attempt 2, about 10 s later (±20% jitter); the 400 is the end.
    [((message_id, attempt), wait)] = retried()
    assert (message_id, attempt) == (message.pk, 2) and 7 <= wait <= 12
    bot_receiver.answers = [(503, None)]
    bot.answer_message.call(message.pk, bot.MAX_ATTEMPTS)
    assert len(retried()) == 1  # the last attempt is not followed by another


def test_a_429_waits_as_long_as_retry_after_says(channel, bot_on, answered_by, bot_receiver, retried):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    message = _in_bot_ticket(channel)
    bot_receiver.answers = [(429, "120")]

    bot.answer_message.call(message.pk, 3)

    assert retried() == [((message.pk, 4), 120)]


def test_a_bot_that_cannot_be_reached_is_asked_again(channel, bot_on, answered_by, retried):
    answered_by(BotAnswerer.WEBHOOK, "http://127.0.0.1:9/nothing-listens-here")
    message = _in_bot_ticket(channel)

    bot.answer_message.call(message.pk)

    [((message_id, attempt), _)] = retried()
    assert (message_id, attempt) == (message.pk, 2)


def test_a_ticket_taken_over_before_the_task_runs_is_not_posted(channel, bot_on, answered_by, bot_receiver, supervisor):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    message = _in_bot_ticket(channel)
    take_ticket(actor=supervisor, ticket=message.ticket)

    bot.answer_message.call(message.pk)

    assert bot_receiver.received == []


# The built-in bot ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("When are you open?", "We are open Monday to Saturday"),
        ("How much does it cost?", "Prices are on each product's page"),
        ("Where is my parcel?", "Orders leave our warehouse"),
        ("I want a refund", "You can return an item within 30 days"),
        ("Hi there", builtin_bot.GREETING),
        ("qwerty", builtin_bot.NOT_UNDERSTOOD),
        ("this is his shipment", "Orders leave our warehouse"),  # "his"/"this" are not a greeting
    ],
)
def test_the_built_in_bot_answers_by_keyword(text, topic):
    said = builtin_bot.answer(text)

    assert said.text.startswith(topic)
    assert not said.hand_over


@pytest.mark.parametrize("text", ["agent", "Can I talk to a HUMAN?", "agents please", "a real person"])
def test_agent_or_human_hands_over(text):
    assert builtin_bot.answer(text) == builtin_bot.BotAnswer(builtin_bot.HAND_OVER_TEXT, hand_over=True)


def test_the_built_in_bot_replies_through_the_outbox(channel, bot_on, answered_by):
    answered_by(BotAnswerer.BUILTIN)
    message = _in_bot_ticket(channel, "How much is shipping?")

    bot.answer_message.call(message.pk)

    [reply] = _bot_replies(message.ticket)
    assert reply.body == builtin_bot.answer("How much is shipping?").text
    assert reply.delivery_state == DeliveryState.QUEUED
    message.ticket.refresh_from_db()
    assert message.ticket.status == TicketStatus.BOT


def test_the_built_in_bot_hands_over_to_unassigned(channel, bot_on, answered_by):
    answered_by(BotAnswerer.BUILTIN)
    message = _in_bot_ticket(channel, "I want a human")

    bot.answer_message.call(message.pk)

    [reply] = _bot_replies(message.ticket)
    assert reply.body == builtin_bot.HAND_OVER_TEXT
    message.ticket.refresh_from_db()
    assert message.ticket.status == TicketStatus.UNASSIGNED


def test_the_built_in_bot_keeps_quiet_once_the_contact_is_blocked(
    channel, bot_on, blocking_on, answered_by, supervisor
):
    answered_by(BotAnswerer.BUILTIN)
    message = _in_bot_ticket(channel, "hello")
    block_contact(actor=supervisor, contact=message.ticket.contact, reason=BlockReason.SPAM, resolve_open_tickets=False)

    bot.answer_message.call(message.pk)

    assert _bot_replies(message.ticket) == []


def test_the_webhook_answerer_does_not_also_answer_built_in(channel, bot_on, answered_by, bot_receiver):
    answered_by(BotAnswerer.WEBHOOK, bot_receiver.url)
    message = _in_bot_ticket(channel, "hello")

    bot.answer_message.call(message.pk)

    assert _bot_replies(message.ticket) == []
    assert len(bot_receiver.received) == 1


def test_a_bot_reply_to_a_ticket_blocked_meanwhile_is_not_sent(channel, bot_on, blocking_on, supervisor):
    """Queued before the block, the BOT's answer never leaves: the delivery ends with the reason."""
    message = _in_bot_ticket(channel, "hello")
    reply = send_bot_reply(ticket=message.ticket, text="Hello! How can I help?")
    block_contact(actor=supervisor, contact=message.ticket.contact, reason=BlockReason.SPAM)

    attempt_delivery(reply.pk, 0)

    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.FAILED
    assert reply.last_error == errors.DELIVERY_CONTACT_BLOCKED
