"""Each signed-in person's language and time zone, for the whole request (pages and the admin site alike)."""

import zoneinfo
from collections.abc import Iterable, Iterator

from django.utils import timezone, translation

from .profiles import is_time_zone, profile_of


class PersonLanguageAndTimeZoneMiddleware:
    """Activate the signed-in person's language and time zone; others keep the defaults.

    Sits after LocaleMiddleware, which has already chosen the browser's language
    (Accept-Language, then LANGUAGE_CODE): a person's own choice overrides it.
    The profile comes with the person (accounts.backends.PersonBackend), so
    this adds no query. Anyone not signed in, and every person who left the
    zone empty, sees settings.TIME_ZONE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            profile = profile_of(user)
            if profile.language:
                translation.activate(profile.language)
                request.LANGUAGE_CODE = profile.language
            # A zone the machine no longer knows (a tzdata update renamed it) falls back to the default.
            if profile.time_zone and is_time_zone(profile.time_zone):
                zone = zoneinfo.ZoneInfo(profile.time_zone)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            response = self.get_response(request)
        finally:
            # The thread serves someone else next: one person's zone never leaks into another's request.
            timezone.deactivate()
        if zone is not None and response.streaming and not response.is_async:
            # A CSV export writes its rows after this returns: keep the person's zone while it does.
            response.streaming_content = _in_zone(response.streaming_content, zone)
        return response


def _in_zone(content: Iterable, zone) -> Iterator:
    timezone.activate(zone)
    try:
        yield from content
    finally:
        timezone.deactivate()
