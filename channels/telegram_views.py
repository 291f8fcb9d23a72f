"""The Telegram webhook: Telegram POSTs each update of the channel's bot here.

The secret token (X-Telegram-Bot-Api-Secret-Token, set with setWebhook) is
compared in constant time before the body is read; a request without the
right one gets 401 and nothing is stored. Errors are JSON `{"detail": …}`;
nothing a client sends gets a 5xx.
"""

import hmac
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from blockdesk import errors
from contacts.inbound_limits import check_inbound_limit

from .inbound_answers import too_many
from .telegram_models import TelegramChannel
from .telegram_updates import take_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NO_SUCH_BOT = "There is no active Telegram channel here."
BAD_SECRET = "The request did not carry this channel's secret token (X-Telegram-Bot-Api-Secret-Token)."
NOT_JSON = "The body is not JSON."
NOT_AN_OBJECT = "The body is not a JSON object."
TOO_LARGE = "The body is larger than {limit} bytes."
# A Telegram update is a few kilobytes; a caption and every photo size fit well within this.
MAX_BODY = 256 * 1024


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _secret_matches(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, channel_id: int) -> JsonResponse:
    bot = (
        TelegramChannel.objects.select_related("channel")
        .filter(channel_id=channel_id, channel__is_active=True, channel__kind="telegram")
        .first()
    )
    if bot is None:
        return _error(404, NO_SUCH_BOT)
    if not _secret_matches(request.headers.get(SECRET_HEADER, ""), bot.secret_token):
        return _error(401, BAD_SECRET)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return _error(413, TOO_LARGE.format(limit=MAX_BODY))
    body = request.body
    if len(body) > MAX_BODY:
        return _error(413, TOO_LARGE.format(limit=MAX_BODY))
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):
        return _error(400, NOT_JSON)
    if not isinstance(update, dict):
        return _error(400, NOT_AN_OBJECT)
    over = check_inbound_limit(bot.channel, 1)
    if over is not None:  # Telegram delivers the update again later
        return too_many(over)
    try:
        taken = take_update(channel=bot.channel, update=update)
    except errors.Invalid as invalid:
        return _error(400, invalid.detail)
    answer = {"ok": True, "outcome": taken.outcome}
    if taken.message is not None:
        answer |= {"message": taken.message, "ticket": taken.ticket, "status": taken.status}
    return JsonResponse(answer)
