"""The `api` channel's sender: a signed webhook POST of each reply to the channel's outbound URL.

Headers: X-BlockDesk-Timestamp (Unix seconds), X-BlockDesk-Signature
(`sha256=` + hex HMAC-SHA256 of `timestamp + "." + body` with the channel's outbound
secret) and X-BlockDesk-Delivery (the message id: the same on every attempt,
so a receiver drops a copy it already has). 2xx is sent; 429 and 5xx,
timeouts and connection errors are tried again; other answers fail at once.
"""

import hashlib
import hmac
import json
import threading
import time

import requests
from django.conf import settings

from contacts.models import ContactIdentity
from tickets.models import Message
from tickets.outbox import PermanentSendError, SendResult, TransientSendError

NO_OUTBOUND_URL = "This channel has no outbound URL; an administrator sets it on the channel."
RECEIVER_REFUSED = "The receiver answered {status}: {text}"
RECEIVER_UNAVAILABLE = "The receiver answered {status}."
RECEIVER_UNREACHABLE = "The receiver could not be reached: {error}"
RECEIVER_TIMED_OUT = "The receiver did not answer within {seconds:g} s."
# How much of a refusing receiver's answer the timeline shows.
ERROR_TEXT_LENGTH = 200

# One HTTP session per worker thread: its pool keeps a connection alive per receiver host, so a
# batch of replies to one receiver costs one TCP (and TLS) handshake, not one per reply.
_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def prepare_api_webhooks(messages: list[Message]) -> None:
    """Load each message's recipient address for a batch in one query (payload then asks nothing)."""
    addresses: dict[tuple[int, int], str] = {}
    for contact_id, channel_id, external_id in (
        ContactIdentity.objects.filter(
            contact_id__in={m.ticket.contact_id for m in messages}, channel_id__in={m.channel_id for m in messages}
        )
        .order_by("-id")
        .values_list("contact_id", "channel_id", "external_id")
    ):
        addresses[contact_id, channel_id] = external_id  # the oldest identity wins, as in payload
    for message in messages:
        message.webhook_address = addresses.get((message.ticket.contact_id, message.channel_id), "")


def _address(message: Message) -> str:
    if hasattr(message, "webhook_address"):
        return message.webhook_address
    return (
        ContactIdentity.objects.filter(contact_id=message.ticket.contact_id, channel_id=message.channel_id)
        .order_by("id")
        .values_list("external_id", flat=True)
        .first()
    ) or ""


def payload(message: Message) -> dict:
    contact = message.ticket.contact
    address = _address(message)
    return {
        "message_id": message.pk,
        "ticket": message.ticket_id,
        "contact": {
            "id": contact.pk,
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "address": address,
        },
        "text": message.body,
        "sent_at": message.sent_at.isoformat(),
    }


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def send_api_webhook(message: Message) -> SendResult:
    channel = message.channel
    if not channel.outbound_url:
        raise PermanentSendError(NO_OUTBOUND_URL)
    body = json.dumps(payload(message), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-BlockDesk-Timestamp": timestamp,
        "X-BlockDesk-Delivery": str(message.pk),
    }
    if channel.outbound_secret:
        headers["X-BlockDesk-Signature"] = "sha256=" + sign(channel.outbound_secret, timestamp, body)
    timeout = settings.DELIVERY_TIMEOUT_SECONDS
    try:
        response = _session().post(channel.outbound_url, data=body, headers=headers, timeout=timeout)
    except requests.Timeout:
        raise TransientSendError(RECEIVER_TIMED_OUT.format(seconds=timeout)) from None
    except requests.RequestException as exc:
        raise TransientSendError(RECEIVER_UNREACHABLE.format(error=type(exc).__name__)) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientSendError(RECEIVER_UNAVAILABLE.format(status=response.status_code), _retry_after(response))
    if not 200 <= response.status_code < 300:
        text = response.text[:ERROR_TEXT_LENGTH]
        raise PermanentSendError(RECEIVER_REFUSED.format(status=response.status_code, text=text))
    return SendResult(provider_message_id=_provider_id(response))


def _provider_id(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    value = data.get("id", "") if isinstance(data, dict) else ""
    return str(value)[:255]
