"""Periodic jobs: small functions every worker runs on a schedule, each run by one worker at a time.

An app registers its jobs when it starts (`register_periodic_job` in its
AppConfig.ready). A run is claimed by a conditional UPDATE of the job's row
(next_run_at moves on only if it was still due), so two workers that look at
once run it once; each job must also be idempotent, as a worker may die in it.
"""

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError
from django.utils import timezone

from .models import PeriodicJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], object]


_jobs: dict[str, Job] = {}


def register_periodic_job(name: str, *, every_seconds: float, run: Callable[[], object]) -> None:
    """Run `run` about every `every_seconds` on one of the workers."""
    _jobs[name] = Job(name=name, every=timedelta(seconds=every_seconds), run=run)


def periodic_jobs() -> list[Job]:
    return list(_jobs.values())


def claim(job: Job) -> bool:
    """Take this period's run of the job; False if it is not due or another worker took it."""
    now = timezone.now()
    # Another worker may create the row first; the UPDATE below decides either way.
    with contextlib.suppress(IntegrityError):
        PeriodicJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    return bool(
        PeriodicJob.objects.filter(name=job.name, next_run_at__lte=now).update(
            next_run_at=now + job.every, last_run_at=now
        )
    )


def run_due_jobs() -> dict[str, object]:
    """Run every job that is due and not taken by another worker; return what each returned."""
    results = {}
    for job in periodic_jobs():
        if not claim(job):
            continue
        try:
            results[job.name] = job.run()
        except Exception:  # one failing job must not stop the others or the worker
            logger.exception("Periodic job %s failed", job.name)
    return results
