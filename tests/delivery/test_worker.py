"""The worker: periodic jobs run once per period however many workers look, tasks reach the receiver."""

import os
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from blockdesk import periodic
from blockdesk.models import PeriodicJob
from tickets.models import DeliveryState, Message
from tickets.outbox import send_reply


@pytest.fixture
def counting_job():
    runs = []
    periodic.register_periodic_job("count runs", every_seconds=60, run=lambda: runs.append(1))
    yield runs
    periodic._jobs.pop("count runs")


@pytest.mark.django_db(transaction=True)
def test_two_workers_looking_at_once_run_a_due_job_once(counting_job):
    start = threading.Barrier(2)

    def worker():
        start.wait()
        try:
            periodic.run_due_jobs()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(counting_job) == 1
    assert PeriodicJob.objects.get(name="count runs").next_run_at > timezone.now() + timedelta(seconds=50)


@pytest.mark.django_db
def test_a_job_runs_again_only_when_its_period_is_over(counting_job):
    periodic.run_due_jobs()
    periodic.run_due_jobs()
    assert len(counting_job) == 1

    PeriodicJob.objects.filter(name="count runs").update(next_run_at=timezone.now() - timedelta(seconds=1))
    periodic.run_due_jobs()
    assert len(counting_job) == 2


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(counting_job):
    periodic.register_periodic_job("explode", every_seconds=60, run=lambda: 1 / 0)
    try:
        results = periodic.run_due_jobs()
    finally:
        periodic._jobs.pop("explode")
    assert "explode" not in results
    assert len(counting_job) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_a_queued_reply(mine, agent, receiver):
    message = send_reply(actor=agent, ticket=mine, text="On its way")

    call_command("run_worker", "--batch")

    assert [r["delivery"] for r in receiver.received] == [str(message.pk)]
    assert Message.objects.get(pk=message.pk).delivery_state == DeliveryState.SENT


@pytest.mark.django_db(transaction=True)
def test_the_worker_sweep_picks_up_a_reply_whose_task_was_lost(mine, agent, receiver):
    from django_tasks_db.models import DBTaskResult

    message = send_reply(actor=agent, ticket=mine, text="On its way")
    DBTaskResult.objects.all().delete()  # the task is gone (a worker died holding it)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    call_command("run_worker", "--batch")

    assert Message.objects.get(pk=message.pk).delivery_state == DeliveryState.SENT
    assert len(receiver.received) == 1


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(os.environ.get("TASKS_REDIS_URL", "redis://127.0.0.1:6379/0")).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="needs Redis at 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_the_rq_backend_delivers_through_redis(mine, agent, receiver, settings):
    import django_rq
    from django_tasks_db.models import DBTaskResult

    settings.TASKS_BACKEND = "rq"
    settings.TASKS = {"default": settings.TASKS_BACKENDS["rq"]}  # django-tasks resets its backends on this
    queue = django_rq.get_queue("default")
    queue.empty()
    try:
        message = send_reply(actor=agent, ticket=mine, text="Through Redis")
        assert (queue.count, DBTaskResult.objects.count()) == (1, 0)
        call_command("run_worker", "--batch")
    finally:
        queue.empty()

    assert Message.objects.get(pk=message.pk).delivery_state == DeliveryState.SENT
    assert [r["body"]["text"] for r in receiver.received] == ["Through Redis"]
