"""How long a block lasts: the choices the block form and the API offer, and the moment each ends."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blockdesk import errors

FOREVER = "forever"
UNTIL_DATE = "date"
DURATIONS = {
    FOREVER: None,
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DURATION_CHOICES = [
    (FOREVER, _("Forever")),
    ("1h", _("1 hour")),
    ("1d", _("1 day")),
    ("7d", _("7 days")),
    ("30d", _("30 days")),
    (UNTIL_DATE, _("Until a date")),
]


def block_end(duration: str, until_date: date | None = None, *, now: datetime | None = None) -> datetime | None:
    """When a block of this duration, made now, ends; None for forever.

    "Until a date" keeps the block through that whole day in the server's time
    zone: it ends at the midnight that closes it.
    """
    now = now or timezone.now()
    if duration == UNTIL_DATE:
        if until_date is None:
            raise errors.Invalid(errors.BLOCK_DATE_MISSING)
        end = datetime.combine(until_date + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())
        if end <= now:
            raise errors.Invalid(errors.BLOCK_END_PAST)
        return end
    if duration not in DURATIONS:
        raise errors.Invalid(errors.BLOCK_DURATION_INVALID)
    length = DURATIONS[duration]
    return None if length is None else now + length
