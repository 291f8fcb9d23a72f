"""How long a customer has waited, as the queues say it: "14 min", "2 h 5 min", "3 d 4 h"."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext


def waited_minutes(since: datetime | None, now: datetime | None = None) -> int | None:
    """Whole minutes since `since` (None when nobody waits)."""
    if since is None:
        return None
    return max(int(((now or timezone.now()) - since).total_seconds() // 60), 0)


def minutes_text(minutes: int) -> str:
    if minutes < 60:
        return gettext("%(minutes)s min") % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        if rest:
            return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
        return gettext("%(hours)s h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return gettext("%(days)s d") % {"days": days}
