"""What BlockDesk answers while its database is unreachable: 503, never 500.

A lost or refused database connection (OperationalError, InterfaceError) is
not the client's fault and not a bug: the same request will succeed once the
database is back. API clients get JSON with a Retry-After header; people in
the console get a short page asking them to try again. Django closes the
broken connection at the end of the request (and CONN_HEALTH_CHECKS replaces
a stale one at the start of the next), so the app recovers without a restart.
"""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext, gettext_noop

logger = logging.getLogger("blockdesk.outage")

DATABASE_UNAVAILABLE = gettext_noop("The database is unavailable; retry later.")
OUTAGE_ERRORS = (OperationalError, InterfaceError)


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def outage_response(request) -> HttpResponse:
    """The 503 for this request: JSON for the API, a plain page for the console."""
    retry_after = str(settings.DATABASE_OUTAGE_RETRY_AFTER)
    if is_api_path(request.path):
        response = JsonResponse({"detail": gettext(DATABASE_UNAVAILABLE)}, status=503)
    else:
        # Rendered without the request: context processors and the session
        # would need the database that is not there.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    return response


def _api_outage_handler(request, exc):
    logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exc)
    return outage_response(request)


def install(api) -> None:
    """Register the outage answer on a django-ninja API (it catches exceptions before any middleware).

    Needed because an API-wide `Exception` handler would otherwise turn a
    lost connection into its own 500. Idempotent.
    """
    for error in OUTAGE_ERRORS:
        api.add_exception_handler(error, _api_outage_handler)
