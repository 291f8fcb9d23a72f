"""Login throttling beyond django-axes' per (username, address) lock: sprays from one address, and at one username.

axes locks a username from one address after AXES_FAILURE_LIMIT wrong
passwords. Two attacks slip past that pair: one address trying a few
passwords on many usernames, and many addresses trying one username. Within
the same cool-off window this handler also refuses
- an address with LOGIN_FAILURES_PER_ADDRESS failures over any usernames;
- a username with LOGIN_FAILURES_PER_USERNAME failures over any addresses,
  except from addresses it has signed in from before (axes' AccessLog), so a
  distributed attack cannot lock the owner out at their usual desk.
The scope of the lock goes on the request for the lockout page's wording.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

PAIR = "pair"
ADDRESS = "address"
USERNAME = "username"


class LoginThrottleHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            request.login_lock_scope = PAIR
            return True
        scope = spray_lock(request.axes_ip_address, get_client_username(request, credentials))
        if scope:
            request.login_lock_scope = scope
            return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        """Record the failure (axes), then answer with the lockout page if it completed a spray lock too."""
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out:
            return
        scope = spray_lock(request.axes_ip_address, get_client_username(request, credentials))
        if scope:
            request.login_lock_scope = scope
            request.axes_locked_out = True
            request.axes_credentials = credentials


def spray_lock(ip_address: str, username: str | None) -> str | None:
    """ADDRESS or USERNAME when failures within the cool-off reach the wider limits, else None (one query, two
    when a username's limit is reached)."""
    recent = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off:
        recent = recent.filter(attempt_time__gte=timezone.now() - cool_off)
    at_address = Q(ip_address=ip_address)
    at_username = Q(username=username or "")
    totals = recent.filter(at_address | at_username).aggregate(
        address=Sum("failures_since_start", filter=at_address),
        username=Sum("failures_since_start", filter=at_username),
    )
    if (totals["address"] or 0) >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return ADDRESS
    username_limit_reached = username and (totals["username"] or 0) >= settings.LOGIN_FAILURES_PER_USERNAME
    if username_limit_reached and not AccessLog.objects.filter(username=username, ip_address=ip_address).exists():
        return USERNAME
    return None
