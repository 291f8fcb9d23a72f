"""The spam overview's numbers: blocked messages, top blocked contacts, rule hits and flood flags, per day.

One read, `spam_overview`, for the console page and the API. It costs the same
six queries for ten rows or ten million: every list is a GROUP BY in the
database, and only the days of the window, the channels and the top ten come
back. Days are calendar days in the current time zone (TruncDate), the window
ends today and holds `days` days, each of them present even when nothing
happened.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from contacts.models import Contact
from contacts.spam_models import FloodFlag, FloodStatus, RuleAction, RuleHitDay, RuleKind
from tickets.models import DeletedMessage, Message, Ticket

DEFAULT_DAYS = 30
MAX_DAYS = 90
TOP = 10


@dataclass(frozen=True)
class Series:
    """One coloured part of a stacked bar: a channel, a rule action or a flag's outcome."""

    key: str
    label: str


@dataclass(frozen=True)
class DayCounts:
    day: date
    counts: tuple[int, ...]  # in the order of the chart's series

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class PerDay:
    """Counts per day and series; `days` holds every day of the window, oldest first."""

    series: tuple[Series, ...]
    days: tuple[DayCounts, ...]

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)

    def series_total(self, key: str) -> int:
        index = next(i for i, series in enumerate(self.series) if series.key == key)
        return sum(day.counts[index] for day in self.days)


@dataclass(frozen=True)
class TopContact:
    id: int
    name: str
    is_blocked: bool  # blocked now (a timed block past its end counts as lifted)
    messages: int


@dataclass(frozen=True)
class TopRule:
    id: int
    kind: str
    kind_label: str
    value: str
    action: str
    action_label: str
    hits: int  # in the window
    last_hit_at: datetime | None


@dataclass(frozen=True)
class Totals:
    blocked_messages: int
    rule_hits: int
    rejected: int
    flood_flags: int


@dataclass(frozen=True)
class Overview:
    days: int
    first_day: date
    last_day: date
    blocked_messages: PerDay  # series: the channels that had any, by name
    top_contacts: tuple[TopContact, ...]
    rule_hits: PerDay  # series: quarantine, reject, allow
    top_rules: tuple[TopRule, ...]
    flood_flags: PerDay  # series: the flag statuses
    totals: Totals


def spam_overview(*, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Overview:
    """The spam overview of the `days` calendar days ending today (in the current time zone)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}")
    now = now or timezone.now()
    last_day = timezone.localdate(now)
    first_day = last_day - timedelta(days=days - 1)
    start, end = _midnight(first_day), _midnight(last_day + timedelta(days=1))
    day_list = [first_day + timedelta(days=n) for n in range(days)]

    blocked = _blocked_messages(start, end, day_list)
    rule_hits = _rule_hits(first_day, last_day, day_list)
    flood = _flood_flags(start, end, day_list)
    return Overview(
        days=days,
        first_day=first_day,
        last_day=last_day,
        blocked_messages=blocked,
        top_contacts=_top_contacts(start, end, now),
        rule_hits=rule_hits,
        top_rules=_top_rules(first_day, last_day),
        flood_flags=flood,
        totals=Totals(
            blocked_messages=blocked.total,
            rule_hits=rule_hits.total,
            rejected=rule_hits.series_total(RuleAction.REJECT),
            flood_flags=flood.total,
        ),
    )


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _per_day(rows, series: list[Series], day_list: list[date]) -> PerDay:
    """Rows of (day, series key, count) → every day of the window, zeros included."""
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, key, n in rows:
        counts[day][key] += n
    return PerDay(
        series=tuple(series),
        days=tuple(DayCounts(day, tuple(counts[day][s.key] for s in series)) for day in day_list),
    )


def _blocked_messages(start: datetime, end: datetime, day_list: list[date]) -> PerDay:
    """Customer messages that landed in a blocked ticket, by arrival day and channel, deleted ones included."""
    live = (
        Message.objects.filter(arrived_blocked=True, created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "channel_id", "channel__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    # Delete All and retention keep the arrival of every deleted message: the spam still came.
    deleted = (
        DeletedMessage.objects.filter(arrived_blocked=True, arrived_at__gte=start, arrived_at__lt=end)
        .annotate(day=TruncDate("arrived_at"))
        .values("day", "channel_id", "channel__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [*live, *deleted]
    names = {row["channel_id"]: row["channel__name"] for row in rows}
    series = [Series(str(pk), name) for pk, name in sorted(names.items(), key=lambda item: (item[1], item[0]))]
    return _per_day(((row["day"], str(row["channel_id"]), row["n"]) for row in rows), series, day_list)


def _top_contacts(start: datetime, end: datetime, now: datetime) -> tuple[TopContact, ...]:
    """The contacts with the most blocked messages in the window, live and deleted ones summed.

    Hand-written: the two counts must be added up before the top ten is cut, and the ORM cannot group a
    UNION. (A merge moves deleted-message rows to the surviving contact, as it moves tickets.)
    """
    quote = connection.ops.quote_name
    message, ticket, deleted, contact = (quote(m._meta.db_table) for m in (Message, Ticket, DeletedMessage, Contact))
    sql = (
        # Blocked now: a timed block past its end is lifted for routing already, whatever the sweep did.
        "SELECT c.id, c.name, CASE WHEN c.is_blocked = %s AND (c.blocked_until IS NULL OR c.blocked_until > %s)"
        " THEN 1 ELSE 0 END, b.n FROM ("
        " SELECT u.contact_id, SUM(u.n) AS n FROM ("
        f"  SELECT t.contact_id AS contact_id, COUNT(*) AS n FROM {message} m JOIN {ticket} t ON t.id = m.ticket_id"
        "   WHERE m.arrived_blocked = %s AND m.created_at >= %s AND m.created_at < %s GROUP BY t.contact_id"
        "  UNION ALL"
        f"  SELECT d.contact_id, COUNT(*) FROM {deleted} d"
        "   WHERE d.arrived_blocked = %s AND d.arrived_at >= %s AND d.arrived_at < %s GROUP BY d.contact_id"
        " ) u GROUP BY u.contact_id"
        f") b JOIN {contact} c ON c.id = b.contact_id ORDER BY b.n DESC, c.name, c.id LIMIT %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    window = [True, adapt(start), adapt(end)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, adapt(now), *window, *window, TOP])
        rows = cursor.fetchall()
    return tuple(
        TopContact(id=pk, name=name, is_blocked=bool(blocked), messages=int(n)) for pk, name, blocked, n in rows
    )


def _rule_hits(first_day: date, last_day: date, day_list: list[date]) -> PerDay:
    """Rule hits per day by action (a reject hit is a message refused, never stored)."""
    rows = (
        RuleHitDay.objects.filter(day__gte=first_day, day__lte=last_day)
        .values("day", "action")
        .annotate(n=Sum("hits"))
        .order_by()
    )
    series = [Series(action.value, str(action.label)) for action in RuleAction]
    return _per_day(((row["day"], row["action"], row["n"]) for row in rows), series, day_list)


def _top_rules(first_day: date, last_day: date) -> tuple[TopRule, ...]:
    """The rules that hit most in the window (rules since deleted are left out: nothing to link to)."""
    rows = (
        RuleHitDay.objects.filter(day__gte=first_day, day__lte=last_day, rule__isnull=False)
        .values("rule_id", "rule__kind", "rule__value", "rule__action", "rule__last_hit_at")
        .annotate(n=Sum("hits"))
        .filter(n__gt=0)
        .order_by("-n", "rule_id")[:TOP]
    )
    return tuple(
        TopRule(
            id=row["rule_id"],
            kind=row["rule__kind"],
            kind_label=str(RuleKind(row["rule__kind"]).label),
            value=row["rule__value"],
            action=row["rule__action"],
            action_label=str(RuleAction(row["rule__action"]).label),
            hits=row["n"],
            last_hit_at=row["rule__last_hit_at"],
        )
        for row in rows
    )


def _flood_flags(start: datetime, end: datetime, day_list: list[date]) -> PerDay:
    """Flood flags by the day they were raised and what became of them (still open, dismissed, blocked)."""
    rows = (
        FloodFlag.objects.filter(flagged_at__gte=start, flagged_at__lt=end)
        .annotate(day=TruncDate("flagged_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    series = [Series(status.value, str(status.label)) for status in FloodStatus]
    return _per_day(((row["day"], row["status"], row["n"]) for row in rows), series, day_list)
