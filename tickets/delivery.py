"""Sending outbound messages: claims, the delivery task, backoff, and the sweep that picks up what is due.

A message is the truth about its delivery; tasks only say "look now". A
worker claims queued messages in batches: one short transaction takes up to
DELIVERY_BATCH of them (FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the
IMMEDIATE transaction makes claims take turns) and sets their claimed_until,
so no other worker takes them. It then sends them one after the other over
kept-alive connections and records each outcome as soon as it is known (the
attempt row, attempts + 1 and the new state, in one statement), before the
next reply is posted; on PostgreSQL its answer is read only after that post
(tickets/outcome_pipe.py). So a worker killed mid-batch has sent at most one
reply it did not record: after its
claim runs out (DELIVERY_CLAIM_SECONDS) that reply is sent again, with the
same X-BlockDesk-Delivery id, and the rest of its claim is simply taken by the
next batch, no attempt counted for it.

What a batch takes: queued messages nobody holds that were not tried since
they were queued or retried (attempts 0), or whose next attempt is due (a
backoff over, a dead worker's claim run out). A message waiting out its
backoff (a 429's Retry-After included) is never taken early; a task for one
message (deliver_message, attempt_delivery) takes it by its attempt number.
"""

import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, When
from django.utils import timezone
from django_tasks import task

from blockdesk import errors
from contacts.models import Contact
from contacts.reachability import undeliverable_reason, undeliverable_reasons

from .delivery_record import Outcome
from .models import DeliveryAttempt, DeliveryState, Message
from .outcome_pipe import OutcomePipe, SyncWriter, outcome_writer
from .senders import PermanentSendError, SendResult, TransientSendError, preparer_for, sender_for

logger = logging.getLogger(__name__)

# How many due messages one sweep hands to workers; the next sweep takes the rest.
SWEEP_BATCH = 500
# States a sender may report for a message it sent.
SENDER_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED)
# How many messages one claim takes. Small enough that a batch is over in well under a second on a
# healthy receiver, so a block, a second worker or a new reply never waits long behind it.
DELIVERY_BATCH = 50
# A batch sends for at most this long; what it has not sent by then goes back for the next claim
# (a slow or hanging receiver does not hold the rest of the batch for minutes).
BATCH_SECONDS = 5.0
# One task claims batch after batch for at most this long, then leaves the rest to other tasks.
TASK_SECONDS = 30.0
# A batch reads its contacts' block state again when it is older than this, so a reply queued
# before a block is not sent after it (the window is this, not the whole batch).
BLOCKED_RECHECK_SECONDS = 0.1


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
    """Send the message, if this is still its attempt and nobody holds it, and whatever else is waiting."""
    return deliver_due(also=(message_id, attempts_done)).get(message_id, "skipped")


def attempt_delivery(message_id: int, attempts_done: int) -> str:
    """Try one queued message now, if it is still at attempt `attempts_done` and nobody holds it: a batch of one."""
    claim = _claim(Q(pk=message_id, attempts=attempts_done), limit=1)
    return _deliver(claim, SyncWriter()).get(message_id, "skipped")


def deliver_due(*, also: tuple[int, int] | None = None) -> dict[int, str]:
    """Send what a batch may take, batch after batch, until none is left (or TASK_SECONDS); return each outcome.

    also: (message id, attempts done) of a message to take first by its attempt number, due or not.
    """
    started = time.monotonic()
    outcomes: dict[int, str] = {}
    writer = None
    try:
        while True:
            now = timezone.now()
            wanted = Q(attempts=0) | Q(next_attempt_at__lte=now)
            if also is not None:
                wanted |= Q(pk=also[0], attempts=also[1])
            claim = _claim(wanted, limit=DELIVERY_BATCH, first=also and also[0], now=now)
            also = None
            if writer is None and claim.messages:
                writer = outcome_writer(many=len(claim.messages) > 1)
            outcomes.update(_deliver(claim, writer))
            more = len(claim.messages) == DELIVERY_BATCH or claim.given_back
            if not more or time.monotonic() - started > TASK_SECONDS:
                return outcomes
    finally:
        if writer is not None:
            writer.close()


@dataclass
class Claim:
    """Messages one worker holds until `until`; the value is also the claim's token in claimed_until."""

    until: datetime
    messages: list[Message] = field(default_factory=list)
    # How many it gave back unsent when its time was up.
    given_back: int = 0


def _claim(wanted: Q, *, limit: int, first: int | None = None, now: datetime | None = None) -> Claim:
    now = now or timezone.now()
    until = _claim_until(now)
    order = ["next_attempt_at", "id"]
    if first is not None:
        order.insert(0, Case(When(pk=first, then=0), default=1))
    nobody_holds = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    with transaction.atomic():
        messages = list(
            Message.objects.filter(nobody_holds, wanted, delivery_state=DeliveryState.QUEUED)
            .select_related("ticket__contact", "channel")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by(*order)[:limit]
        )
        if messages:
            Message.objects.filter(pk__in=[m.pk for m in messages]).update(claimed_until=until, next_attempt_at=until)
    return Claim(until=until, messages=messages)


def _prepare(messages: list[Message]) -> None:
    unreachable = undeliverable_reasons({(m.ticket.contact_id, m.channel_id) for m in messages})
    for message in messages:
        message.undeliverable = unreachable.get((message.ticket.contact_id, message.channel_id), "")
    by_kind: dict[str, list[Message]] = {}
    for message in messages:
        by_kind.setdefault(message.channel.kind, []).append(message)
    for kind, of_kind in by_kind.items():
        prepare = preparer_for(kind)
        if prepare is None:
            continue
        try:
            prepare(of_kind)
        except Exception:  # the sender then loads what it needs itself
            logger.exception("Preparing a batch of %s messages failed", kind)


def _deliver(claim: Claim, writer: SyncWriter | OutcomePipe) -> dict[int, str]:
    """Send the claimed messages in order, recording each outcome at once; give back what time did not allow."""
    outcomes: dict[int, str] = {}
    if not claim.messages:
        return outcomes
    _prepare(claim.messages)
    with _commits_without_waiting_for_disk():
        _send_in_order(claim, outcomes, writer)
        writer.settle()
    return outcomes


def _send_in_order(claim: Claim, outcomes: dict[int, str], writer: SyncWriter | OutcomePipe) -> None:
    started = checked = time.monotonic()
    pending = list(claim.messages)
    while pending:
        if claim.until - timezone.now() < timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS / 2):
            pending = _extend(claim, pending)
            continue
        if time.monotonic() - checked > BLOCKED_RECHECK_SECONDS:
            _recheck_blocked(pending)
            checked = time.monotonic()
        message = pending.pop(0)
        attempt_started = timezone.now()
        outcome = _send(message, message.attempts + 1)
        _record(writer, message, claim, outcomes, started_at=attempt_started, **outcome)
        if pending and time.monotonic() - started > BATCH_SECONDS:
            _release(claim, pending)
            claim.given_back = len(pending)
            return


def _recheck_blocked(messages: list[Message]) -> None:
    blocked = dict(
        Contact.objects.filter(pk__in={m.ticket.contact_id for m in messages}, is_blocked=True).values_list(
            "pk", "blocked_at"
        )
    )
    for message in messages:
        contact = message.ticket.contact
        contact.is_blocked = contact.pk in blocked
        contact.blocked_at = blocked.get(contact.pk)


def held_back_by_block(message: Message) -> bool:
    """Whether a block stops this reply: every BOT answer, and any reply written before the block.

    A person's reply written after the block goes out: the ticket it is in was
    let through (released) or left open on purpose, so it is a conversation.
    """
    contact = message.ticket.contact
    if not contact.is_blocked:
        return False
    return message.author_id is None or contact.blocked_at is None or message.sent_at <= contact.blocked_at


def _extend(claim: Claim, messages: list[Message]) -> list[Message]:
    """Hold the batch's unsent messages for another claim period; drop any the claim no longer holds."""
    until = _claim_until(timezone.now())
    with transaction.atomic():
        held = set(
            Message.objects.select_for_update()
            .filter(pk__in=[m.pk for m in messages], claimed_until=claim.until)
            .values_list("pk", flat=True)
        )
        Message.objects.filter(pk__in=held).update(claimed_until=until, next_attempt_at=until)
    claim.until = until
    return [m for m in messages if m.pk in held]


def _release(claim: Claim, messages: list[Message]) -> None:
    """Give unsent messages back untried: a new or retried one to the next batch, a due one due now."""
    now = timezone.now()
    Message.objects.filter(pk__in=[m.pk for m in messages], claimed_until=claim.until).update(
        claimed_until=None, next_attempt_at=Case(When(attempts=0, then=_claim_until(now)), default=now)
    )


def _send(message: Message, number: int) -> dict:
    if held_back_by_block(message):
        return _failed(errors.DELIVERY_CONTACT_BLOCKED)
    # The channel said the customer cannot be reached there (they blocked the bot): no use asking the provider.
    unreachable = getattr(message, "undeliverable", None)  # loaded for the whole batch by _prepare
    if unreachable is None:
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


def _record(
    writer, message: Message, claim: Claim, outcomes: dict[int, str], *, started_at, state, error, **sent_or_retry
):
    """Count and record the attempt while the claim still holds the message; its state goes in `outcomes` once written.

    sent_or_retry: provider_message_id of a sent reply, retry_in (seconds) of one to try again.
    """
    now = timezone.now()
    number = message.attempts + 1
    retry_in = sent_or_retry.get("retry_in")
    outcome = Outcome(
        message_id=message.pk,
        claimed_until=claim.until,
        number=number,
        state=state,
        error=error,
        next_attempt_at=now + timedelta(seconds=retry_in) if state == DeliveryState.QUEUED else None,
        provider_message_id=sent_or_retry.get("provider_message_id", ""),
        delivered_at=now if state == DeliveryState.DELIVERED else None,
        started_at=started_at,
        finished_at=now,
        outcome={
            DeliveryState.QUEUED: DeliveryAttempt.Outcome.RETRY,
            DeliveryState.FAILED: DeliveryAttempt.Outcome.FAILED,
        }.get(state, DeliveryAttempt.Outcome.SENT),
    )

    def done(written: bool) -> None:
        if written:
            outcomes[message.pk] = state
        else:
            # The claim ran out and another worker holds the message now; it records its own attempt.
            logger.warning("Message %s: claim lost before attempt %s was recorded", message.pk, number)

    writer.write(outcome, done)


@contextmanager
def _commits_without_waiting_for_disk():
    """On PostgreSQL, let this connection's COMMITs return before their WAL reaches the disk, for a batch.

    An outcome is written once per reply, and a synchronous commit waits for an fsync (0.3 ms on a
    quiet disk, 4 ms on a busy one): that, not the work, would set the delivery rate. A commit is
    still atomic and at once visible to every session, so a killed worker changes nothing; only a
    crash of the database server itself can forget the last fraction of a second of records, and a
    forgotten record leaves its reply queued under a claim that runs out: it is sent again, with
    the same X-BlockDesk-Delivery id. Never a lost reply; at worst a duplicate the receiver drops.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


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
