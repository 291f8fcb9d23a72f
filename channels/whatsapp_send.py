"""WhatsApp Cloud API out: replies, the 24-hour window, the set-up check and the block mirror.

A reply is POST {api_base_url}/{phone_number_id}/messages with the channel's
access token; Meta answers {"messages": [{"id": "wamid…"}]} or
{"error": {"message", "type", "code", "error_subdata", "error_data"…}}.
Rate limits (codes 4, 80007, 130429, 131056, HTTP 429) and Meta's own
trouble (5xx, codes 1, 2, 131000, 133004) are tried again; every other error
is permanent and its message shown beside the reply.

Free-form replies are allowed only within 24 hours of the customer's last
message (WhatsApp's customer-service window): later, the reply fails at once
with that reason, without calling Meta.
"""

import logging
import threading
from datetime import UTC, timedelta

import requests
from django.conf import settings
from django.utils import timezone
from django_tasks import task

from contacts.models import Channel, ContactIdentity
from tickets.models import Message
from tickets.senders import PermanentSendError, SendResult, TransientSendError, reply_window_closes_at

from .setup import SetupCheckFailed
from .whatsapp_models import WhatsAppChannel

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
WINDOW_CLOSED = (
    "WhatsApp's 24-hour window closed at {closed:%Y-%m-%d %H:%M} UTC: a free-form reply goes out only within "
    "24 hours of the customer's last message. It opens again when the customer writes."
)
NOT_SET_UP = "This WhatsApp channel has no Cloud API settings yet; an administrator sets them on the channel."
NO_NUMBER = "The contact has no WhatsApp number on this channel."
META_REFUSED = "WhatsApp refused the message: {text}"
META_UNAVAILABLE = "WhatsApp answered {status}: {text}"
META_UNREACHABLE = "WhatsApp could not be reached: {error}"
META_TIMED_OUT = "WhatsApp did not answer within {seconds:g} s."
META_ANSWER_UNREADABLE = "WhatsApp answered {status} without a message id."
TEST_OK = "Connected to WhatsApp number {number}{name}."
ERROR_TEXT_LENGTH = 300

# Meta's error codes worth another try: throttling, and Meta's own temporary trouble.
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004})

_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def _headers(number: WhatsAppChannel) -> dict:
    return {"Authorization": f"Bearer {number.access_token}", "Content-Type": "application/json"}


def _error(response: requests.Response) -> tuple[int | None, str]:
    """Meta's error code and its words (message, and the details that say what to do), from an error answer."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        return None, response.text[:ERROR_TEXT_LENGTH] or response.reason or ""
    code = error.get("code") if isinstance(error.get("code"), int) else None
    words = str(error.get("message") or "")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    if details and str(details) not in words:
        words = f"{words} ({details})" if words else str(details)
    if code is not None:
        words = f"{words} [code {code}]"
    return code, words[:ERROR_TEXT_LENGTH]


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _call(method: str, url: str, number: WhatsAppChannel, **kwargs) -> requests.Response:
    timeout = settings.DELIVERY_TIMEOUT_SECONDS
    try:
        return _session().request(method, url, headers=_headers(number), timeout=timeout, **kwargs)
    except requests.Timeout:
        raise TransientSendError(META_TIMED_OUT.format(seconds=timeout)) from None
    except requests.RequestException as exc:
        raise TransientSendError(META_UNREACHABLE.format(error=type(exc).__name__)) from None


def _raise_for(response: requests.Response) -> None:
    if 200 <= response.status_code < 300:
        return
    code, text = _error(response)
    if response.status_code == 429 or response.status_code >= 500 or code in TRANSIENT_CODES:
        reason = META_UNAVAILABLE.format(status=response.status_code, text=text)
        raise TransientSendError(reason, _retry_after(response))
    raise PermanentSendError(META_REFUSED.format(text=text))


def recipient(message: Message) -> str:
    """The customer's wa_id: their address on this channel without the "+"."""
    address = (
        ContactIdentity.objects.filter(contact_id=message.ticket.contact_id, channel_id=message.channel_id)
        .order_by("id")
        .values_list("external_id", flat=True)
        .first()
    )
    if not address:
        raise PermanentSendError(NO_NUMBER)
    return address.lstrip("+")


def send_whatsapp(message: Message) -> SendResult:
    """Send a reply as a WhatsApp text message, if the 24-hour window is open."""
    number = WhatsAppChannel.objects.filter(channel_id=message.channel_id).first()
    if number is None or not number.access_token:
        raise PermanentSendError(NOT_SET_UP)
    closes = reply_window_closes_at(message.ticket)
    if closes is not None and closes <= timezone.now():
        raise PermanentSendError(WINDOW_CLOSED.format(closed=closes.astimezone(UTC)))
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient(message),
        "type": "text",
        "text": {"preview_url": False, "body": message.body},
    }
    response = _call("POST", number.endpoint("messages"), number, json=body)
    _raise_for(response)
    try:
        wamid = response.json()["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise TransientSendError(META_ANSWER_UNREADABLE.format(status=response.status_code)) from None
    return SendResult(provider_message_id=str(wamid)[:255])


def check_number(channel: Channel) -> str:
    """Ask Meta for the channel's phone number with its token: the display number, or SetupCheckFailed."""
    number = WhatsAppChannel.objects.filter(channel=channel).first()
    if number is None or not number.access_token:
        raise SetupCheckFailed(NOT_SET_UP)
    try:
        response = _call("GET", number.endpoint(), number, params={"fields": "display_phone_number,verified_name"})
        _raise_for(response)
        data = response.json()
    except (TransientSendError, PermanentSendError) as exc:
        raise SetupCheckFailed(exc.reason) from None
    except ValueError:
        raise SetupCheckFailed(META_ANSWER_UNREADABLE.format(status=response.status_code)) from None
    name = data.get("verified_name") if isinstance(data, dict) else None
    shown = data.get("display_phone_number", number.phone_number_id) if isinstance(data, dict) else ""
    return TEST_OK.format(number=shown, name=f" ({name})" if name else "")


# --- the block mirror ----------------------------------------------------------------------------------------


def mirror_block(contact_id: int, blocked: bool) -> None:
    """After a block or unblock: if a WhatsApp number mirrors blocks and the contact writes to it, tell Meta."""
    if ContactIdentity.objects.filter(contact_id=contact_id, channel__whatsapp__mirror_blocks=True).exists():
        mirror_block_to_whatsapp.enqueue(contact_id, blocked)


@task()
def mirror_block_to_whatsapp(contact_id: int, blocked: bool) -> str:
    """Block (POST) or unblock (DELETE) the contact's numbers on the WhatsApp numbers that mirror blocks."""
    return push_block(contact_id, blocked)


def push_block(contact_id: int, blocked: bool) -> str:
    identities = ContactIdentity.objects.filter(
        contact_id=contact_id, channel__whatsapp__mirror_blocks=True, channel__is_active=True
    ).select_related("channel__whatsapp")
    outcomes = []
    for identity in identities:
        number = identity.channel.whatsapp
        body = {"messaging_product": "whatsapp", "block_users": [{"user": identity.external_id.lstrip("+")}]}
        try:
            response = _call("POST" if blocked else "DELETE", number.endpoint("block_users"), number, json=body)
            _raise_for(response)
            outcomes.append(f"{identity.channel}: {'blocked' if blocked else 'unblocked'}")
        except (TransientSendError, PermanentSendError) as exc:
            logger.warning("WhatsApp block mirror on %s failed for contact %s: %s", number, contact_id, exc.reason)
            outcomes.append(f"{identity.channel}: {exc.reason}")
    return "; ".join(outcomes)
