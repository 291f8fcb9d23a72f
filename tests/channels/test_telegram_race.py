"""The same Telegram update delivered on several connections at once is taken once (real PostgreSQL transactions)."""

import threading

import pytest
from django.db import connection

from channels.telegram_updates import take_update
from tests.channels.peers.telegram import member_update, message_update
from tickets.models import Message

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

COPIES = 4


def _race(channel, update) -> list[str]:
    barrier = threading.Barrier(COPIES)
    outcomes, failures = [], []

    def deliver():
        try:
            barrier.wait()
            outcomes.append(take_update(channel=channel, update=update).outcome)
        except Exception as exc:  # reported below; a thread's exception would be lost
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return sorted(outcomes)


def test_racing_copies_of_a_message_update_store_it_once(telegram):
    outcomes = _race(telegram.channel, message_update(41, "only once"))

    assert outcomes == ["duplicate"] * (COPIES - 1) + ["stored"]
    assert Message.objects.count() == 1


def test_racing_copies_of_a_kick_apply_it_once(telegram):
    take_update(channel=telegram.channel, update=message_update(1, "hi"))

    outcomes = _race(telegram.channel, member_update(2, "kicked"))

    assert outcomes == ["duplicate"] * (COPIES - 1) + ["unreachable"]
