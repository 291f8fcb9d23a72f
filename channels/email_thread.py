"""Our own Message-IDs, and the headers that thread a reply into the customer's conversation.

A reply's Message-ID is made from its message id and an HMAC of it (keyed by
SECRET_KEY): the same on every attempt, so a retry after an uncertain SMTP
answer carries the same id (receivers drop the copy), and a customer's
In-Reply-To leads back to the reply by primary key, without a search.
"""

import hashlib
import hmac
import re

from django.conf import settings

from tickets.models import Message

_OURS = re.compile(r"^<blockdesk\.(\d{1,18})\.([0-9a-f]{20})@[^<>@\s]+>$")
_RE_PREFIX = re.compile(r"^\s*((re|aw|fwd?|sv|antw)\s*:\s*)+", re.IGNORECASE)
_TAG = re.compile(r"\s*\[#\d{1,18}\]")
MAX_SUBJECT = 200
MAX_REFERENCES = 20


def _mac(pk: int) -> str:
    key = f"blockdesk.email.message-id:{settings.SECRET_KEY}".encode()
    return hmac.new(key, str(pk).encode(), hashlib.sha256).hexdigest()[:20]


def our_message_id(message: Message, domain: str) -> str:
    return f"<blockdesk.{message.pk}.{_mac(message.pk)}@{domain}>"


def our_message_pk(message_id: str) -> int | None:
    """The reply a Message-ID of ours names, else None (another's id, or one forged without our key)."""
    found = _OURS.match(message_id)
    if not found or not hmac.compare_digest(found.group(2), _mac(int(found.group(1)))):
        return None
    return int(found.group(1))


def reply_subject(subject: str, ticket_id: int) -> str:
    """ "Re: <their subject> [#id]", however many Re:/AW: and tags their subject already has."""
    bare = _TAG.sub("", _RE_PREFIX.sub("", subject or "")).strip()[:MAX_SUBJECT]
    return f"Re: {bare} [#{ticket_id}]" if bare else f"Re: your message [#{ticket_id}]"


def thread_headers(message: Message) -> tuple[str, str, list[str]]:
    """(their subject, In-Reply-To, References) for a reply: from the ticket's last customer mail with an id."""
    last = (
        Message.objects.filter(ticket_id=message.ticket_id, direction=Message.Direction.IN, external_id__isnull=False)
        .order_by("-sent_at", "-pk")
        .values_list("metadata", flat=True)
        .first()
    ) or {}
    mail = last.get("email") if isinstance(last, dict) else None
    if not isinstance(mail, dict):
        return "", "", []
    message_id = str(mail.get("message_id") or "")
    if not message_id.startswith("<"):  # a hash stands in for a missing Message-ID: nothing to answer
        message_id = ""
    references = [str(r) for r in mail.get("references") or [] if isinstance(r, str)]
    chain = [*references, message_id] if message_id else references
    if len(chain) > MAX_REFERENCES:  # keep the thread's root and the latest ones (RFC 5322 §3.6.4)
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return str(mail.get("subject") or ""), message_id, chain
