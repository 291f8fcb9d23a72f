"""The flood guard's acts: flag a flooding contact as suspected spam, block it by itself, dismiss or block a flag.

Routing (tickets.routing) counts each contact's recent messages and calls
flag_flood or auto_block_flood with the contact row locked, inside its own
transaction. People act on flags through dismiss_flag and block_flagged,
which lock the same row first, so a flag is never dismissed by one person
while another blocks its contact.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, ngettext

from blockdesk import errors

from .blocking import block_contact, block_has_ended, block_locked_contact
from .models import AuditEntry, Block, BlockReason, Channel, Contact, FloodFlag, FloodStatus

# Who the audit trail and the 360 view say blocked a contact the guard blocked itself.
FLOOD_GUARD = gettext_noop("flood guard")

NO_PERMISSION_FLOOD = gettext_noop("Only supervisors can act on suspected spam.")
NO_PERMISSION_SUSPECTED = gettext_noop("Only supervisors can see suspected spam.")
FLAG_NOT_OPEN = gettext_noop("This suspected spam was already handled ({status}); nothing was changed.")
NO_SUCH_FLAG = gettext_noop("There is no such suspected spam.")


def flood_note(messages: int, window_minutes: int) -> str:
    """What a flag counted, as the lists, notices and audit trail say it: "31 messages in 5 min"."""
    return ngettext("%(count)d message in %(minutes)d min", "%(count)d messages in %(minutes)d min", messages) % {
        "count": messages,
        "minutes": window_minutes,
    }


def _stored_flood_note(messages: int, window_minutes: int) -> str:
    """flood_note in English, as the audit trail and the block note store it (stored text is data)."""
    with translation.override("en"):
        return flood_note(messages, window_minutes)


def flood_guard_refusal(actor) -> str | None:
    """Why the actor may not dismiss or block suspected spam, or None; dismiss_flag and block_flagged ask it first."""
    if not actor.has_perm("contacts.change_floodflag"):
        return NO_PERMISSION_FLOOD
    return None


def flag_flood(contact: Contact, *, channel: Channel, messages: int, window_minutes: int, now: datetime):
    """Flag the (locked) contact as suspected spam; None if it has an open flag already (nothing written).

    Routing calls it only for a contact whose suspected_at is empty (read with
    the contact lock), so a flood's later messages cost nothing; the partial
    unique constraint answers the rare caller that read it before a flag.
    """
    try:
        with transaction.atomic():
            flag = FloodFlag.objects.create(
                contact=contact, channel=channel, flagged_at=now, messages=messages, window_minutes=window_minutes
            )
    except IntegrityError:
        return None
    contact.suspected_at = now
    contact.save(update_fields=["suspected_at", "updated_at"])
    AuditEntry.objects.create(
        action=AuditEntry.Action.FLOOD_FLAGGED,
        actor_name=FLOOD_GUARD,
        contact=contact,
        change=_stored_flood_note(messages, window_minutes),
        at=now,
    )
    return flag


def auto_block_flood(contact: Contact, *, channel: Channel, messages: int, window_minutes: int, now: datetime) -> Block:
    """Block the (locked, unblocked) contact as the flood guard, and record the flag as blocked by the guard.

    An open flag the contact already had (flagged before auto-block was switched on) becomes this one.
    """
    note = _stored_flood_note(messages, window_minutes)
    changes = {
        "channel": channel,
        "messages": messages,
        "window_minutes": window_minutes,
        "status": FloodStatus.AUTO_BLOCKED,
        "resolved_at": now,
    }
    if not FloodFlag.objects.filter(contact=contact, status=FloodStatus.OPEN).update(**changes):
        FloodFlag.objects.create(contact=contact, flagged_at=now, **changes)
    return block_locked_contact(contact, reason=BlockReason.SPAM, note=note, actor_name=FLOOD_GUARD, now=now)


def _lock_open_flag(flag: FloodFlag) -> tuple[Contact, FloodFlag]:
    """Lock the flag's contact, then read the flag again: what another person did meanwhile is seen."""
    contact = Contact.objects.select_for_update().get(pk=flag.contact_id)
    flag = FloodFlag.objects.select_related("contact", "channel").get(pk=flag.pk)
    return contact, flag


def _not_open(flag: FloodFlag) -> errors.Conflict:
    return errors.Conflict(gettext(FLAG_NOT_OPEN).format(status=FloodStatus(flag.status).label.lower()))


def dismiss_flag(*, actor, flag: FloodFlag) -> FloodFlag:
    """Not spam: close the flag; the guard counts the contact's messages afresh from now."""
    refusal = flood_guard_refusal(actor)
    if refusal:
        raise errors.Forbidden(refusal)
    with transaction.atomic():
        contact, flag = _lock_open_flag(flag)
        if flag.status != FloodStatus.OPEN:
            raise _not_open(flag)
        now = timezone.now()
        flag.status = FloodStatus.DISMISSED
        flag.resolved_by = actor
        flag.resolved_at = now
        flag.save(update_fields=["status", "resolved_by", "resolved_at"])
        contact.flood_counted_from = now
        contact.suspected_at = None
        contact.save(update_fields=["flood_counted_from", "suspected_at", "updated_at"])
        AuditEntry.objects.create(
            action=AuditEntry.Action.FLOOD_DISMISSED,
            actor=actor,
            contact=contact,
            change=_stored_flood_note(flag.messages, flag.window_minutes),
            at=now,
        )
    return flag


def block_flagged(*, actor, flag: FloodFlag, reason: str, note: str = "", until: datetime | None = None) -> Block:
    """Block the flagged contact as the block form does (same switch and permission); the flag closes as blocked.

    A contact someone blocked meanwhile: the flag is closed all the same, and the answer is ALREADY_BLOCKED.
    """
    refusal = flood_guard_refusal(actor)
    if refusal:
        raise errors.Forbidden(refusal)
    with transaction.atomic():
        contact, flag = _lock_open_flag(flag)
        now = timezone.now()
        already_blocked = contact.is_blocked and not block_has_ended(contact, now)
        if already_blocked:
            if flag.status == FloodStatus.OPEN:
                flag.status = FloodStatus.BLOCKED
                flag.resolved_by = contact.blocked_by
                flag.resolved_at = now
                flag.save(update_fields=["status", "resolved_by", "resolved_at"])
        elif flag.status != FloodStatus.OPEN:
            raise _not_open(flag)
        else:
            # block_locked_contact closes the open flag as BLOCKED by the actor.
            return block_contact(actor=actor, contact=contact, reason=reason, note=note, until=until)
    raise errors.Conflict(errors.ALREADY_BLOCKED)


# The Suspected list's views: the open flags, or the handled ones (dismissed, blocked, blocked by the guard).
OPEN = "open"
HISTORY = "history"
CLOSED_STATUSES = [FloodStatus.DISMISSED, FloodStatus.BLOCKED, FloodStatus.AUTO_BLOCKED]


def suspected_flags(status: str = OPEN):
    """The flags of one view of the Suspected list, newest first, with what each row shows (no query per row).

    status: "open", "history", or one of the closed statuses.
    """
    if status == OPEN:
        wanted = [FloodStatus.OPEN]
    elif status == HISTORY:
        wanted = CLOSED_STATUSES
    else:
        wanted = [status]
    rows = FloodFlag.objects.filter(status__in=wanted)
    return rows.select_related("contact", "channel", "resolved_by").order_by("-flagged_at", "-id")


def get_flag(pk: int) -> FloodFlag:
    """The flag with what its row and answers show, or NotFound (the Suspected page and the API alike)."""
    flag = FloodFlag.objects.select_related("contact", "channel", "resolved_by").filter(pk=pk).first()
    if flag is None:
        raise errors.NotFound(NO_SUCH_FLAG)
    return flag
