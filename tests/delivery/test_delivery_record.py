"""The one-statement outcome record of PostgreSQL writes exactly what the ORM version writes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tickets.delivery_record import Outcome, write_outcome_orm, write_outcome_postgresql
from tickets.models import DeliveryAttempt, Message
from tickets.outbox import record_receipt, send_reply

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

FIELDS = ("delivery_state", "attempts", "claimed_until", "next_attempt_at", "provider_message_id", "last_error")

NOW = timezone.now()
CASES = {
    "sent": dict(state="sent", error="", next_attempt_at=None, provider_message_id="r-9", delivered_at=None),
    "delivered at once": dict(
        state="delivered", error="", next_attempt_at=None, provider_message_id="", delivered_at=NOW
    ),
    "retry": dict(
        state="queued",
        error="The receiver answered 503.",
        next_attempt_at=NOW + timedelta(seconds=10),
        provider_message_id="",
        delivered_at=None,
    ),
    "failed": dict(
        state="failed",
        error="The receiver answered 422: no",
        next_attempt_at=None,
        provider_message_id="",
        delivered_at=None,
    ),
}


def _outcome(message, until, number=1, **case) -> Outcome:
    outcome = {"sent": "sent", "delivered": "sent", "queued": "retry", "failed": "failed"}[case["state"]]
    return Outcome(
        message_id=message.pk,
        claimed_until=until,
        number=number,
        started_at=NOW - timedelta(seconds=1),
        finished_at=NOW,
        outcome=outcome,
        **case,
    )


def _state(message):
    message = Message.objects.get(pk=message.pk)
    attempts = list(
        DeliveryAttempt.objects.filter(message=message).values_list(
            "number", "started_at", "finished_at", "outcome", "error"
        )
    )
    # A receipt stamps its own time on each twin: compare when the outcome set it, else only that it is set.
    delivered = message.delivered_at if message.delivered_at == NOW else message.delivered_at is not None
    return [getattr(message, f) for f in FIELDS] + [delivered], attempts


def _twins(mine, agent, until):
    twins = [send_reply(actor=agent, ticket=mine, text=f"Twin {i}") for i in range(2)]
    Message.objects.filter(pk__in=[m.pk for m in twins]).update(claimed_until=until, next_attempt_at=until)
    return twins


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the hand-written statement is PostgreSQL's")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("before", ["held", "a receipt came first", "the claim was taken over"])
def test_the_statement_writes_what_the_orm_writes(on_postgresql, mine, agent, case, before):
    until = timezone.now() + timedelta(seconds=30)
    by_orm, by_sql = _twins(mine, agent, until)
    for message in (by_orm, by_sql):
        if before == "a receipt came first":
            record_receipt(message=message, state="delivered", provider_message_id="from-receipt")
        elif before == "the claim was taken over":
            Message.objects.filter(pk=message.pk).update(claimed_until=until + timedelta(seconds=1))

    wrote = write_outcome_orm(_outcome(by_orm, until, **CASES[case]))
    assert write_outcome_postgresql(_outcome(by_sql, until, **CASES[case])) == wrote

    assert wrote == (before != "the claim was taken over")
    orm_fields, orm_attempts = _state(by_orm)
    sql_fields, sql_attempts = _state(by_sql)
    assert sql_fields == orm_fields
    assert sql_attempts == orm_attempts
    assert len(orm_attempts) == (1 if wrote else 0)
