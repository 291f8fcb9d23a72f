"""Telegram Bot API, in: the updates the webhook takes, read into customer messages and reachability changes.

- `message` and `edited_message` in a private chat become inbound messages; the
  address is the chat id, the name the user's first and last name. Text is
  stored as text; a photo, document, sticker, voice message, location, contact…
  gets a readable placeholder ("[Photo] caption") and its details in
  Message.metadata["telegram"]. An edit is a new message "✏️ edited: …" with its
  own id (`<chat>:<message>:edit:<edit date>`), so the timeline keeps both.
- `my_chat_member` in a private chat: "kicked" means the user blocked the bot
  (their address becomes undeliverable), "member" that they are back.
- Each update is taken once per channel (TelegramUpdate): a repeat answers 200
  and changes nothing. Group chats and other update types are answered 200 and
  ignored.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from blockdesk import errors
from contacts.models import Channel
from contacts.reachability import mark_deliverable, mark_undeliverable
from tickets.routing import InboundMessage, route_inbound_message

from .telegram import BOT_BLOCKED
from .telegram_models import TelegramUpdate

NOT_AN_UPDATE = "The body is not a Telegram update: {problem}."
EDITED = "✏️ edited: {text}"
UNSUPPORTED = "[A kind of Telegram message BlockDesk cannot show]"
# Telegram's own limits are lower (4,096 for a text, 1,024 for a caption); these only cap a hostile body.
MAX_TEXT = 10_000
MAX_NAME = 200
MAX_DETAIL = 500
# The largest integer Telegram uses (ids fit in 52 bits; dates are seconds).
MAX_ID = 2**63 - 1
# How long a taken update id is remembered (Telegram retries for far less; after a week
# without updates it starts update ids afresh).
REMEMBER_UPDATES = timedelta(days=7)


@dataclass(frozen=True)
class Taken:
    """What the webhook did with an update: `stored`, `duplicate`, `unreachable`, `reachable` or `ignored`."""

    outcome: str
    message: int | None = None
    ticket: int | None = None
    status: str = ""


def _bad(problem: str) -> errors.Invalid:
    return errors.Invalid(NOT_AN_UPDATE.format(problem=problem))


def _clean(value, limit: int) -> str:
    """Text fit to store: no NUL, no lone surrogates (PostgreSQL refuses both), at most limit characters."""
    if not isinstance(value, str):
        return ""
    text = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text[:limit]


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_ID:
        raise _bad(f"{name} must be an integer")
    return value


def _object(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise _bad(f"{name} must be an object")
    return value


def _time(value) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**37:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _details(obj, keys: tuple[str, ...]) -> dict:
    """The object's scalar fields among keys (cleaned): what the timeline may show of a photo, a file, a place."""
    if not isinstance(obj, dict):
        return {}
    picked = {}
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str):
            picked[key] = _clean(value, MAX_DETAIL)
        elif isinstance(value, bool | int | float) and abs(value) <= MAX_ID:
            picked[key] = value
    return picked


def _size(details: dict) -> str:
    size = details.get("file_size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return ""
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(size // 1000, 1)} KB"


def _label(kind: str, d: dict) -> str:
    seconds = f", {d['duration']} s" if isinstance(d.get("duration"), int) else ""
    size = _size(d)
    match kind:
        case "photo":
            return "Photo"
        case "document":
            name = d.get("file_name") or "file"
            return f"Document: {name}" + (f", {size}" if size else "")
        case "sticker":
            return " ".join(filter(None, ["Sticker", d.get("emoji", "")]))
        case "voice":
            return f"Voice message{seconds}"
        case "audio":
            return "Audio: " + (d.get("title") or d.get("file_name") or "untitled") + seconds
        case "video":
            return f"Video{seconds}"
        case "video_note":
            return f"Video message{seconds}"
        case "animation":
            return "GIF"
        case "location":
            return f"Location: {d.get('latitude', '?')}, {d.get('longitude', '?')}"
        case "venue":
            return "Place: " + ", ".join(filter(None, [d.get("title", ""), d.get("address", "")]))
        case "contact":
            name = " ".join(filter(None, [d.get("first_name", ""), d.get("last_name", "")]))
            return "Contact: " + ", ".join(filter(None, [name, d.get("phone_number", "")]))
        case "poll":
            return f"Poll: {d.get('question', '')}"
        case "dice":
            return f"Dice {d.get('emoji', '')} {d.get('value', '')}".strip()
    return kind


FILE = ("file_id", "file_unique_id", "file_size")
# The non-text kinds, in the order Telegram's Message lists them, and the fields kept of each.
KINDS: dict[str, tuple[str, ...]] = {
    "animation": (*FILE, "duration", "file_name", "mime_type"),
    "audio": (*FILE, "duration", "title", "performer", "file_name", "mime_type"),
    "document": (*FILE, "file_name", "mime_type"),
    "photo": (*FILE, "width", "height"),
    "sticker": (*FILE, "emoji", "set_name"),
    "video": (*FILE, "duration", "width", "height", "file_name", "mime_type"),
    "video_note": (*FILE, "duration", "length"),
    "voice": (*FILE, "duration", "mime_type"),
    "contact": ("phone_number", "first_name", "last_name", "user_id"),
    "dice": ("emoji", "value"),
    "poll": ("id", "question"),
    "venue": ("title", "address"),
    "location": ("latitude", "longitude"),
}


def _content(message: dict) -> tuple[str, str, dict]:
    """(text to store, kind, details for the metadata)."""
    text = _clean(message.get("text"), MAX_TEXT)
    if text.strip():
        return text, "text", {}
    caption = _clean(message.get("caption"), MAX_TEXT).strip()
    for kind, keys in KINDS.items():
        obj = message.get(kind)
        if obj is None:
            continue
        if kind == "photo":  # sizes of one photo, smallest first: keep the largest
            sizes = [size for size in obj if isinstance(size, dict)] if isinstance(obj, list) else []
            obj = sizes[-1] if sizes else {}
        details = _details(obj, keys)
        if kind == "venue":
            details |= _details(obj.get("location") if isinstance(obj, dict) else None, ("latitude", "longitude"))
        shown = f"[{_label(kind, details)}]" + (f" {caption}" if caption else "")
        return shown[:MAX_TEXT], kind, details
    return (f"{UNSUPPORTED} {caption}" if caption else UNSUPPORTED), "unsupported", {}


def _private_chat(container: dict) -> int | None:
    """The chat id of a private chat, or None for a group, supergroup or channel."""
    chat = _object(container.get("chat"), "chat")
    chat_id = _int(chat.get("id"), "chat.id")
    return chat_id if chat.get("type") == "private" else None


def read_message(update_id: int, message: dict, *, edited: bool) -> InboundMessage | None:
    """The customer message a `message` or `edited_message` carries, or None if it is not from a private chat."""
    chat_id = _private_chat(message)
    message_id = _int(message.get("message_id"), "message.message_id")
    if chat_id is None:
        return None
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    name = " ".join(filter(None, (_clean(sender.get(k), MAX_NAME).strip() for k in ("first_name", "last_name"))))
    username = _clean(sender.get("username"), MAX_NAME)
    text, kind, details = _content(message)
    external_id = f"{chat_id}:{message_id}"
    sent_at = _time(message.get("date"))
    if edited:
        edit_date = message.get("edit_date")
        edit_key = edit_date if _time(edit_date) is not None else f"u{update_id}"
        external_id += f":edit:{edit_key}"
        sent_at = _time(edit_date) or sent_at
        text = EDITED.format(text=text)[:MAX_TEXT]
    user_id = sender.get("id")
    metadata = {
        "update_id": update_id,
        "chat_id": chat_id,
        "message_id": message_id,
        "type": kind,
        **({"edited": True} if edited else {}),
        **({"username": username} if username else {}),
        **({"user_id": user_id} if isinstance(user_id, int) and not isinstance(user_id, bool) else {}),
        **({"details": details} if details else {}),
    }
    return InboundMessage(
        message_id=external_id,
        contact_id=str(chat_id),
        text=text,
        contact_name=(name or username)[:MAX_NAME],
        sent_at=sent_at,
        metadata={"telegram": metadata},
    )


def _member_change(change: dict) -> tuple[int, str, datetime | None] | None:
    """(chat id, new status, when) of a my_chat_member update in a private chat, or None."""
    chat_id = _private_chat(change)
    member = _object(change.get("new_chat_member"), "my_chat_member.new_chat_member")
    status = member.get("status")
    if chat_id is None or not isinstance(status, str):
        return None
    return chat_id, status, _time(change.get("date"))


def take_update(*, channel: Channel, update: dict) -> Taken:
    """Take one update for the channel, once: store its message or apply its reachability change.

    Raises errors.Invalid for a body that is not a Telegram update (nothing is stored then).
    """
    update_id = _int(update.get("update_id"), "update_id")
    inbound, change = None, None
    if "message" in update or "edited_message" in update:
        edited = "message" not in update
        message = _object(update["edited_message" if edited else "message"], "message")
        inbound = read_message(update_id, message, edited=edited)
    elif "my_chat_member" in update:
        change = _member_change(_object(update["my_chat_member"], "my_chat_member"))
    with transaction.atomic():
        try:
            with transaction.atomic():
                TelegramUpdate.objects.create(channel=channel, update_id=update_id)
        except IntegrityError:
            # Taken before (or by a racing delivery of the same update, which committed first).
            return Taken("duplicate")
        if inbound is not None:
            routed = route_inbound_message(channel=channel, inbound=inbound)
            # The customer wrote to the bot, so they have not blocked it (a missed "member" update).
            mark_deliverable(channel=channel, address=inbound.contact_id)
            return Taken(
                "duplicate" if routed.duplicate else "stored",
                message=routed.message.pk if routed.message else None,
                ticket=routed.ticket.pk if routed.ticket else None,
                status=routed.status,
            )
        if change is not None:
            chat_id, status, when = change
            if status == "kicked":
                mark_undeliverable(channel=channel, address=str(chat_id), reason=BOT_BLOCKED, since=when)
                return Taken("unreachable")
            if status == "member":
                mark_deliverable(channel=channel, address=str(chat_id))
                return Taken("reachable")
        return Taken("ignored")


def forget_old_updates() -> int:
    """Forget the update ids taken more than a week ago (a periodic job); return how many."""
    deleted, _ = TelegramUpdate.objects.filter(received_at__lt=timezone.now() - REMEMBER_UPDATES).delete()
    return deleted
