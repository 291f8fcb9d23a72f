"""The SLA view's reads: per queue, how many wait past the alert and the longest wait; first-response times of the
tickets opened in the last days (median, p90, and per day for the chart)."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
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


@dataclass(frozen=True)
class _FirstResponses:
    answered: int
    unanswered: int
    median_minutes: float | None
    p90_minutes: float | None
    # Each day that had an answered ticket: (answered, median minutes).
    by_day: dict


def _rounded(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes, 1)


def percentile(values: list[float], fraction: float) -> float | None:
    """The percentile of values with linear interpolation, as PostgreSQL's percentile_cont (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _first_responses_python(opened) -> _FirstResponses:
    """SQLite has no percentile_cont: read the opened tickets' two times and compute in Python."""
    pairs = list(opened.values_list("created_at", "first_reply_at"))
    times, by_day = [], {}
    for created, reply in pairs:
        if reply is not None:
            minutes = (reply - created).total_seconds() / 60
            times.append(minutes)
            by_day.setdefault(timezone.localdate(created), []).append(minutes)
    return _FirstResponses(
        answered=len(times),
        unanswered=len(pairs) - len(times),
        median_minutes=_rounded(percentile(times, 0.5)),
        p90_minutes=_rounded(percentile(times, 0.9)),
        by_day={day: (len(day_times), _rounded(percentile(day_times, 0.5))) for day, day_times in by_day.items()},
    )


# One statement: per local day and overall (the empty grouping set), percentile_cont skipping the unanswered (NULL).
_FIRST_RESPONSES_SQL = """
SELECT day, GROUPING(day) AS overall, COUNT(first_reply_at), COUNT(*) - COUNT(first_reply_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_reply_at - created_at) / 60),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_reply_at - created_at) / 60)
FROM ({opened}) AS opened
GROUP BY GROUPING SETS ((day), ())
"""


def _first_responses_sql(opened) -> _FirstResponses:
    """PostgreSQL: the medians and p90 in SQL, per day and overall, in one statement."""
    local_days = opened.annotate(day=TruncDate("created_at")).values("day", "created_at", "first_reply_at")
    inner, params = local_days.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_FIRST_RESPONSES_SQL.format(opened=inner), params)
        rows = cursor.fetchall()
    # The empty grouping set gives its row even when no ticket was opened.
    answered, unanswered, median, p90 = next(row for row in rows if row[1])[2:]
    return _FirstResponses(
        answered=answered,
        unanswered=unanswered,
        median_minutes=_rounded(median),
        p90_minutes=_rounded(p90),
        by_day={
            day: (count, _rounded(day_median))
            for day, overall, count, _, day_median, _ in rows
            if not overall and count
        },
    )


def first_responses(opened) -> _FirstResponses:
    """The first-response times of the opened tickets: in SQL on PostgreSQL, in Python elsewhere."""
    if connection.vendor == "postgresql":
        return _first_responses_sql(opened)
    return _first_responses_python(opened)


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
    responses = first_responses(opened)
    days = []
    for day in (timezone.localdate(since) + timedelta(days=n) for n in range(DAYS)):
        answered, median = responses.by_day.get(day, (0, None))
        days.append(DayResponse(day=day, answered=answered, median_minutes=median))
    return Sla(
        queues=queues,
        answered=responses.answered,
        unanswered=responses.unanswered,
        median_minutes=responses.median_minutes,
        p90_minutes=responses.p90_minutes,
        days=days,
    )
