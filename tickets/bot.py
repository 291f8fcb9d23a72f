"""The BOT as a participant: which customer messages reach it, the signed POST to its webhook, and its answers.

Routing calls `reach_bot_on_commit` for what it stores; after the commit
each customer message of a BOT ticket becomes a background task that gives
it to whoever answers BOT tickets (System settings): the built-in bot, or
the bot webhook. Nothing of a blocked contact ever reaches a bot: a blocked
ticket is never handed on, and the task checks again before it sends.
"""

import json
import logging
import math
import random
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from blockdesk import errors
from blockdesk.api_auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_for
from settings_app.bot import BotConfig, bot_config, current_answerer
from settings_app.models import BotAnswerer

from . import builtin_bot
from .models import Message, Ticket, TicketStatus
from .outbox import send_bot_reply
from .queue import hand_over_from_bot

logger = logging.getLogger(__name__)

DELIVERY_HEADER = "X-BlockDesk-Delivery"
TIMEOUT_SECONDS = 10
# A bot that times out or answers 5xx/429 is asked again: after 10 s, 20 s, 40 s, 80 s (with jitter), then no more.
MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 10


def may_reach_bot(ticket: Ticket) -> bool:
    """A bot hears a ticket only while it is with the BOT and its contact is not blocked."""
    return ticket.status == TicketStatus.BOT and not ticket.contact.is_blocked


def reach_bot_on_commit(routed: Iterable, *, answerer: str | None = None) -> None:
    """After commit, give each new customer message of a BOT ticket to whoever answers BOT tickets.

    `routed` holds routing's RoutedMessage results (message, ticket, contact);
    `answerer` is who answers BOT tickets if the caller read it with the switches (else it is read here).
    """
    message_ids = [
        r.message.pk
        for r in routed
        if r.message is not None and r.ticket.status == TicketStatus.BOT and not r.contact.is_blocked
    ]
    if message_ids and (answerer or current_answerer()) != BotAnswerer.NOBODY:
        transaction.on_commit(partial(_enqueue_all, message_ids))


def _enqueue_all(message_ids: list[int]) -> None:
    for message_id in message_ids:
        answer_message.enqueue(message_id)


@task()
def answer_message(message_id: int, attempt: int = 1) -> None:
    """Give one customer message to the bot, if its ticket is still with the BOT and its contact not blocked."""
    message = (
        Message.objects.select_related("ticket__contact", "ticket__channel")
        .filter(pk=message_id, direction=Message.Direction.IN)
        .first()
    )
    if message is None or not may_reach_bot(message.ticket):
        return
    config = bot_config()
    if config.answerer == BotAnswerer.BUILTIN:
        answer_with_builtin_bot(message)
    elif config.answerer == BotAnswerer.WEBHOOK:
        _post_to_webhook(config, message, attempt)


def bot_hand_over(*, ticket: Ticket) -> Ticket:
    """The bot asks for a person: the ticket moves from the BOT to Unassigned."""
    return hand_over_from_bot(actor=None, ticket=ticket)


def answer_with_builtin_bot(message: Message) -> Message | None:
    """The built-in bot's reply to a customer message (handing over when asked); None if the ticket left the BOT."""
    said = builtin_bot.answer(message.body)
    try:
        with transaction.atomic():
            reply = send_bot_reply(ticket=message.ticket, text=said.text)
            if said.hand_over:
                bot_hand_over(ticket=message.ticket)
    except errors.Conflict:
        return None  # the ticket left the BOT (taken over, resolved, blocked) while the bot was thinking
    return reply


def webhook_payload(message: Message) -> dict:
    """What the bot webhook receives for one customer message (the README's "The BOT" shows it)."""
    ticket = message.ticket
    return {
        "event": "message.created",
        "delivery": delivery_id(message),
        "ticket": {
            "id": ticket.pk,
            "status": ticket.status,
            "channel": {"id": ticket.channel.pk, "name": ticket.channel.name, "kind": ticket.channel.kind},
        },
        "contact": {"id": ticket.contact.pk, "name": str(ticket.contact)},
        "message": {"id": message.pk, "text": message.body, "sent_at": message.sent_at.isoformat()},
        "reply_url": reverse("api:bot_reply", kwargs={"ticket_id": ticket.pk}),
        "handover_url": reverse("api:handover", kwargs={"ticket_id": ticket.pk}),
    }


def delivery_id(message: Message) -> str:
    """The same on every attempt, so a bot that got a request twice can tell."""
    return f"bot-message-{message.pk}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET without its signed body: count it as a refusal instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post_to_webhook(config: BotConfig, message: Message, attempt: int) -> None:
    body = json.dumps(webhook_payload(message)).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        config.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "BlockDesk-Bot-Webhook/1",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature_for(config.webhook_secret, timestamp, body),
            DELIVERY_HEADER: delivery_id(message),
        },
    )
    retry_after = None
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(64 * 1024)
        return
    except urllib.error.HTTPError as exc:
        if exc.code != 429 and exc.code < 500:
            logger.warning("The bot webhook refused message %s with %s; not sent again.", message.pk, exc.code)
            return
        retry_after = _seconds(exc.headers.get("Retry-After"))
        reason = f"answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = str(getattr(exc, "reason", exc))
    if attempt >= MAX_ATTEMPTS:
        logger.warning("The bot webhook failed for message %s %s times (%s); given up.", message.pk, attempt, reason)
        return
    delay = retry_after or FIRST_RETRY_SECONDS * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
    logger.info("The bot webhook failed for message %s (%s); trying again in %.0f s.", message.pk, reason, delay)
    later = answer_message
    if later.get_backend().supports_defer:
        later = later.using(run_after=timezone.now() + timedelta(seconds=delay))
    later.enqueue(message.pk, attempt + 1)


def _seconds(value: str | None) -> float | None:
    """A Retry-After in seconds, kept between 1 s and an hour; None when absent or not a number of seconds."""
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return min(max(seconds, 1.0), 3600.0) if math.isfinite(seconds) else None
