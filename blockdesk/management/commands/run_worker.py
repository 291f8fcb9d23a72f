"""Run background work: the tasks of the configured backend (TASKS_BACKEND) and the periodic jobs."""

import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string

from blockdesk.periodic import run_due_jobs


def _periodic_loop(stop: threading.Event) -> None:
    while not stop.is_set():
        close_old_connections()
        run_due_jobs()
        stop.wait(settings.PERIODIC_JOBS_EVERY_SECONDS)
    connection.close()


class Command(BaseCommand):
    help = "Run tasks (db or rq backend, as TASKS_BACKEND says) and the periodic jobs, until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the due periodic jobs once, then every ready task, then exit (tests, cron).",
        )
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between looks for new tasks.")

    def handle(self, *, batch: bool, interval: float, **options):
        if batch:
            run_due_jobs()
            self._work(batch=True, interval=interval)
            return
        stop = threading.Event()
        periodic = threading.Thread(target=_periodic_loop, args=(stop,), name="periodic-jobs", daemon=True)
        periodic.start()
        try:
            self._work(batch=False, interval=interval)
        finally:
            stop.set()

    def _work(self, *, batch: bool, interval: float) -> None:
        if settings.TASKS_BACKEND == "rq":
            self._work_rq(batch=batch)
        else:
            self._work_db(batch=batch, interval=interval)

    def _work_db(self, *, batch: bool, interval: float) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()

    def _work_rq(self, *, batch: bool) -> None:
        import django_rq
        from rq.worker import SimpleWorker

        worker = django_rq.get_worker("default", job_class="django_tasks_rq.Job", worker_class=SimpleWorker)
        worker.work(burst=batch, logging_level="WARNING")
