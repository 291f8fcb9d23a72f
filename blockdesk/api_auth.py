"""Who is calling the JSON API: a channel (inbound messages) or a person (staff endpoints).

Both send `Authorization: Bearer <token>`. Channel requests are also where
the body's size limit and the optional HMAC signature are checked, because
the signature covers the raw body and must be checked before it is parsed.
"""

import hashlib
import hmac
import re
import time

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_noop
from ninja.security import HttpBearer

from accounts.models import ApiToken
from accounts.tokens import note_token_used
from contacts.inbound_limits import check_inbound_limit, inbound_channel
from contacts.models import Channel
from settings_app.bot import bot_config
from settings_app.models import BotAnswerer

INBOUND_MAX_BYTES = 64 * 1024
BATCH_MAX_BYTES = 1024 * 1024
# How far a signed request's timestamp may be from the server's clock, either way.
SIGNATURE_MAX_AGE_SECONDS = 5 * 60
TIMESTAMP_HEADER = "X-BlockDesk-Timestamp"
SIGNATURE_HEADER = "X-BlockDesk-Signature"

NO_CHANNEL_TOKEN = gettext_noop("Send the channel's token as 'Authorization: Bearer <token>'.")
BAD_CHANNEL_TOKEN = gettext_noop("The channel token is wrong or revoked, or its channel is switched off.")
NO_PERSONAL_TOKEN = gettext_noop("Send your personal API token as 'Authorization: Bearer <token>'.")
BAD_PERSONAL_TOKEN = gettext_noop("The API token is wrong or revoked, or its user is inactive.")
MISSING_TIMESTAMP = f"This channel signs its requests: send {TIMESTAMP_HEADER} with the unix time in seconds."
STALE_TIMESTAMP = f"{TIMESTAMP_HEADER} is more than 5 minutes away from the server's clock; sign the request again."
MISSING_SIGNATURE = (
    f"This channel signs its requests: send {SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of timestamp + '.' + body>."
)
BAD_SIGNATURE = f"{SIGNATURE_HEADER} does not match the timestamp and body (HMAC-SHA256 with the channel's secret)."
BODY_TOO_LARGE = gettext_noop("The request body is larger than {limit} KiB.")
NO_BOT_SECRET = gettext_noop("Send the bot webhook's secret as 'Authorization: Bearer <secret>'.")
BAD_BOT_SECRET = gettext_noop(
    "The bot secret is wrong, or the bot webhook is not what answers BOT tickets (System settings)."
)


class ApiError(Exception):
    """A refusal decided by the API layer itself (not by a domain function)."""

    status = 400

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class PayloadTooLarge(ApiError):
    status = 413


class TooManyRequests(ApiError):
    """Over one of the channel's inbound limits: answered 429 with Retry-After."""

    status = 429

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(gettext(BODY_TOO_LARGE).format(limit=limit // 1024))


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def read_body(request: HttpRequest, limit: int) -> bytes:
    """Return the raw body, refusing it with 413 before reading it when its declared length is over the limit."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large(limit)
    try:
        body = request.body
    except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: still the client's fault
        raise too_large(limit) from None
    if len(body) > limit:
        raise too_large(limit)
    return body


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """The X-BlockDesk-Signature value a channel with this secret sends."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_signature(request: HttpRequest, secret: str, body: bytes) -> None:
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    if not timestamp:
        raise Unauthorized(MISSING_TIMESTAMP)
    if not re.fullmatch(r"[0-9]{1,12}", timestamp) or abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
        raise Unauthorized(STALE_TIMESTAMP)
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not given:
        raise Unauthorized(MISSING_SIGNATURE)
    expected = signature_for(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "replace")):
        raise Unauthorized(BAD_SIGNATURE)


class ChannelToken(HttpBearer):
    """A channel's bearer token; the body must fit `max_bytes` and carry a signature if the channel has a secret.

    The look-up also reads the system switches (`channel.switches`, for routing)
    and counts the request, with `messages` messages, against the channel's
    inbound limits (contacts.inbound_limits): one statement, every request,
    nothing kept by the process. A batch counts its messages once it has read
    them (`check_batch_limit`).
    """

    openapi_description = (
        "The channel's token (`create_channel` prints it once). A channel with a signing secret must also send "
        f"`{TIMESTAMP_HEADER}` (unix seconds, within 5 minutes) and "
        f"`{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of timestamp + '.' + raw body>`."
    )

    def __init__(self, *, max_bytes: int, messages: int = 1):
        self.max_bytes = max_bytes
        self.messages = messages
        super().__init__()

    def __call__(self, request: HttpRequest) -> Channel:
        raw = _bearer_token(request)
        if raw is None:
            raise Unauthorized(NO_CHANNEL_TOKEN)
        channel, over = inbound_channel(raw, messages=self.messages)
        if channel is None:
            raise Unauthorized(BAD_CHANNEL_TOKEN)
        body = read_body(request, self.max_bytes)
        if channel.signing_secret:
            check_signature(request, channel.signing_secret, body)
        if over is not None:
            raise TooManyRequests(over.detail, over.retry_after)
        return channel

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        raise NotImplementedError


def check_batch_limit(channel: Channel, messages: int) -> None:
    """Count a batch's messages (its request was counted by ChannelToken); 429 if that puts it over a limit."""
    over = check_inbound_limit(channel, messages, requests=0)
    if over is not None:
        raise TooManyRequests(over.detail, over.retry_after)


class PersonalToken(HttpBearer):
    """A person's API token (My API tokens page, or `create_api_token`); it acts with its owner's permissions."""

    openapi_description = (
        "A personal API token, made on the console's My API tokens page (/account/tokens/); it acts as its owner."
    )

    def __call__(self, request: HttpRequest):
        raw = _bearer_token(request)
        if raw is None:
            raise Unauthorized(NO_PERSONAL_TOKEN)
        token = ApiToken.objects.active_for(raw)
        if token is None:
            raise Unauthorized(BAD_PERSONAL_TOKEN)
        note_token_used(token)
        return token.user

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        raise NotImplementedError


class BotCaller:
    """The bot webhook's bot, calling back with its secret; it acts as the BOT, not as a person."""

    def __repr__(self):
        return "BOT"


BOT = BotCaller()


class BotSecret(HttpBearer):
    """The bot webhook's secret as a bearer token, accepted while the bot webhook answers BOT tickets.

    With `or_personal_token`, a token that is not the bot's is tried as a personal API token instead.
    """

    openapi_description = (
        "The bot webhook's secret (System settings), the same one BlockDesk signs its POSTs to the bot with; "
        "accepted while the bot webhook is what answers BOT tickets."
    )

    def __init__(self, *, or_personal_token: bool = False):
        self.or_personal_token = or_personal_token
        super().__init__()

    def __call__(self, request: HttpRequest):
        raw = _bearer_token(request)
        if raw is None and not self.or_personal_token:
            raise Unauthorized(NO_BOT_SECRET)
        config = bot_config()
        if (
            raw is not None
            and config.answerer == BotAnswerer.WEBHOOK
            and config.webhook_secret
            and hmac.compare_digest(raw.encode(), config.webhook_secret.encode())
        ):
            return BOT
        if self.or_personal_token:
            return None  # the next authenticator (a personal token) decides
        raise Unauthorized(BAD_BOT_SECRET)

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        raise NotImplementedError
