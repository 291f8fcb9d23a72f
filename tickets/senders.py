"""The registry of senders by channel kind, and what a sender returns or raises.

A sender takes an outbound Message (its ticket, contact and channel loaded)
and sends it once. It returns a SendResult, or raises TransientSendError (try
again later: a timeout, a 5xx, a 429) or PermanentSendError (stop now: a bad
address, a refusal). tickets never imports channels: channels registers its
senders when the app starts (channels.apps).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .models import Message


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

_senders: dict[str, Sender] = {}


def register_sender(kind: str, sender: Sender) -> None:
    """Make sender the one that sends replies on channels of this kind."""
    _senders[kind] = sender


def sender_for(kind: str) -> Sender | None:
    return _senders.get(kind)
