"""The registry of senders by channel kind, and what a sender returns or raises.

A sender takes an outbound Message (its ticket, contact and channel loaded)
and sends it once. It returns a SendResult, or raises TransientSendError (try
again later: a timeout, a 5xx, a 429) or PermanentSendError (stop now: a bad
address, a refusal). A worker sends messages in batches: a sender may come with
a `prepare` that loads, in a few queries, what sending the batch's messages of
its kind needs (a recipient address), so that sending one costs no query.
tickets never imports channels: channels registers its senders when the app
starts (channels.apps).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Max

from .models import Message, Ticket


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    # "sent", or "delivered" for a channel that knows at once.
    state: str = "sent"


class TransientSendError(Exception):
    """Sending failed for a passing reason; retry_after (seconds) is the provider's wish, if it said one."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentSendError(Exception):
    """Sending can never succeed as it stands; the reason is shown beside the message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


Sender = Callable[[Message], SendResult]
Preparer = Callable[[list[Message]], None]

_senders: dict[str, Sender] = {}
_preparers: dict[str, Preparer] = {}


def register_sender(kind: str, sender: Sender, *, prepare: Preparer | None = None) -> None:
    """Make sender the one that sends replies on channels of this kind (prepare: once per batch, before it)."""
    _senders[kind] = sender
    if prepare is None:
        _preparers.pop(kind, None)
    else:
        _preparers[kind] = prepare


def sender_for(kind: str) -> Sender | None:
    return _senders.get(kind)


def preparer_for(kind: str) -> Preparer | None:
    return _preparers.get(kind)


# A kind whose provider lets a business answer only for a while after the customer's last message
# (WhatsApp's 24-hour customer-service window). The ticket view and the kind's sender both ask here.
_reply_windows: dict[str, timedelta] = {}


def register_reply_window(kind: str, window: timedelta) -> None:
    """Replies on channels of this kind may go out only within `window` of the customer's last message."""
    _reply_windows[kind] = window


def reply_window(kind: str) -> timedelta | None:
    return _reply_windows.get(kind)


def reply_window_closes_at(ticket: Ticket) -> datetime | None:
    """When the channel stops taking replies to this ticket's contact, or None (no window on this kind).

    Counted from the contact's last message on the channel (any of its tickets there);
    a contact who never wrote there has no open window: its close is the epoch.
    """
    window = reply_window(ticket.channel.kind)
    if window is None:
        return None
    last = Message.objects.filter(
        channel_id=ticket.channel_id, ticket__contact_id=ticket.contact_id, direction=Message.Direction.IN
    ).aggregate(last=Max("sent_at"))["last"]
    return last + window if last is not None else datetime.fromtimestamp(0, tz=UTC)
