"""Web chat: who the visitor is, what they send and see, and the sender that hands replies to the widget.

A visitor is known by a signed cookie ("visitor:<uuid>"), or, when the host
site vouches for its signed-in user with an identifier hash (HMAC-SHA256 of
the user id with the channel's identity secret, as Chatwoot's), by
"user:<id>". The chat page carries the same identity in a signed form token
that every POST must send back: another site cannot read it, so it is the
chat's CSRF protection (the console's CSRF cookie is SameSite=Lax and never
reaches a third-party iframe), and a browser that blocks third-party cookies
can still chat for as long as the page is open.
"""

import hashlib
import hmac
import time
import uuid
from dataclasses import asdict, dataclass

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop

from blockdesk import errors
from contacts.models import ContactIdentity
from tickets.models import DeliveryState, Message
from tickets.outbox import SendResult, record_receipt
from tickets.routing import InboundMessage, RoutedMessage, route_inbound_message

from .webchat_models import WebchatChannel

IDENTITY_NOT_VERIFIED = gettext_noop(
    "This chat could not confirm who you are. Reload the page you came from and try again."
)
CHAT_SESSION_EXPIRED = gettext_noop("This chat page has expired. Reload it to go on chatting.")
ORIGIN_NOT_ALLOWED = gettext_noop("This chat cannot be used from this site.")
CHAT_NOT_FOUND = gettext_noop("There is no chat here.")
EMPTY_MESSAGE = gettext_noop("Write a message first.")
MESSAGE_HAS_NUL = gettext_noop("A message cannot contain NUL characters.")
BAD_USER_ID = gettext_noop("The site's user id must be at most {limit} characters, without NUL characters.")
MESSAGE_TOO_LONG = gettext_noop("A message can be at most {limit} characters.")
TOO_MANY_MESSAGES = gettext_noop("You are sending messages too fast. Wait {seconds} seconds and try again.")

MAX_MESSAGE_LENGTH = 4000
# "user:" + this fits a channel address (255).
MAX_USER_ID_LENGTH = 200
# A visitor is remembered for a year; the page's form token lives as long.
VISITOR_MAX_AGE = 365 * 24 * 3600
RATE_WINDOW = 60
# What the page shows on load and what one poll brings at most.
HISTORY_LIMIT = 100
# Replies the visitor may see: stored for the widget, whatever happened after.
SHOWN_REPLY_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ)


@dataclass(frozen=True)
class Visitor:
    """The person in the chat: their channel address and what the host site said about them."""

    key: str
    name: str = ""
    email: str = ""

    @property
    def verified(self) -> bool:
        return self.key.startswith("user:")


def new_visitor() -> Visitor:
    return Visitor(key=f"visitor:{uuid.uuid4()}")


def identifier_hash(secret: str, user_id: str) -> str:
    """What the host site computes for its signed-in user: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verified_visitor(chat: WebchatChannel, *, user_id: str, name: str, email: str, given_hash: str) -> Visitor:
    """The host site's user, if its identifier hash is right (else errors.Forbidden) and its id fits (errors.Invalid).

    Only the id is signed, as in Chatwoot: the name and e-mail are the site's word, and an e-mail that is not
    one is dropped.
    """
    if len(user_id) > MAX_USER_ID_LENGTH or "\x00" in user_id:
        raise errors.Invalid(gettext(BAD_USER_ID).format(limit=MAX_USER_ID_LENGTH))
    expected = identifier_hash(chat.identity_secret, user_id)
    if not user_id or not hmac.compare_digest(expected, given_hash.strip().lower()):
        raise errors.Forbidden(IDENTITY_NOT_VERIFIED)
    name = name.replace("\x00", "").strip()[:200]
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    return Visitor(key=f"user:{user_id}", name=name, email=email)


def _salt(chat: WebchatChannel, purpose: str) -> str:
    return f"blockdesk.webchat.{purpose}.{chat.public_id}"


def signed_visitor(chat: WebchatChannel, visitor: Visitor, purpose: str) -> str:
    """The visitor signed for this channel: the cookie ("cookie") or the page's form token ("form")."""
    return signing.dumps(asdict(visitor), salt=_salt(chat, purpose), compress=True)


def visitor_from(chat: WebchatChannel, value: str, purpose: str) -> Visitor | None:
    """The visitor a cookie or form token of this channel names, or None if it is not one."""
    try:
        data = signing.loads(value, salt=_salt(chat, purpose), max_age=VISITOR_MAX_AGE)
        return Visitor(key=str(data["key"]), name=str(data.get("name", "")), email=str(data.get("email", "")))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def origin_allowed(chat: WebchatChannel, origin: str, own_origin: str) -> bool:
    """A POST comes from the chat page itself (our origin) or from a site the channel allows."""
    origin = origin.rstrip("/").lower()
    return bool(origin) and (origin == own_origin.lower() or origin in chat.origins)


def retry_after(chat: WebchatChannel, visitor: Visitor, address: str) -> int:
    """Count one message for the visitor and for the address; seconds to wait if either is over its limit, else 0.

    Fixed one-minute windows in the cache: with CACHE_URL on Redis every process
    shares the counts; the per-process default counts per process.
    """
    now = time.time()
    window = int(now // RATE_WINDOW)
    over = False
    for scope, who, limit in (
        ("visitor", visitor.key, chat.messages_per_visitor),
        ("address", address, chat.messages_per_address),
    ):
        digest = hashlib.sha256(who.encode()).hexdigest()[:32]
        key = f"webchat:rate:{chat.pk}:{scope}:{digest}:{window}"
        cache.add(key, 0, RATE_WINDOW * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, RATE_WINDOW * 2)
            count = 1
        over = over or count > limit
    return RATE_WINDOW - int(now % RATE_WINDOW) if over else 0


def clean_text(text: str) -> str:
    """The message as it is stored; errors.Invalid if it is empty or too long."""
    text = text.strip()
    if not text:
        raise errors.Invalid(EMPTY_MESSAGE)
    if "\x00" in text:
        raise errors.Invalid(MESSAGE_HAS_NUL)
    if len(text) > MAX_MESSAGE_LENGTH:
        raise errors.Invalid(gettext(MESSAGE_TOO_LONG).format(limit=MAX_MESSAGE_LENGTH))
    return text


def send_visitor_message(*, chat: WebchatChannel, visitor: Visitor, text: str) -> RoutedMessage:
    """Route the visitor's message like any channel's: a blocked visitor's lands in the Blocked list, unseen."""
    name = visitor.name or f"Web visitor {visitor.key.rsplit(':', 1)[-1][:8]}"
    inbound = InboundMessage(
        message_id=f"webchat:{uuid.uuid4()}",
        contact_id=visitor.key,
        text=clean_text(text),
        contact_name=name,
        email=visitor.email,
    )
    return route_inbound_message(channel=chat.channel, inbound=inbound)


def _contact_id(chat: WebchatChannel, visitor: Visitor) -> int | None:
    return (
        ContactIdentity.objects.filter(channel=chat.channel_id, external_id=visitor.key)
        .values_list("contact_id", flat=True)
        .first()
    )


def _visible(chat: WebchatChannel, contact_id: int):
    """The visitor's side of the conversation: what they wrote, and replies stored for the widget (no notes)."""
    return (
        Message.objects.filter(channel=chat.channel_id, ticket__contact=contact_id)
        .filter(
            Q(direction=Message.Direction.IN)
            | Q(direction=Message.Direction.OUT, delivery_state__in=SHOWN_REPLY_STATES)
        )
        .select_related("author")
    )


def _fetched(messages: list[Message]) -> None:
    for message in messages:
        if message.direction == Message.Direction.OUT and message.delivery_state == DeliveryState.SENT:
            record_receipt(message=message, state=DeliveryState.DELIVERED)


def history(chat: WebchatChannel, visitor: Visitor) -> list[Message]:
    """The newest messages of the visitor on this channel, oldest first; the replies among them are delivered."""
    contact_id = _contact_id(chat, visitor)
    if contact_id is None:
        return []
    messages = list(_visible(chat, contact_id).order_by("-id")[:HISTORY_LIMIT])[::-1]
    _fetched(messages)
    return messages


def messages_after(chat: WebchatChannel, visitor: Visitor, after: int, *, tab_visible: bool) -> list[Message]:
    """What the widget has not shown yet, oldest first, with its receipts recorded.

    New messages are those past the newest id shown, plus replies stored for the
    widget but not yet fetched (a reply queued before a later message may be
    handed to the widget after it). Fetched replies are delivered; in a visible
    tab every reply shown is read.
    """
    contact_id = _contact_id(chat, visitor)
    if contact_id is None:
        return []
    shown = _visible(chat, contact_id)
    new = list(
        shown.filter(Q(id__gt=after) | Q(direction=Message.Direction.OUT, delivery_state=DeliveryState.SENT)).order_by(
            "id"
        )[:HISTORY_LIMIT]
    )
    _fetched(new)
    if tab_visible:
        unread = shown.filter(direction=Message.Direction.OUT).exclude(delivery_state=DeliveryState.READ)
        for message in unread:
            record_receipt(message=message, state=DeliveryState.READ)
    return new


def deliver_to_widget(message: Message) -> SendResult:
    """The webchat sender: a reply is sent once stored, where the widget's next poll fetches it."""
    return SendResult(provider_message_id=f"webchat:{message.pk}", state=DeliveryState.SENT)
