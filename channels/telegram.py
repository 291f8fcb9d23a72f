"""Telegram Bot API, out: the calls BlockDesk makes (sendMessage, getMe, setWebhook) and the channel's sender.

Every call is a POST of JSON to `<api_base_url>/bot<token>/<method>`; Telegram
answers `{"ok": true, "result": …}` or `{"ok": false, "error_code": …,
"description": …, "parameters": {"retry_after": …}}`. A 429 and a 5xx, a
timeout or a connection error are tried again (a 429's retry_after wins);
anything else fails at once with Telegram's description. A 403 on a private
chat ("Forbidden: bot was blocked by the user") also marks the address
undeliverable, so the next reply fails without asking Telegram. The bot token
is part of the URL: no error text ever includes the URL.
"""

import re
import threading

import requests
from django.conf import settings
from django.urls import reverse

from contacts.models import Channel, ContactIdentity
from contacts.reachability import mark_undeliverable
from tickets.models import Message
from tickets.outbox import PermanentSendError, SendResult, TransientSendError

from .setup import SetupCheckFailed
from .telegram_models import TelegramChannel

# The updates the webhook takes; setWebhook asks for exactly these.
ALLOWED_UPDATES = ["message", "edited_message", "my_chat_member"]
# Telegram's limit for one message's text; a longer reply goes out in parts.
MAX_TEXT = 4096
# "<bot id>:<secret>", as @BotFather hands it out; anything else never reaches a URL.
BOT_TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,100}")

NOT_SET_UP = "This Telegram channel has no bot yet: an administrator adds its bot token."
BAD_BOT_TOKEN = "This is not a Telegram bot token: it looks like 123456789:AAE… (ask @BotFather)."
NO_ADDRESS = "Not sent: the contact has no Telegram chat on this channel."
BOT_BLOCKED = "The customer blocked the bot on Telegram."
TELEGRAM_REFUSED = "Telegram refused: {code} {description}"
TELEGRAM_UNAVAILABLE = "Telegram answered {code}: {description}"
TELEGRAM_UNREACHABLE = "Telegram could not be reached: {error}"
TELEGRAM_TIMED_OUT = "Telegram did not answer within {seconds:g} s."
TELEGRAM_ANSWER_UNREADABLE = "Telegram's answer (HTTP {status}) was not the Bot API's JSON."
BAD_PUBLIC_URL = "Give this BlockDesk's public address, e.g. https://desk.example.com."
# How much of Telegram's description the timeline shows.
DESCRIPTION_LENGTH = 200

_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


class BotApiError(Exception):
    """A Bot API call that did not succeed: reason in words, and whether trying again later may help."""

    def __init__(self, reason: str, *, transient: bool, error_code: int = 0, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.error_code = error_code
        self.retry_after = retry_after


def call(bot: TelegramChannel, method: str, params: dict | None = None):
    """Call one Bot API method; return its result or raise BotApiError."""
    if not BOT_TOKEN.fullmatch(bot.bot_token or ""):
        raise BotApiError(BAD_BOT_TOKEN, transient=False)
    url = f"{bot.api_base_url.rstrip('/')}/bot{bot.bot_token}/{method}"
    timeout = settings.DELIVERY_TIMEOUT_SECONDS
    try:
        response = _session().post(url, json=params or {}, timeout=timeout)
    except requests.Timeout:
        raise BotApiError(TELEGRAM_TIMED_OUT.format(seconds=timeout), transient=True) from None
    except requests.RequestException as exc:
        # The exception's text holds the URL, and so the token: only its kind is told.
        raise BotApiError(TELEGRAM_UNREACHABLE.format(error=type(exc).__name__), transient=True) from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        transient = response.status_code == 429 or response.status_code >= 500
        raise BotApiError(TELEGRAM_ANSWER_UNREADABLE.format(status=response.status_code), transient=transient)
    if data.get("ok") is True and response.status_code < 300:
        return data.get("result")
    return _refusal(response, data)


def _refusal(response: requests.Response, data: dict):
    code = data.get("error_code")
    code = code if isinstance(code, int) else response.status_code
    description = str(data.get("description") or "")[:DESCRIPTION_LENGTH]
    parameters = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
    retry_after = parameters.get("retry_after")
    retry_after = float(retry_after) if isinstance(retry_after, int | float) and retry_after >= 0 else None
    if code == 429 or code >= 500 or response.status_code == 429 or response.status_code >= 500:
        reason = TELEGRAM_UNAVAILABLE.format(code=code, description=description)
        raise BotApiError(reason, transient=True, error_code=code, retry_after=retry_after)
    reason = TELEGRAM_REFUSED.format(code=code, description=description)
    raise BotApiError(reason, transient=False, error_code=code)


def _parts(text: str) -> list[str]:
    return [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)] or [text]


def _chat_id(address: str) -> int | str:
    try:
        return int(address)
    except ValueError:
        return address


def send_telegram(message: Message) -> SendResult:
    """Send a reply with sendMessage to the contact's chat with the bot (in parts past 4,096 characters).

    Should a later part fail and be tried again, the parts before it go out again too.
    """
    bot = TelegramChannel.objects.filter(channel_id=message.channel_id).first()
    if bot is None:
        raise PermanentSendError(NOT_SET_UP)
    address = (
        ContactIdentity.objects.filter(
            contact_id=message.ticket.contact_id, channel_id=message.channel_id, undeliverable_reason=""
        )
        .order_by("id")
        .values_list("external_id", flat=True)
        .first()
    )
    if address is None:
        raise PermanentSendError(NO_ADDRESS)
    sent = []
    for part in _parts(message.body):
        try:
            result = call(bot, "sendMessage", {"chat_id": _chat_id(address), "text": part})
        except BotApiError as failed:
            if failed.transient:
                raise TransientSendError(failed.reason, failed.retry_after) from None
            if failed.error_code == 403:
                # Private chats only: the user blocked the bot, or deleted their account.
                reason = BOT_BLOCKED if "blocked" in failed.reason else failed.reason
                mark_undeliverable(channel=message.channel, address=address, reason=reason)
            raise PermanentSendError(failed.reason) from None
        if isinstance(result, dict) and result.get("message_id") is not None:
            sent.append(str(result["message_id"]))
    return SendResult(provider_message_id=",".join(sent)[:255])


def webhook_path(channel: Channel) -> str:
    return reverse("telegram:webhook", args=[channel.pk])


def check_bot(channel: Channel) -> str:
    """Send test: ask Telegram who the bot is (getMe) and remember its username."""
    bot = TelegramChannel.objects.filter(channel=channel).first()
    if bot is None:
        raise SetupCheckFailed(NOT_SET_UP)
    try:
        me = call(bot, "getMe")
    except BotApiError as failed:
        raise SetupCheckFailed(failed.reason) from None
    me = me if isinstance(me, dict) else {}
    username = str(me.get("username") or "")[:100]
    TelegramChannel.objects.filter(pk=bot.pk).update(bot_username=username)
    return f"Telegram knows this bot as @{username} ({me.get('first_name') or 'no name'})."


def set_webhook(bot: TelegramChannel, *, public_base: str, drop_pending_updates: bool = False) -> tuple[str, str]:
    """Tell Telegram to deliver the bot's updates to this BlockDesk, with the secret token; return (url, answer)."""
    base = public_base.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", base):
        raise BotApiError(BAD_PUBLIC_URL, transient=False)
    url = base + webhook_path(bot.channel)
    params = {"url": url, "secret_token": bot.secret_token, "allowed_updates": ALLOWED_UPDATES}
    if drop_pending_updates:
        params["drop_pending_updates"] = True
    result = call(bot, "setWebhook", params)
    return url, "Webhook was set" if result is True else str(result)
