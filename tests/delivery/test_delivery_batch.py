"""Delivery in batches: one claim takes many replies, each outcome is recorded as its own, nothing twice."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blockdesk import errors
from contacts.blocking import block_contact
from contacts.models import BlockReason, Contact
from tests import factories
from tests.inbound import deliver
from tickets import delivery, queue
from tickets.delivery import deliver_due
from tickets.models import Channel, DeliveryAttempt, DeliveryState, Message
from tickets.outbox import register_sender, send_reply, sender_for
from tickets.outcome_pipe import SyncWriter
from tickets.senders import preparer_for

pytestmark = pytest.mark.django_db


def _fresh(message) -> Message:
    return Message.objects.get(pk=message.pk)


def _ticket(agent, channel, address):
    return queue.take_ticket(actor=agent, ticket=deliver(channel, address, "Hello?").ticket)


def _replies(agent, ticket, count, text="Reply"):
    return [send_reply(actor=agent, ticket=ticket, text=f"{text} {i}") for i in range(count)]


def test_one_claim_takes_every_new_reply_and_sends_them_in_order(mine, agent, receiver):
    replies = _replies(agent, mine, 5)

    outcomes = deliver_due()

    assert outcomes == {m.pk: DeliveryState.SENT for m in replies}
    assert [r["delivery"] for r in receiver.received] == [str(m.pk) for m in replies]
    for message in replies:
        message = _fresh(message)
        assert (message.attempts, message.claimed_until, message.next_attempt_at) == (1, None, None)
        assert list(message.delivery_attempts.values_list("number", "outcome")) == [(1, "sent")]


def test_a_batch_with_mixed_outcomes_records_each_as_its_own(
    mine, agent, supervisor, receiver, api_channel, settings, blocking_on
):
    settings.DELIVERY_BACKOFF_BASE_SECONDS = 10
    chat = factories.ChannelFactory(name="Chat", kind=Channel.Kind.WEBCHAT)
    blocked_ticket = _ticket(agent, api_channel, "+6281299990000")
    chat_ticket = _ticket(agent, chat, "visitor:7")
    ok, unavailable, too_many, refused = _replies(agent, mine, 4)
    to_blocked = send_reply(actor=agent, ticket=blocked_ticket, text="Before the block")
    in_chat = send_reply(actor=agent, ticket=chat_ticket, text="In the widget")
    [last] = _replies(agent, mine, 1, "Last")
    block_contact(actor=supervisor, contact=blocked_ticket.contact, reason=BlockReason.SPAM)
    receiver.answers = [None, (503, None), (429, "42"), (422, None)]
    before = timezone.now()

    outcomes = deliver_due()

    assert outcomes == {
        ok.pk: "sent",
        unavailable.pk: "queued",
        too_many.pk: "queued",
        refused.pk: "failed",
        to_blocked.pk: "failed",
        in_chat.pk: "sent",
        last.pk: "sent",
    }
    assert [r["delivery"] for r in receiver.received] == [str(ok.pk), str(last.pk)]
    rows = {
        m.pk: (m.delivery_state, m.attempts, m.provider_message_id, m.last_error)
        for m in Message.objects.filter(pk__in=outcomes)
    }
    assert rows == {
        ok.pk: ("sent", 1, "r-1", ""),
        unavailable.pk: ("queued", 1, "", "The receiver answered 503."),
        too_many.pk: ("queued", 1, "", "The receiver answered 429."),
        refused.pk: ("failed", 1, "", 'The receiver answered 422: {"error": "scripted"}'),
        to_blocked.pk: ("failed", 1, "", errors.DELIVERY_CONTACT_BLOCKED),
        in_chat.pk: ("sent", 1, f"webchat:{in_chat.pk}", ""),
        last.pk: ("sent", 1, "r-2", ""),
    }
    backoff = (_fresh(unavailable).next_attempt_at - before).total_seconds()
    assert 7.5 <= backoff <= 12.6
    assert 40 < (_fresh(too_many).next_attempt_at - timezone.now()).total_seconds() <= 42
    assert _fresh(refused).next_attempt_at is None
    assert not Message.objects.filter(pk__in=outcomes, claimed_until__isnull=False).exists()
    attempts = DeliveryAttempt.objects.filter(message_id__in=outcomes).values_list("message_id", "outcome")
    assert sorted(attempts) == sorted(
        [
            (ok.pk, "sent"),
            (unavailable.pk, "retry"),
            (too_many.pk, "retry"),
            (refused.pk, "failed"),
            (to_blocked.pk, "failed"),
            (in_chat.pk, "sent"),
            (last.pk, "sent"),
        ]
    )


def test_a_reply_waiting_out_its_backoff_is_not_taken_early_and_is_once_due(mine, agent, receiver):
    receiver.answers = [(429, "60")]
    [waiting] = _replies(agent, mine, 1)
    deliver_due()
    [new] = _replies(agent, mine, 1, "New")

    assert deliver_due() == {new.pk: "sent"}

    Message.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliver_due() == {waiting.pk: "sent"}
    assert list(_fresh(waiting).delivery_attempts.values_list("number", "outcome")) == [(1, "retry"), (2, "sent")]


def test_a_block_during_a_batch_stops_the_replies_after_it(
    mine, agent, supervisor, receiver, api_channel, monkeypatch, blocking_on
):
    monkeypatch.setattr(delivery, "BLOCKED_RECHECK_SECONDS", 0)
    other = _ticket(agent, api_channel, "+6281299990000")
    first = send_reply(actor=agent, ticket=mine, text="First")
    after = send_reply(actor=agent, ticket=other, text="After the block")
    real_sender = sender_for("api")

    def block_after_first(message):
        result = real_sender(message)
        if not Contact.objects.get(pk=other.contact_id).is_blocked:
            block_contact(actor=supervisor, contact=other.contact, reason=BlockReason.SPAM)
        return result

    register_sender("api", block_after_first, prepare=preparer_for("api"))
    try:
        outcomes = deliver_due()
    finally:
        register_sender("api", real_sender, prepare=preparer_for("api"))

    assert outcomes == {first.pk: "sent", after.pk: "failed"}
    assert [r["delivery"] for r in receiver.received] == [str(first.pk)]
    assert _fresh(after).last_error == errors.DELIVERY_CONTACT_BLOCKED


def test_what_a_batch_had_no_time_for_goes_back_untried(mine, agent, receiver, monkeypatch, settings):
    settings.DELIVERY_CLAIM_SECONDS = 30
    monkeypatch.setattr(delivery, "BATCH_SECONDS", 0)
    replies = _replies(agent, mine, 3)

    claim = delivery._claim(delivery.Q(pk__in=[m.pk for m in replies]), limit=10)
    assert delivery._deliver(claim, SyncWriter()) == {replies[0].pk: "sent"}

    for message in replies[1:]:
        message = _fresh(message)
        assert (message.delivery_state, message.attempts, message.claimed_until) == ("queued", 0, None)
        assert message.delivery_attempts.count() == 0
    # The next batches take them again (one each here, as every batch's time is up after one reply).
    assert deliver_due() == {replies[1].pk: "sent", replies[2].pk: "sent"}


def test_a_claim_extended_keeps_what_it_holds_and_drops_what_another_worker_took(mine, agent):
    kept, taken = _replies(agent, mine, 2)
    claim = delivery._claim(delivery.Q(pk__in=[kept.pk, taken.pk]), limit=10)
    other_worker = timezone.now() + timedelta(seconds=99)
    Message.objects.filter(pk=taken.pk).update(claimed_until=other_worker)

    assert delivery._extend(claim, claim.messages) == [m for m in claim.messages if m.pk == kept.pk]
    assert _fresh(kept).claimed_until == claim.until == _fresh(kept).next_attempt_at
    assert _fresh(taken).claimed_until == other_worker


def test_a_worker_whose_claim_ran_out_does_not_record_over_the_new_holder(mine, agent, receiver):
    [message] = _replies(agent, mine, 1)
    slow = delivery._claim(delivery.Q(pk=message.pk), limit=1)
    Message.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert deliver_due() == {message.pk: "sent"}

    assert delivery._deliver(slow, SyncWriter()) == {}

    assert list(_fresh(message).delivery_attempts.values_list("number", "outcome")) == [(1, "sent")]
    assert _fresh(message).attempts == 1


def test_a_held_reply_is_not_taken_by_another_batch_or_its_own_task(mine, agent, receiver):
    [message] = _replies(agent, mine, 1)
    delivery._claim(delivery.Q(pk=message.pk), limit=1)

    assert deliver_due(also=(message.pk, 0)) == {}
    assert delivery.attempt_delivery(message.pk, 0) == "skipped"
    assert receiver.received == []


@pytest.mark.postgres_only
def test_each_more_reply_in_a_batch_costs_one_statement_on_postgresql(mine, agent, receiver, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement record is PostgreSQL's")
    monkeypatch.setattr(delivery, "BLOCKED_RECHECK_SECONDS", 60)
    counts = []
    for size in (5, 15):
        _replies(agent, mine, size)
        with CaptureQueriesContext(connection) as queries:
            assert len(deliver_due()) == size
        counts.append(len(queries))

    assert counts[1] - counts[0] == 10
    assert counts[0] <= 5 + 8


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_send_a_reply_twice(api_channel, agent, receiver, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("two workers share the test database only on PostgreSQL")
    monkeypatch.setattr(delivery, "DELIVERY_BATCH", 10)
    tickets = [_ticket(agent, api_channel, f"+62812000000{i:02d}") for i in range(6)]
    replies = [send_reply(actor=agent, ticket=tickets[i % 6], text=f"Reply {i}") for i in range(120)]
    start = threading.Barrier(2)
    sent_by: list[dict] = [{}, {}]

    def worker(n):
        start.wait()
        try:
            sent_by[n] = deliver_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert receiver.duplicates == 0
    assert set(receiver.deliveries) == {str(m.pk) for m in replies}
    assert not set(sent_by[0]) & set(sent_by[1])
    assert set(sent_by[0]) | set(sent_by[1]) == {m.pk for m in replies}
    assert sent_by[0] and sent_by[1], "both workers took batches"
    assert set(Message.objects.filter(pk__in=[m.pk for m in replies]).values_list("delivery_state", "attempts")) == {
        ("sent", 1)
    }
    assert DeliveryAttempt.objects.filter(message__in=replies).count() == 120
