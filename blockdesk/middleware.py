"""Site-wide answers: a database outage anywhere in a request is a 503 (see blockdesk.outage); an unknown URL is
the console's 404 page even with DEBUG on; a channel's delivery skips the console's middleware."""

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.http import http_date
from django.utils.translation import gettext

from . import errors
from .console import refusal
from .outage import is_database_outage, outage_response

logger = logging.getLogger("blockdesk.outage")


class DatabaseOutageMiddleware:
    """Answer 503 instead of 500 when the database cannot be reached.

    A view's exception arrives in process_exception. One raised by an inner
    middleware (the session saved after the view, say) has already become a
    500 response by the time it gets here; the got_request_exception receiver
    below marks such requests so the 500 is replaced on its way out. Keep
    this middleware first in MIDDLEWARE so everything that can touch the
    database runs inside it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_database_outage", False):
            return outage_response(request)
        return response

    def process_exception(self, request, exception):
        if is_database_outage(exception):
            logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exception)
            return outage_response(request)
        return None


@receiver(got_request_exception)
def _mark_database_outage(sender, request=None, **kwargs):
    if request is not None and is_database_outage(sys.exc_info()[1]):
        request._database_outage = True


class ConsoleNotFoundMiddleware:
    """With DEBUG on (the demo), answer an unknown URL with the console's 404 page, not Django's debug page.

    Django turns a URL that resolves to nothing into its technical 404 before
    any view or handler404 runs; this swaps that answer (and any other bare
    404 that is not already one of ours) for the styled page, or a JSON
    `detail` under /api/. With DEBUG off handler404 does the same.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not settings.DEBUG or response.status_code != 404 or getattr(response, "is_console_page", False):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": gettext(errors.PAGE_NOT_FOUND)}, status=404)
        return refusal(request, 404)


# Where channels deliver customer messages (tickets.api's inbound router under the API root).
CHANNEL_DELIVERY_PATH = "/api/v1/inbound/"
# The Cache-Control of django.utils.cache.add_never_cache_headers.
NEVER_STORED = "max-age=0, no-cache, no-store, must-revalidate, private"


class ChannelDeliveryMiddleware:
    """Hand a channel's delivery (a POST under /api/v1/inbound/) straight to its view.

    A channel proves itself with its bearer token on every request (the
    view's ChannelToken auth): it has no session, cookie, CSRF token,
    flash messages or console page, so the middleware below this one
    (sessions, CSRF, auth, the sliding session, messages, CSP, htmx, axes,
    the console's 404) would only spend time on it: about a quarter of a
    millisecond of CPU per request, a tenth of routing a message
    (docs/benchmarks.md, issue 11). Everything a delivery's answer needs
    stays: the outage 503 and the security headers come from the middleware
    above this one, the language is the one asked for (Accept-Language, else
    English) as LocaleMiddleware would choose it, the host is checked and
    Content-Length set as CommonMiddleware would, X-Frame-Options as
    XFrameOptionsMiddleware would, and the answer is marked not to be stored,
    as PrivateAnswersMiddleware marks every API answer, with
    add_never_cache_headers' two headers (a JSON answer needs no
    Content-Security-Policy: nothing renders it). Anything else, a path that
    resolves to no view included, takes the whole chain.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or not request.path_info.startswith(CHANNEL_DELIVERY_PATH):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) for a Host outside ALLOWED_HOSTS
        request.resolver_match = match
        # LocaleMiddleware is below: without this, an answer would be worded in whatever language the thread's
        # previous request left active.
        translation.activate(translation.get_language_from_request(request))
        response = match.func(request, *match.args, **match.kwargs)
        # What add_never_cache_headers writes on an answer that has neither header (no delivery answer has), set
        # directly: parsing and merging the Cache-Control directives cost 2.5% of a delivery's CPU (issue 11).
        response.headers["Expires"] = http_date()
        response.headers["Cache-Control"] = NEVER_STORED
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        if not response.streaming:
            response.headers.setdefault("Content-Length", str(len(response.content)))
        return response
