"""Signed-in answers stay private, and a session ends after SESSION_IDLE_HOURS without a request.

PrivateAnswersMiddleware marks every API answer and every page served to a
signed-in person `Cache-Control: no-store` (with Django's other never-cache
headers), so neither the browser's history nor a shared proxy keeps a copy.

SlidingSessionMiddleware keeps an active person signed in: a session lives
SESSION_COOKIE_AGE seconds from its last save, and this saves it again once
SESSION_REFRESH_SECONDS have passed since the previous save — one session
write per few minutes per person instead of SESSION_SAVE_EVERY_REQUEST's
write per request (the console polls every few seconds). The idle timeout is
therefore SESSION_COOKIE_AGE, less at most SESSION_REFRESH_SECONDS. Signing
in counts as a refresh (`mark_refreshed`, connected in BlockdeskConfig.ready),
so the first pages after it write nothing either.
"""

import time

from django.conf import settings
from django.utils.cache import add_never_cache_headers

REFRESHED_AT = "_refreshed_at"


class PrivateAnswersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") or _signed_in(request):
            add_never_cache_headers(response)
        return response


class SlidingSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _signed_in(request):
            now = int(time.time())
            if now - request.session.get(REFRESHED_AT, 0) >= settings.SESSION_REFRESH_SECONDS:
                # A changed key makes SessionMiddleware save the session with a fresh expiry and cookie.
                request.session[REFRESHED_AT] = now
        return self.get_response(request)


def mark_refreshed(sender, request, user, **kwargs):
    """user_logged_in receiver: the login's own session save starts the idle clock."""
    request.session[REFRESHED_AT] = int(time.time())


def _signed_in(request) -> bool:
    """Whether a signed-in person made this request; no session read without a session cookie."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
