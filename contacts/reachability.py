"""Whether replies can reach a contact's address on a channel: what a channel learnt (a user blocked the bot).

A channel marks an address undeliverable when the provider says so (Telegram's
my_chat_member "kicked", or a 403 "bot was blocked by the user") and clears
it when the customer is back; the outbox fails a reply at once, with the
reason, while every address of the contact on that channel is undeliverable.
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from .models import Channel, ContactIdentity


def mark_undeliverable(*, channel: Channel, address: str, reason: str, since: datetime | None = None) -> int:
    """Say replies cannot reach this address on the channel; return how many identities changed (0 or 1)."""
    return (
        ContactIdentity.objects.filter(channel=channel, external_id=address)
        .exclude(undeliverable_reason=reason)
        .update(undeliverable_reason=reason[:255], undeliverable_since=since or timezone.now())
    )


def mark_deliverable(*, channel: Channel, address: str) -> int:
    """The address is reachable again; return how many identities changed (0 or 1)."""
    return (
        ContactIdentity.objects.filter(channel=channel, external_id=address)
        .filter(~Q(undeliverable_reason="") | Q(undeliverable_since__isnull=False))
        .update(undeliverable_reason="", undeliverable_since=None)
    )


def undeliverable_reason(*, contact_id: int, channel_id: int) -> str:
    """Why no reply can reach the contact on the channel: the reason if all its addresses there are undeliverable."""
    return undeliverable_reasons({(contact_id, channel_id)}).get((contact_id, channel_id), "")


def undeliverable_reasons(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """undeliverable_reason for many (contact, channel) pairs in one query: {pair: reason} of those unreachable."""
    if not pairs:
        return {}
    found: dict[tuple[int, int], list[str]] = {}
    rows = ContactIdentity.objects.filter(
        contact_id__in={contact for contact, _ in pairs}, channel_id__in={channel for _, channel in pairs}
    ).values_list("contact_id", "channel_id", "undeliverable_reason")
    for contact_id, channel_id, reason in rows:
        found.setdefault((contact_id, channel_id), []).append(reason)
    return {pair: reasons[0] for pair, reasons in found.items() if pair in pairs and all(reasons)}
