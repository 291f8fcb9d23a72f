"""How long a customer has waited, as the queues say it: "14 min", "2 h 5 min", "3 d 4 h"."""

from datetime import datetime

from django.utils import timezone


def waited_minutes(since: datetime | None, now: datetime | None = None) -> int | None:
    """Whole minutes since `since` (None when nobody waits)."""
    if since is None:
        return None
    return max(int(((now or timezone.now()) - since).total_seconds() // 60), 0)


def minutes_text(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
