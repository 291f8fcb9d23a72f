"""Each person's language and time zone: the choices, their validation, and the one function that saves them.

An empty value means "the default": the language from the browser's
Accept-Language (then settings.LANGUAGE_CODE), the time zone from
settings.TIME_ZONE. accounts.middleware applies the choices to every request.
"""

import zoneinfo
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

from blockdesk import errors

from .models import LANGUAGE_CHOICES, Profile

BAD_LANGUAGE = gettext_noop("Pick a language from the list: English, Bahasa Indonesia, or from your browser.")
BAD_TIME_ZONE = gettext_noop("“{value}” is not a time zone BlockDesk knows; pick one from the list.")
# The same refusal for a form's invalid_choice, in the language of whoever sent the form.
BAD_TIME_ZONE_CHOICE = lazy(lambda: gettext(BAD_TIME_ZONE).replace("{value}", "%(value)s"), str)()

# Shown first in the time zone list: Indonesia's three zones, the region's neighbours, then the usual others.
COMMON_TIME_ZONES = [
    "Asia/Jakarta",
    "Asia/Makassar",
    "Asia/Jayapura",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Bangkok",
    "Asia/Manila",
    "Australia/Perth",
    "Australia/Sydney",
    "UTC",
    "Europe/London",
    "Europe/Amsterdam",
    "America/New_York",
]


@cache
def known_time_zones() -> frozenset[str]:
    """Every zoneinfo name this machine knows (read once: the list does not change while we run)."""
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list:
    """The select's choices: the site's default, the common zones, then every other zone by name."""
    known = known_time_zones()
    common = [name for name in COMMON_TIME_ZONES if name in known]
    others = sorted(known - set(common))
    return [
        ("", f"The site's time zone ({settings.TIME_ZONE})"),
        ("Common", [(name, name.replace("_", " ")) for name in common]),
        ("All time zones", [(name, name.replace("_", " ")) for name in others]),
    ]


def is_time_zone(value: str) -> bool:
    return value == "" or value in known_time_zones()


def profile_of(person) -> Profile:
    """The person's profile, unsaved with the defaults if they never chose (no query when loaded with them)."""
    try:
        return person.profile
    except Profile.DoesNotExist:
        return Profile(user=person)


def save_profile(*, person, language: str, time_zone: str) -> Profile:
    """Save a person's own language and time zone ("" for either: the default); errors.Invalid for a bad value."""
    if language not in dict(LANGUAGE_CHOICES):
        raise errors.Invalid(BAD_LANGUAGE)
    if not is_time_zone(time_zone):
        raise errors.Invalid(gettext(BAD_TIME_ZONE).format(value=time_zone))
    with transaction.atomic():
        profile, _ = Profile.objects.update_or_create(
            user=person, defaults={"language": language, "time_zone": time_zone}
        )
    # The person object of this request keeps the new choices too (the next request reads them with the user).
    person.profile = profile
    return profile
