"""The kill run of bench/delivery_kill.py, scaled down: a worker SIGKILLed mid-delivery loses no reply."""

import random

import pytest
from django.db import connection

from bench.delivery_kill import KILL_RUN_SETTINGS, kill_run
from bench.delivery_run import current_database_env

pytestmark = pytest.mark.postgres_only


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_twice_loses_no_reply_and_duplicates_at_most_one_each(api_channel, receiver, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a worker subprocess shares the test database only on PostgreSQL")
    env = current_database_env(**KILL_RUN_SETTINGS)

    result = kill_run(env, receiver, api_channel, 40, 2, random.Random(12), tmp_path / "worker.log")

    assert result.failures == []
    assert len(result.received_before_each_kill) == 2
    assert result.states == {"sent": 40}
    assert (result.not_sent, result.missing_at_receiver) == (0, 0)
    assert result.duplicates <= 2
    # Each kill costs at most one extra attempt: the reply the killed worker held.
    assert 40 <= result.attempts <= 42
