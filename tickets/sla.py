"""The SLA view's reads: per queue, how many wait past the alert and the longest wait; first-response times of the
tickets opened in the last days (median, p90, and per day for the chart)."""

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import Ticket, TicketStatus
from .waiting import waited_minutes

DAYS = 7
# The queues where customers wait for us (the Blocked list waits for nobody).
SLA_QUEUES = (TicketStatus.BOT, TicketStatus.UNASSIGNED, TicketStatus.ASSIGNED)


@dataclass(frozen=True)
class QueueWait:
    key: str
    label: str
    waiting: int
    late: int
    longest_minutes: int | None


@dataclass(frozen=True)
class DayResponse:
    day: datetime
    answered: int
    median_minutes: float | None


@dataclass(frozen=True)
class Sla:
    queues: list[QueueWait]
    answered: int
    unanswered: int
    median_minutes: float | None
    p90_minutes: float | None
    days: list[DayResponse]


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of values (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(len(ordered) * fraction), 1) - 1]


def sla_report(alert_minutes: int, now: datetime | None = None) -> Sla:
    """Two queries: the waiting per queue (one aggregate over the open queues' waiting index), the first replies."""
    now = now or timezone.now()
    late_before = now - timedelta(minutes=alert_minutes)
    aggregates = {}
    for status in SLA_QUEUES:
        in_queue = Q(status=status)
        aggregates |= {
            f"{status}_waiting": Count("id", filter=in_queue),
            f"{status}_late": Count("id", filter=in_queue & Q(waiting_since__lt=late_before)),
            f"{status}_oldest": Min("waiting_since", filter=in_queue),
        }
    row = Ticket.objects.filter(status__in=SLA_QUEUES, waiting_since__isnull=False).aggregate(**aggregates)
    queues = [
        QueueWait(
            key=status,
            label=TicketStatus(status).label,
            waiting=row[f"{status}_waiting"],
            late=row[f"{status}_late"],
            longest_minutes=waited_minutes(row[f"{status}_oldest"], now),
        )
        for status in SLA_QUEUES
    ]
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS - 1)
    opened = Ticket.objects.filter(created_at__gte=since).exclude(status=TicketStatus.BLOCKED)
    pairs = list(opened.values_list("created_at", "first_reply_at"))
    times = [_minutes(reply - created) for created, reply in pairs if reply is not None]
    by_day: dict = {}
    for created, reply in pairs:
        if reply is not None:
            by_day.setdefault(timezone.localdate(created), []).append(_minutes(reply - created))
    days = [
        DayResponse(
            day=day,
            answered=len(by_day.get(day, [])),
            median_minutes=statistics.median(by_day[day]) if by_day.get(day) else None,
        )
        for day in (timezone.localdate(since) + timedelta(days=n) for n in range(DAYS))
    ]
    return Sla(
        queues=queues,
        answered=len(times),
        unanswered=len(pairs) - len(times),
        median_minutes=statistics.median(times) if times else None,
        p90_minutes=percentile(times, 0.9),
        days=days,
    )
