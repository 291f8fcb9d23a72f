"""The outcome pipe writes what the one-statement record writes, one outcome on its way at a time, and an
outcome it sent is written even when the worker is SIGKILLed before it reads the answer."""

import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bench.delivery_run import current_database_env
from tests.delivery.test_delivery_record import CASES, _outcome, _state, _twins
from tickets.delivery import deliver_due
from tickets.delivery_record import write_outcome_postgresql
from tickets.models import DeliveryAttempt, Message
from tickets.outbox import send_reply
from tickets.outcome_pipe import OutcomePipe, SyncWriter, outcome_writer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]

ROOT = Path(__file__).resolve().parents[2]
# Send one outcome through a pipe, then die at once: no settle, no close, no exit handlers.
KILLED_AFTER_SENDING = """
import os, signal, sys
from datetime import datetime
import django
django.setup()
from tickets.delivery_record import Outcome
from tickets.outcome_pipe import OutcomePipe
message_id, until, at = int(sys.argv[1]), datetime.fromisoformat(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
pipe = OutcomePipe()
pipe.write(
    Outcome(message_id=message_id, claimed_until=until, number=1, state="sent", error="", next_attempt_at=None,
            provider_message_id="r-1", delivered_at=None, started_at=at, finished_at=at, outcome="sent"),
    lambda written: None,
)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(autouse=True)
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the pipe is PostgreSQL's")


@pytest.fixture
def pipe():
    pipe = OutcomePipe()
    yield pipe
    pipe.close()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("taken_over", [False, True])
def test_the_pipe_writes_what_the_statement_writes(pipe, mine, agent, case, taken_over):
    until = timezone.now() + timedelta(seconds=30)
    by_statement, by_pipe = _twins(mine, agent, until)
    if taken_over:
        Message.objects.filter(pk__in=[by_statement.pk, by_pipe.pk]).update(claimed_until=until + timedelta(seconds=1))
    reported = []

    wrote = write_outcome_postgresql(_outcome(by_statement, until, **CASES[case]))
    pipe.write(_outcome(by_pipe, until, **CASES[case]), reported.append)
    pipe.settle()

    assert reported == [wrote] == [not taken_over]
    assert _state(by_pipe) == _state(by_statement)


def test_the_next_outcome_waits_for_the_answer_of_the_one_on_its_way(pipe, mine, agent):
    until = timezone.now() + timedelta(seconds=30)
    first, second = _twins(mine, agent, until)
    reported = []

    pipe.write(_outcome(first, until, **CASES["sent"]), lambda written: reported.append(("first", written)))
    assert reported == []  # sent, not waited for
    pipe.write(_outcome(second, until, **CASES["sent"]), lambda written: reported.append(("second", written)))
    assert reported == [("first", True)]
    pipe.settle()

    assert reported == [("first", True), ("second", True)]
    assert set(Message.objects.filter(pk__in=[first.pk, second.pk]).values_list("delivery_state", flat=True)) == {
        "sent"
    }


def test_a_refused_statement_is_raised_when_its_answer_is_read(pipe, mine, agent):
    until = timezone.now() + timedelta(seconds=30)
    message, _ = _twins(mine, agent, until)
    too_long = replace(_outcome(message, until, **CASES["sent"]), state="far-too-long-a-state")
    pipe.write(too_long, lambda written: None)

    with pytest.raises(Exception, match="value too long"):
        pipe.settle()
    assert Message.objects.get(pk=message.pk).delivery_state == "queued"
    assert not DeliveryAttempt.objects.filter(message=message).exists()


@pytest.mark.parametrize("run", range(5))
def test_an_outcome_sent_before_the_worker_is_killed_is_written(mine, agent, run):
    until = timezone.now() + timedelta(seconds=30)
    message, _ = _twins(mine, agent, until)
    at = timezone.now()

    died = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_SENDING, str(message.pk), until.isoformat(), at.isoformat()],
        cwd=ROOT,
        env=current_database_env(),
        capture_output=True,
        timeout=60,
    )

    assert died.returncode == -9, died.stderr.decode()
    message.refresh_from_db()
    assert (message.delivery_state, message.attempts, message.claimed_until) == ("sent", 1, None)
    assert DeliveryAttempt.objects.filter(message=message, number=1, outcome="sent").count() == 1


def test_a_sweep_writes_through_the_pipe(mine, agent, receiver):
    replies = [send_reply(actor=agent, ticket=mine, text=f"Reply {i}") for i in range(5)]

    assert deliver_due() == {reply.pk: "sent" for reply in replies}
    assert sorted(receiver.deliveries) == sorted(str(reply.pk) for reply in replies)
    assert DeliveryAttempt.objects.filter(message__in=replies, outcome="sent").count() == 5


def test_a_single_reply_or_a_transaction_writes_and_waits():
    pipe = outcome_writer(many=True)
    pipe.close()
    assert isinstance(pipe, OutcomePipe)
    assert isinstance(outcome_writer(many=False), SyncWriter)
    with transaction.atomic():
        assert isinstance(outcome_writer(many=True), SyncWriter)


def test_a_pipe_that_cannot_connect_leaves_the_batch_to_write_and_wait(monkeypatch, mine, agent, receiver, caplog):
    params = connection.get_connection_params()
    monkeypatch.setattr(connection, "get_connection_params", lambda: params | {"port": 1, "connect_timeout": 2})
    assert isinstance(outcome_writer(many=True), SyncWriter)
    assert "its connection failed" in caplog.text
    replies = [send_reply(actor=agent, ticket=mine, text=f"Reply {i}") for i in range(3)]

    assert deliver_due() == {reply.pk: "sent" for reply in replies}
