"""WhatsApp Cloud API webhooks in: the signature, the payload, customer messages and delivery statuses.

Meta posts `{"object": "whatsapp_business_account", "entry": [{"changes":
[{"field": "messages", "value": {...}}]}]}`, signed with the app secret
(X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body). A value
names its business number (`metadata.phone_number_id`) and carries
`contacts[]` (profile name by wa_id), `messages[]` (the customer's, id = wamid)
and `statuses[]` (of our replies: sent, delivered, read, failed).

A message is routed as `+<wa_id>` (E.164, like every phone-like address) with
its wamid as message id, so a repeat delivery is stored once. Types other than
text are stored with a readable placeholder and the type's object in
Message.metadata. Statuses move our reply forward (receipts never move back,
so a repeated status changes nothing); `failed` fails it with Meta's error.
"""

import dataclasses
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from blockdesk import errors
from tickets.models import DeliveryState, Message
from tickets.outbox import record_failure_receipt, record_receipt
from tickets.routing import InboundMessage, route_inbound_batch

from .whatsapp_models import WhatsAppChannel

SIGNATURE_HEADER = "X-Hub-Signature-256"
BAD_SIGNATURE = "The X-Hub-Signature-256 header is missing or does not match the body signed with the app secret."
NOT_JSON = "The body is not JSON."
NOT_A_NOTIFICATION = "The body is not a WhatsApp Business Account notification: it needs an `entry` list."
TOO_DEEP = "The body is nested deeper than {depth} levels; a WhatsApp notification never is."
# Meta's notifications nest about eight levels deep (entry → changes → value → messages → …).
MAX_DEPTH = 32
BAD_FIELD = "`{path}` {problem}."
UNSUPPORTED = "[Unsupported message]"
# Meta's text messages hold at most 4,096 characters; captions and names less. Longer is cut, never refused.
TEXT_LIMIT = 10_000
NAME_LIMIT = 200
ID_LIMIT = 255
FAILED_STATUS = "WhatsApp could not deliver the message: {reason}"
FAILED_UNKNOWN = "no reason given"

RECEIPTS = {"sent": DeliveryState.SENT, "delivered": DeliveryState.DELIVERED, "read": DeliveryState.READ}


def signature_ok(app_secret: str, body: bytes, header: str) -> bool:
    """Whether header is "sha256=" + the body's HMAC-SHA256 with the app secret (compared in constant time)."""
    if not app_secret:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode("utf-8", "replace"))


def sign(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends with body (tests and the demo simulator sign with it)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


# --- reading the notification ----------------------------------------------------------------------------------


def _storable(value, depth: int = 0):
    """Strings every database stores: no NUL characters, no lone surrogates (in nested lists and objects too)."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if depth > MAX_DEPTH:
        raise errors.Invalid(TOO_DEEP.format(depth=MAX_DEPTH))
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v, depth + 1) for v in value]
    return value


def _invalid(path: str, problem: str) -> errors.Invalid:
    return errors.Invalid(BAD_FIELD.format(path=path, problem=problem))


def _object(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise _invalid(path, "must be an object")
    return value


def _list(value, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(path, "must be a list")
    return value


def _id(value, path: str) -> str:
    """A provider id: a non-empty string (or number) of at most 255 characters."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(path, "must be a non-empty string")
    if len(value) > ID_LIMIT:
        raise _invalid(path, f"must be at most {ID_LIMIT} characters")
    return value.strip()


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _number(value):
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sent_at(value, path: str) -> datetime | None:
    """Meta's timestamp (Unix seconds, as a string); never later than now (a skewed clock cannot open a window)."""
    if value is None:
        return None
    try:
        moment = datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise _invalid(path, "must be Unix seconds") from None
    return min(moment, timezone.now())


def placeholder(kind: str, content: dict) -> str:
    """The text a person reads in the timeline for a message that is not plain text."""
    caption = _text(content.get("caption")).strip()

    def with_caption(label: str, *more: str) -> str:
        return " ".join(part for part in (label, *more, caption) if part)

    if kind == "image":
        return with_caption("[Image]")
    if kind == "video":
        return with_caption("[Video]")
    if kind == "audio":
        return "[Voice message]" if content.get("voice") is True else "[Audio]"
    if kind == "document":
        return with_caption("[Document]", _text(content.get("filename")).strip())
    if kind == "sticker":
        return "[Sticker]"
    if kind == "location":
        where = " ".join(p for p in (_text(content.get("name")).strip(), _text(content.get("address")).strip()) if p)
        lat, long = _number(content.get("latitude")), _number(content.get("longitude"))
        spot = f"({lat}, {long})" if lat is not None and long is not None else ""
        return " ".join(p for p in ("[Location]", where, spot) if p)
    if kind == "reaction":
        emoji = _text(content.get("emoji"))
        return f"[Reaction {emoji} to an earlier message]" if emoji else "[Reaction removed from an earlier message]"
    if kind == "interactive":
        reply = content.get("button_reply") or content.get("list_reply") or content.get("nfm_reply") or {}
        title = _text(reply.get("title")) if isinstance(reply, dict) else ""
        label = "[List choice]" if "list_reply" in content else "[Button]"
        return " ".join(p for p in (label, title) if p)
    if kind == "button":
        return " ".join(p for p in ("[Button]", _text(content.get("text"))) if p)
    if kind == "order":
        items = content.get("product_items")
        count = len(items) if isinstance(items, list) else 0
        return f"[Order] {count} item{'' if count == 1 else 's'}"
    if kind == "system":
        return " ".join(p for p in ("[System]", _text(content.get("body"))) if p)
    return UNSUPPORTED


def _contact_cards(cards: list) -> str:
    names = []
    for card in cards:
        name = card.get("name") if isinstance(card, dict) else None
        if isinstance(name, dict) and _text(name.get("formatted_name")):
            names.append(_text(name.get("formatted_name")))
    return " ".join(["[Contact card]", ", ".join(names)]).strip()


def _inbound(message, path: str, names: dict[str, str]) -> InboundMessage:
    message = _object(message, path)
    wamid = _id(message.get("id"), f"{path}.id")
    wa_id = _id(message.get("from"), f"{path}.from")
    kind = message.get("type") if isinstance(message.get("type"), str) else "unknown"
    content = message.get(kind)
    metadata: dict = {"whatsapp": {"type": kind}}
    if kind == "text":
        text = _text(content.get("body")) if isinstance(content, dict) else ""
        if isinstance(content, dict) and isinstance(content.get("preview_url"), bool):
            metadata["whatsapp"]["text"] = {"preview_url": content["preview_url"]}
    elif kind == "contacts":
        cards = content if isinstance(content, list) else []
        text = _contact_cards(cards)
        metadata["whatsapp"]["contacts"] = cards
    else:
        content = content if isinstance(content, dict) else {}
        text = placeholder(kind, content)
        if content:
            metadata["whatsapp"][kind] = content
    for extra in ("context", "referral", "errors"):
        if message.get(extra) is not None:
            metadata["whatsapp"][extra] = message[extra]
    text = text.strip() or UNSUPPORTED
    name = names.get(wa_id, "")[:NAME_LIMIT]
    digits = wa_id.lstrip("+")
    return InboundMessage(
        message_id=wamid,
        contact_id=f"+{digits}",
        text=text[:TEXT_LIMIT],
        contact_name=name,
        phone=f"+{digits}" if digits.isdigit() and len(digits) <= 20 else "",
        sent_at=_sent_at(message.get("timestamp"), f"{path}.timestamp"),
        metadata=metadata,
    )


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str
    status: str
    reason: str = ""


@dataclass
class Change:
    """What one `value` says for one business number."""

    phone_number_id: str
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)


def _status(status, path: str) -> StatusUpdate | None:
    status = _object(status, path)
    wamid = _id(status.get("id"), f"{path}.id")
    state = status.get("status")
    if state not in (*RECEIPTS, "failed"):
        return None  # e.g. "deleted", "warning": nothing to record
    reason = ""
    if state == "failed":
        reasons = []
        for error in _list(status.get("errors"), f"{path}.errors"):
            if isinstance(error, dict):
                data = error.get("error_data")
                details = data.get("details") if isinstance(data, dict) else ""
                words = _text(details) or _text(error.get("message")) or _text(error.get("title"))
                code = error.get("code")
                reasons.append(f"{words} (code {code})" if _number(code) is not None else words)
        reason = "; ".join(r for r in reasons if r) or FAILED_UNKNOWN
    return StatusUpdate(wamid=wamid, status=state, reason=reason[:1000])


def parse_notification(body: bytes) -> list[Change]:
    """The notification's changes for message fields, or errors.Invalid saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested past Python's limit
        raise errors.Invalid(NOT_JSON) from None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise errors.Invalid(NOT_A_NOTIFICATION)
    data = _storable(data)
    changes = []
    for e, entry in enumerate(data["entry"]):
        entry = _object(entry, f"entry[{e}]")
        for c, change in enumerate(_list(entry.get("changes"), f"entry[{e}].changes")):
            path = f"entry[{e}].changes[{c}]"
            change = _object(change, path)
            if change.get("field", "messages") != "messages":
                continue  # account updates, template reviews…: nothing for a ticket
            value = _object(change.get("value"), f"{path}.value")
            metadata = _object(value.get("metadata"), f"{path}.value.metadata")
            number_id = _id(metadata.get("phone_number_id"), f"{path}.value.metadata.phone_number_id")
            found = Change(phone_number_id=number_id)
            names = {}
            for n, person in enumerate(_list(value.get("contacts"), f"{path}.value.contacts")):
                person = _object(person, f"{path}.value.contacts[{n}]")
                profile = person.get("profile")
                if isinstance(person.get("wa_id"), str) and isinstance(profile, dict):
                    names[person["wa_id"]] = _text(profile.get("name")).strip()
            for m, message in enumerate(_list(value.get("messages"), f"{path}.value.messages")):
                found.messages.append(_inbound(message, f"{path}.value.messages[{m}]", names))
            for s, status in enumerate(_list(value.get("statuses"), f"{path}.value.statuses")):
                update = _status(status, f"{path}.value.statuses[{s}]")
                if update is not None:
                    found.statuses.append(update)
            changes.append(found)
    return changes


# --- acting on it ------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    messages: int = 0
    duplicates: int = 0
    statuses: int = 0
    ignored: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _channel_for(number: WhatsAppChannel, phone_number_id: str, known: dict[str, WhatsAppChannel | None]):
    """The channel of the business number a change names: the webhook's own, or another number of the same app.

    One Meta app sends every number's notifications to the one webhook it has. Another
    number is taken only if its app secret is the one that signed the body.
    """
    if phone_number_id == number.phone_number_id:
        return number
    if phone_number_id not in known:
        other = (
            WhatsAppChannel.objects.select_related("channel")
            .filter(phone_number_id=phone_number_id, channel__is_active=True, channel__kind="whatsapp")
            .first()
        )
        same_app = other is not None and hmac.compare_digest(other.app_secret.encode(), number.app_secret.encode())
        known[phone_number_id] = other if same_app else None
    return known[phone_number_id]


def receive_notification(number: WhatsAppChannel, changes: list[Change]) -> Outcome:
    """Route the customers' messages and record the statuses; changes for numbers not ours are ignored."""
    outcome = Outcome()
    known: dict[str, WhatsAppChannel | None] = {}
    with transaction.atomic():
        for change in changes:
            target = _channel_for(number, change.phone_number_id, known)
            if target is None:
                outcome.ignored += len(change.messages) + len(change.statuses)
                continue
            if change.messages:
                for routed in route_inbound_batch(channel=target.channel, inbounds=change.messages):
                    if routed.duplicate:
                        outcome.duplicates += 1
                    else:
                        outcome.messages += 1
            for update in change.statuses:
                outcome.statuses += _record_status(target, update)
    return outcome


def _record_status(number: WhatsAppChannel, update: StatusUpdate) -> int:
    message = (
        Message.objects.filter(
            channel_id=number.channel_id, provider_message_id=update.wamid, direction=Message.Direction.OUT
        )
        .only("pk")
        .first()
    )
    if message is None:
        return 0  # a message sent from elsewhere (WhatsApp Manager, another tool): not one of our replies
    if update.status == "failed":
        return int(record_failure_receipt(message=message, reason=FAILED_STATUS.format(reason=update.reason)))
    return int(record_receipt(message=message, state=RECEIPTS[update.status]))
