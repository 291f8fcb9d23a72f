"""Sending outbound messages: the delivery task, backoff, and the sweep that picks up what is due.

A message is the truth about its delivery; tasks only say "look at it now".
A worker takes a queued message by a conditional UPDATE that counts the
attempt and pushes next_attempt_at out by DELIVERY_CLAIM_SECONDS, so two
workers never send it at once. If a worker dies mid-send, the sweep finds
the message due again after the claim and hands it to another worker: the
receiver may then get it twice, with the same X-BlockDesk-Delivery id.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from blockdesk import errors
from contacts.reachability import undeliverable_reason

from .models import DeliveryAttempt, DeliveryState, Message
from .senders import PermanentSendError, SendResult, TransientSendError, sender_for

logger = logging.getLogger(__name__)

# How many due messages one sweep hands to workers; the next sweep takes the rest.
SWEEP_BATCH = 500
# States a sender may report for a message it sent.
SENDER_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED)


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """How long to wait after failed attempt number `attempt` (1, 2, …): doubling, capped, ±25% jitter."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), settings.DELIVERY_BACKOFF_MAX_SECONDS)
    delay = min(settings.DELIVERY_BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), settings.DELIVERY_BACKOFF_MAX_SECONDS)
    return delay * random.uniform(0.75, 1.25)  # jitter, not a secret


def _claim_until(now):
    return now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)


def due_unless_taken():
    """When a message just handed to a worker is due for the sweep: if no worker has taken it by then."""
    return _claim_until(timezone.now())


def enqueue_delivery(message_id: int, attempts_done: int) -> None:
    """Ask a worker to try the message once the current transaction commits."""
    transaction.on_commit(lambda: deliver_message.enqueue(message_id, attempts_done))


@task()
def deliver_message(message_id: int, attempts_done: int) -> str:
    """Try to send a queued message, if no other worker has taken it since this task was enqueued."""
    return attempt_delivery(message_id, attempts_done)


def attempt_delivery(message_id: int, attempts_done: int) -> str:
    now = timezone.now()
    taken = Message.objects.filter(pk=message_id, delivery_state=DeliveryState.QUEUED, attempts=attempts_done).update(
        attempts=F("attempts") + 1, next_attempt_at=_claim_until(now)
    )
    if not taken:
        return "skipped"
    number = attempts_done + 1
    message = Message.objects.select_related("ticket__contact", "channel").get(pk=message_id)
    outcome = _send(message, number)
    _record(message, number, started_at=now, **outcome)
    return outcome["state"]


def _send(message: Message, number: int) -> dict:
    if message.ticket.contact.is_blocked:
        return _failed(errors.DELIVERY_CONTACT_BLOCKED)
    # The channel said the customer cannot be reached there (they blocked the bot): no use asking the provider.
    unreachable = undeliverable_reason(contact_id=message.ticket.contact_id, channel_id=message.channel_id)
    if unreachable:
        return _failed(errors.DELIVERY_UNDELIVERABLE.format(reason=unreachable))
    sender = sender_for(message.channel.kind)
    if sender is None:
        return _failed(errors.DELIVERY_NO_SENDER.format(kind=message.channel.get_kind_display()))
    try:
        result: SendResult = sender(message)
    except PermanentSendError as exc:
        return _failed(exc.reason)
    except TransientSendError as exc:
        return _retry_or_fail(number, exc.reason, exc.retry_after)
    except Exception as exc:  # a sender's bug must not lose the message: retry, then fail with it
        logger.exception("Sender for %s failed on message %s", message.channel.kind, message.pk)
        return _retry_or_fail(number, errors.DELIVERY_SENDER_CRASHED.format(error=exc), None)
    state = result.state if result.state in SENDER_STATES else DeliveryState.SENT
    return {"state": state, "provider_message_id": result.provider_message_id, "error": ""}


def _failed(reason: str) -> dict:
    return {"state": DeliveryState.FAILED, "error": reason}


def _retry_or_fail(number: int, reason: str, retry_after: float | None) -> dict:
    if number >= settings.DELIVERY_MAX_ATTEMPTS:
        return _failed(errors.DELIVERY_ATTEMPTS_USED_UP.format(attempts=number, reason=reason))
    return {"state": DeliveryState.QUEUED, "error": reason, "retry_in": backoff_seconds(number, retry_after)}


def _record(message: Message, number: int, *, started_at, state, error, provider_message_id="", retry_in=None):
    now = timezone.now()
    changes = {"delivery_state": state, "last_error": error, "next_attempt_at": None}
    if state == DeliveryState.QUEUED:
        changes["next_attempt_at"] = now + timedelta(seconds=retry_in)
    if provider_message_id:
        changes["provider_message_id"] = provider_message_id
    if state == DeliveryState.DELIVERED:
        changes["delivered_at"] = now
    outcome = {
        DeliveryState.QUEUED: DeliveryAttempt.Outcome.RETRY,
        DeliveryState.FAILED: DeliveryAttempt.Outcome.FAILED,
    }.get(state, DeliveryAttempt.Outcome.SENT)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=message, number=number, started_at=started_at, finished_at=now, outcome=outcome, error=error
        )
        # Only while this attempt still owns the message: a receipt may have moved it on,
        # or another worker may have taken it after this one's claim ran out.
        Message.objects.filter(pk=message.pk, delivery_state=DeliveryState.QUEUED, attempts=number).update(**changes)


def enqueue_due_deliveries() -> int:
    """Hand every queued message whose next attempt is due to a worker; return how many (a periodic job)."""
    now = timezone.now()
    due = list(
        Message.objects.filter(delivery_state=DeliveryState.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:SWEEP_BATCH]
    )
    handed = 0
    for pk, attempts in due:
        # Push the due time out first, so the next sweep does not hand it out again while it waits.
        with transaction.atomic():
            if Message.objects.filter(
                pk=pk, delivery_state=DeliveryState.QUEUED, attempts=attempts, next_attempt_at__lte=now
            ).update(next_attempt_at=_claim_until(now)):
                enqueue_delivery(pk, attempts)
                handed += 1
    return handed
