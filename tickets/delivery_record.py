"""Writing one delivery attempt's outcome: the ORM version, and one hand-written statement for PostgreSQL.

Each reply's outcome is written as soon as it is known (so a killed worker has
at most one sent reply it did not record), which makes this write the hot
path of delivery: the ORM's transaction (BEGIN, UPDATE, INSERT, COMMIT) cost
about as much as the HTTP post itself. On PostgreSQL it is one statement, an
UPDATE … RETURNING feeding the attempt's INSERT, sent in autocommit.
tests/delivery/test_delivery_record.py checks both against each other.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from .models import DeliveryAttempt, DeliveryState, Message


@dataclass(frozen=True)
class Outcome:
    """What one attempt at sending a message came to, and what it changes on the message."""

    message_id: int
    # The claim that held the message (its claimed_until): only its holder may write.
    claimed_until: datetime
    number: int
    state: str
    error: str
    next_attempt_at: datetime | None
    provider_message_id: str
    delivered_at: datetime | None
    started_at: datetime
    finished_at: datetime
    outcome: str


def write_outcome(outcome: Outcome) -> bool:
    """Count the attempt, record it, and move a still-queued message to its new state; False if not held."""
    if connection.vendor == "postgresql":
        return write_outcome_postgresql(outcome)
    return write_outcome_orm(outcome)


def write_outcome_orm(o: Outcome) -> bool:
    changes = {"delivery_state": o.state, "last_error": o.error, "next_attempt_at": o.next_attempt_at}
    if o.provider_message_id:
        changes["provider_message_id"] = o.provider_message_id
    if o.delivered_at is not None:
        changes["delivered_at"] = o.delivered_at
    held = Message.objects.filter(pk=o.message_id, claimed_until=o.claimed_until)
    with transaction.atomic():
        moved = held.filter(delivery_state=DeliveryState.QUEUED).update(
            attempts=o.number, claimed_until=None, **changes
        )
        # If a receipt moved the message on while it was being sent, the attempt still counts.
        if not moved and not held.update(attempts=o.number, claimed_until=None):
            return False
        DeliveryAttempt.objects.create(
            message_id=o.message_id,
            number=o.number,
            started_at=o.started_at,
            finished_at=o.finished_at,
            outcome=o.outcome,
            error=o.error,
        )
    return True


# In an UPDATE's SET every column reads its value from before the statement, so each CASE
# asks whether the message was still queued (a receipt may have moved it on mid-send). Every
# parameter is cast: tickets/outcome_pipe.py prepares this statement, and a prepared statement's
# parameter in a SELECT list would otherwise be text.
RECORD_SQL = """
WITH held AS (
    UPDATE tickets_message SET
        attempts = %(number)s::integer,
        claimed_until = NULL,
        delivery_state = CASE WHEN delivery_state = 'queued' THEN %(state)s::varchar ELSE delivery_state END,
        last_error = CASE WHEN delivery_state = 'queued' THEN %(error)s::text ELSE last_error END,
        next_attempt_at = CASE WHEN delivery_state = 'queued'
            THEN %(next_attempt_at)s::timestamptz ELSE next_attempt_at END,
        provider_message_id = CASE WHEN delivery_state = 'queued' AND %(provider_message_id)s::text <> ''
            THEN %(provider_message_id)s::text ELSE provider_message_id END,
        delivered_at = CASE WHEN delivery_state = 'queued' AND %(delivered_at)s::timestamptz IS NOT NULL
            THEN %(delivered_at)s::timestamptz ELSE delivered_at END
    WHERE id = %(message_id)s::bigint AND claimed_until = %(claimed_until)s::timestamptz
    RETURNING id
)
INSERT INTO tickets_deliveryattempt (message_id, number, started_at, finished_at, outcome, error)
SELECT id, %(number)s::integer, %(started_at)s::timestamptz, %(finished_at)s::timestamptz, %(outcome)s::varchar,
    %(error)s::text FROM held
"""


def write_outcome_postgresql(o: Outcome) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SQL, o.__dict__)
        return cursor.rowcount == 1
