"""The flood guard: a contact sending more than N messages within M minutes is suspected spam, or blocked."""

from django.db import IntegrityError, transaction

from .blocking import block_locked_contact
from .models import AuditEntry, Block, BlockReason, Contact, FloodFlag, FloodStatus

FLOOD_GUARD = "flood guard"


def _what(messages: int, window_minutes: int) -> str:
    return f"{messages} messages in {window_minutes} min"


def flag_flood(contact: Contact, *, channel, messages: int, window_minutes: int, now) -> FloodFlag | None:
    """Flag the contact (its row locked by the caller) as suspected spam; None if an open flag is there already."""
    try:
        with transaction.atomic():
            flag = FloodFlag.objects.create(
                contact=contact, channel=channel, flagged_at=now, messages=messages, window_minutes=window_minutes
            )
    except IntegrityError:
        return None
    contact.suspected_at = now
    Contact.objects.filter(pk=contact.pk).update(suspected_at=now)
    AuditEntry.objects.create(
        action=AuditEntry.Action.FLOOD_FLAGGED,
        actor_name=FLOOD_GUARD,
        contact=contact,
        change=_what(messages, window_minutes),
        at=now,
    )
    return flag


def auto_block_flood(contact: Contact, *, channel, messages: int, window_minutes: int, now) -> Block:
    """Block the flooding contact (its row locked by the caller) as the flood guard; a closed flag keeps the record."""
    FloodFlag.objects.create(
        contact=contact,
        channel=channel,
        flagged_at=now,
        messages=messages,
        window_minutes=window_minutes,
        status=FloodStatus.AUTO_BLOCKED,
        resolved_at=now,
    )
    return block_locked_contact(
        contact, reason=BlockReason.SPAM, note=_what(messages, window_minutes), actor_name=FLOOD_GUARD, now=now
    )
