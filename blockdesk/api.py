"""The JSON API root (/api/v1/): routers from each app, and how every refusal becomes a JSON answer.

Every error body is JSON with a `detail` text; validation errors add
`errors: [{"field", "message"}]`. Domain errors map as everywhere else:
Forbidden → 403, NotFound → 404, Conflict → 409, Invalid → 422.
"""

import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext, gettext_noop
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.views import openapi_json
from ninja.parser import Parser

from blockdesk import errors, outage
from contacts.api import router as contacts_router
from search.api import router as search_router
from settings_app.api import router as settings_router
from spam.overview_api import router as spam_overview_router
from spam.rules_api import router as rules_router
from spam.suspected_api import router as suspected_router
from tickets.api import inbound_router, messages_router, outbound_router
from tickets.api import router as tickets_router
from tickets.saved_reply_api import router as saved_replies_router

from .api_auth import BODY_TOO_LARGE, ApiError, TooManyRequests

logger = logging.getLogger(__name__)

NO_CREDENTIALS = gettext_noop("Send a token as 'Authorization: Bearer <token>'.")
NOT_JSON = gettext_noop("The request body must be a JSON object.")
INVALID_REQUEST = gettext_noop("Some values are invalid: {fields}.")
SERVER_ERROR = gettext_noop("Something went wrong on our side; the request was not completed. Try again later.")

DESCRIPTION = """\
Channels post customer messages to `/inbound/messages` (or `/inbound/messages/batch`) with their
channel token; people use the other endpoints with a personal API token and the same permissions as
in the console. Every error answers JSON with a `detail` text; 422 adds `errors: [{field, message}]`.
"""


class ObjectParser(Parser):
    """Read JSON bodies, refusing anything but an object (ninja turns the error into a 400)."""

    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError(NOT_JSON)
        return data


def _docs_for_signed_in_staff(view):
    """The interactive docs need a console sign-in; the OpenAPI document itself is public."""
    if getattr(view, "func", None) is openapi_json:
        return view
    return login_required(view)


api = NinjaAPI(
    title="BlockDesk API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_decorator=_docs_for_signed_in_staff,
    parser=ObjectParser(),
)
api.add_router("/inbound", inbound_router)
api.add_router("/contacts", contacts_router)
api.add_router("/tickets", tickets_router)
api.add_router("/messages", messages_router)
api.add_router("/outbound", outbound_router)
api.add_router("/saved-replies", saved_replies_router)
api.add_router("/settings", settings_router)
api.add_router("/search", search_router)
api.add_router("/rules", rules_router)
api.add_router("/spam/overview", spam_overview_router)
api.add_router("/suspected", suspected_router)

DOMAIN_STATUS = (
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Invalid, 422),
)


def _error(request, status: int, detail: str, **extra):
    """The JSON answer; detail is translated (Accept-Language), an already translated text stays as it is."""
    response = api.create_response(request, {"detail": gettext(detail), **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    response = _error(request, exc.status, exc.detail)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(errors.DomainError)
def _domain_error(request, exc: errors.DomainError):
    status = next((code for kind, code in DOMAIN_STATUS if isinstance(exc, kind)), 400)
    if status == 422:
        return _error(request, 422, exc.detail, errors=[])
    if isinstance(exc, errors.MergedAway):
        return _error(request, status, exc.detail, merged_into=exc.merged_into)
    return _error(request, status, exc.detail)


def _field_name(loc) -> str:
    """("body", "payload", "messages", 3, "text") → "messages[3].text"; ("query", "limit") → "limit"."""
    parts = list(loc[1:])
    if loc and loc[0] == "body" and parts:
        parts = parts[1:]  # the view's parameter name, not part of the document
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    # An empty body is unreadable (400), not a list of missing fields.
    body_errors = [error.get("loc", ()) for error in exc.errors if error.get("loc", ())[:1] == ("body",)]
    if body_errors and not request.body.strip():
        return _error(request, 400, NOT_JSON)
    field_errors = [
        {"field": _field_name(error.get("loc", ())), "message": error.get("msg", "")} for error in exc.errors
    ]
    fields = ", ".join(dict.fromkeys(e["field"] for e in field_errors))
    return _error(request, 422, gettext(INVALID_REQUEST).format(fields=fields), errors=field_errors)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _request_too_big(request, exc.__cause__)
    if isinstance(exc, AuthenticationError):
        return _error(request, 401, NO_CREDENTIALS)
    if exc.status_code == 400:  # ninja could not parse the body
        return _error(request, 400, NOT_JSON)
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _request_too_big(request, exc):
    return _error(request, 413, gettext(BODY_TOO_LARGE).format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024))


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return _error(request, 500, SERVER_ERROR)


# A lost database connection is an outage (503 with Retry-After), not our bug (500).
outage.install(api)
