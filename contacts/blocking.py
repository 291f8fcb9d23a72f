"""The block lifecycle: block a contact, unblock it, release or delete its blocked tickets.

Each function is one transaction that first locks the contact row(s).
Inbound routing (tickets.routing) locks the same row, so a message racing
with a block or unblock lands wholly before it (and is resolved, released or
deleted with the rest) or wholly after it (and is routed by the new state).
This is the one contacts module that touches tickets, because blocking moves
tickets.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from blockdesk import errors
from blockdesk.display import person_name
from settings_app.models import SystemSettings
from settings_app.switches import current_switches
from tickets.models import DeletedMessage, DeliveryAttempt, Message, Ticket, TicketStatus

from .block_mirrors import mirror_block_on_commit
from .models import AuditEntry, Block, BlockReason, Contact, FloodFlag, FloodStatus, LiftedWith, UnblockChoice


@dataclass(frozen=True)
class BlockedTicketCounts:
    """What a contact's blocked tickets hold: what Unblock All / Delete All would touch."""

    tickets: int
    messages: int


def blocked_ticket_counts(contact: Contact) -> BlockedTicketCounts:
    rows = Ticket.objects.filter(contact=contact, status=TicketStatus.BLOCKED).values_list("message_count", flat=True)
    counts = list(rows)
    return BlockedTicketCounts(tickets=len(counts), messages=sum(counts))


def release_status() -> str:
    """Where a released ticket goes: the BOT when it is on, else Unassigned."""
    return TicketStatus.BOT if current_switches().bot_enabled else TicketStatus.UNASSIGNED


# Who the audit trail says lifted a block that ended by itself.
EXPIRY_ACTOR = gettext_noop("block expiry")

# The timeline note each open ticket gets when its contact is blocked: who, why, and what became of the ticket.
BLOCK_NOTE_RESOLVED = "Contact blocked by {actor} ({reason}): ticket resolved."
BLOCK_NOTE_LEFT_OPEN = "Contact blocked by {actor} ({reason}); ticket left open."


def block_refusal(actor) -> str | None:
    """Why the actor may not block contacts now, or None; block_contact checks it first."""
    if not current_switches().block_contacts_enabled:
        return errors.BLOCKING_DISABLED
    if not actor.has_perm("contacts.block_contact"):
        return errors.NO_PERMISSION_BLOCK
    return None


def unblock_refusal(actor) -> str | None:
    """Why the actor may not unblock contacts, or None; unblock_contact checks it first.

    The feature switch does not matter: existing blocks can always be lifted.
    """
    if not actor.has_perm("contacts.unblock_contact"):
        return errors.NO_PERMISSION_UNBLOCK
    return None


def _lock_contact(contact_id: int) -> Contact:
    return Contact.objects.select_for_update().get(pk=contact_id)


def _open_block(contact_id: int) -> Block | None:
    return Block.objects.filter(contact_id=contact_id, lifted_at__isnull=True).first()


def _open_block_and_locked_contact(contact_id: int) -> tuple[Block | None, Contact]:
    """The contact's open block and the contact, its row locked: one statement where there were two.

    Only the contact's row is locked (a block row changes only under its
    contact's lock). Waiting for that lock, the statement may have read a
    block that was lifted meanwhile; a new block since would then differ from
    the contact in blocked_at (both are set from one moment), so the block is
    read again. No open block read: the contact is locked on its own, and its
    block (if one came meanwhile) read after.
    """
    block = (
        Block.objects.select_related("contact")
        .select_for_update(of=("contact",))
        .filter(contact_id=contact_id, lifted_at__isnull=True)
        .first()
    )
    if block is None:
        contact = _lock_contact(contact_id)
        return _open_block(contact_id), contact
    if block.blocked_at != block.contact.blocked_at:
        return _open_block(contact_id), block.contact
    return block, block.contact


def _add_notes(rows: Sequence[tuple[int, int]], *, body: str, actor, at) -> None:
    """Write one timeline note into each (ticket id, channel id); callers bump message_count."""
    Message.objects.bulk_create(
        Message(
            ticket_id=ticket_id,
            channel_id=channel_id,
            direction=Message.Direction.NOTE,
            body=body,
            author=actor,
            sent_at=at,
        )
        for ticket_id, channel_id in rows
    )


def block_contact(
    *,
    actor,
    contact: Contact,
    reason: str,
    note: str = "",
    resolve_open_tickets: bool = True,
    until: datetime | None = None,
) -> Block:
    """Block the contact so its later messages go to the supervisors' Blocked list; until None blocks for good."""
    refusal = block_refusal(actor)
    if refusal == errors.BLOCKING_DISABLED:
        raise errors.FeatureDisabled(refusal)
    if refusal:
        raise errors.Forbidden(refusal)
    if reason not in BlockReason.values:
        raise errors.Invalid(errors.INVALID_REASON)
    note = note.strip()
    with transaction.atomic():
        contact = _lock_contact(contact.pk)
        now = timezone.now()
        if until is not None and until <= now:
            raise errors.Invalid(errors.BLOCK_END_PAST)
        if contact.is_blocked and not block_has_ended(contact, now):
            raise errors.Conflict(errors.ALREADY_BLOCKED)
        return block_locked_contact(
            contact,
            reason=reason,
            note=note,
            actor=actor,
            resolve_open_tickets=resolve_open_tickets,
            until=until,
            now=now,
        )


def block_locked_contact(
    contact: Contact,
    *,
    reason: str,
    note: str,
    now: datetime,
    actor=None,
    actor_name: str = "",
    rule=None,
    resolve_open_tickets: bool = True,
    until: datetime | None = None,
) -> Block:
    """Block a contact whose row the caller has locked: a person (actor), or a rule or the flood guard (actor_name).

    The checks are the caller's (block_contact for people; routing for rules and
    the flood guard). Open tickets get a note and are resolved (or left open), as
    every block moves them.
    """
    if contact.is_blocked:  # a timed block that ended a moment ago: lift it first, as the sweep would
        lift_block_at_expiry(contact, now=now)
    open_tickets = list(Ticket.objects.open().filter(contact=contact).values_list("id", "channel_id"))
    if open_tickets:
        template = BLOCK_NOTE_RESOLVED if resolve_open_tickets else BLOCK_NOTE_LEFT_OPEN
        who = person_name(actor) if actor is not None else actor_name
        with translation.override("en"):  # the note is stored: English, whatever the actor's language
            body = template.format(actor=who, reason=BlockReason(reason).label.lower())
        _add_notes(open_tickets, body=body, actor=actor, at=now)
        changes = {"message_count": F("message_count") + 1, "updated_at": now}
        if resolve_open_tickets:
            changes.update(status=TicketStatus.RESOLVED, closed_at=now)
        Ticket.objects.filter(id__in=[ticket_id for ticket_id, _ in open_tickets]).update(**changes)
    resolved = len(open_tickets) if resolve_open_tickets else 0
    block = Block.objects.create(
        contact=contact,
        reason=reason,
        note=note,
        blocked_by=actor,
        actor_name=actor_name,
        rule=rule,
        blocked_at=now,
        ends_at=until,
        tickets_resolved=resolved,
    )
    contact.is_blocked = True
    contact.blocked_reason = reason
    contact.blocked_note = note
    contact.blocked_at = now
    contact.blocked_by = actor
    contact.blocked_until = until
    contact.blocked_by_rule = rule
    contact.blocked_by_name = actor_name
    # A blocked contact is no longer suspected: the Suspected list never shows one.
    contact.suspected_at = None
    contact.save(update_fields=[*_BLOCK_FIELDS, "suspected_at", "updated_at"])
    FloodFlag.objects.filter(contact=contact, status=FloodStatus.OPEN).update(
        status=FloodStatus.BLOCKED, resolved_by=actor, resolved_at=now
    )
    AuditEntry.objects.create(
        action=AuditEntry.Action.BLOCKED,
        actor=actor,
        actor_name=actor_name,
        contact=contact,
        block=block,
        tickets=resolved,
        at=now,
    )
    mirror_block_on_commit(contact.pk, blocked=True)
    return block


# The most contacts one bulk block takes: a page of the contacts list is 25.
BULK_BLOCK_MAX = 200


@dataclass(frozen=True)
class BulkBlocked:
    """What a bulk block did: the contacts it blocked, those that were blocked already, the tickets it resolved."""

    blocked: list[Contact]
    already_blocked: list[Contact]
    tickets_resolved: int


def bulk_block_selection(contact_ids: Sequence[int]) -> tuple[list[Contact], int]:
    """The live contacts behind the ids, in id order, and how many open tickets they hold (the confirmation)."""
    contacts = list(Contact.objects.live().filter(pk__in=set(contact_ids)).order_by("pk"))
    open_tickets = Ticket.objects.open().filter(contact__in=[c.pk for c in contacts if not c.is_blocked]).count()
    return contacts, open_tickets


def block_contacts(
    *,
    actor,
    contact_ids: Sequence[int],
    reason: str,
    note: str = "",
    resolve_open_tickets: bool = True,
    until: datetime | None = None,
) -> BulkBlocked:
    """Block several contacts with one reason and end, all or nothing; those blocked already are left as they are.

    Contacts are locked one by one in id order, as every block does, so two bulk
    blocks over the same contacts cannot deadlock.
    """
    refusal = block_refusal(actor)
    if refusal == errors.BLOCKING_DISABLED:
        raise errors.FeatureDisabled(refusal)
    if refusal:
        raise errors.Forbidden(refusal)
    ids = sorted(set(contact_ids))
    if not ids:
        raise errors.Invalid(errors.NO_CONTACTS_SELECTED)
    if len(ids) > BULK_BLOCK_MAX:
        raise errors.Invalid(gettext(errors.TOO_MANY_CONTACTS).format(limit=BULK_BLOCK_MAX))
    contacts = list(Contact.objects.live().filter(pk__in=ids).order_by("pk"))
    if len(contacts) != len(ids):
        raise errors.NotFound(errors.CONTACTS_GONE)
    blocked, already, resolved = [], [], 0
    with transaction.atomic():
        for contact in contacts:
            try:
                block = block_contact(
                    actor=actor,
                    contact=contact,
                    reason=reason,
                    note=note,
                    resolve_open_tickets=resolve_open_tickets,
                    until=until,
                )
            except errors.Conflict:
                already.append(contact)
            else:
                blocked.append(contact)
                resolved += block.tickets_resolved
    return BulkBlocked(blocked=blocked, already_blocked=already, tickets_resolved=resolved)


def _unblock_note(actor, choice: str) -> str:
    """The timeline note of a released ticket, stored in English whatever the actor's language."""
    with translation.override("en"):
        return f"Contact unblocked by {person_name(actor)} ({UnblockChoice(choice).label})"


def unblock_contact(*, actor, contact: Contact, choice: str) -> Block:
    """Unblock the contact and release (Unblock All) or delete (Delete All) its blocked tickets.

    Allowed with the feature switched off: existing blocks can always be lifted.
    """
    refusal = unblock_refusal(actor)
    if refusal:
        raise errors.Forbidden(refusal)
    if choice not in UnblockChoice.values:
        raise errors.Invalid(errors.INVALID_UNBLOCK_CHOICE)
    with transaction.atomic():
        block, contact = _open_block_and_locked_contact(contact.pk)
        if not contact.is_blocked:
            raise errors.Conflict(errors.NOT_BLOCKED)
        return _lift(
            contact,
            block,
            choice=choice,
            actor=actor,
            now=timezone.now(),
            note=_unblock_note(actor, choice),
        )


def block_has_ended(contact: Contact, now: datetime) -> bool:
    """A timed block whose end has come: over for routing at once, lifted by the next look at it."""
    return contact.is_blocked and contact.blocked_until is not None and contact.blocked_until <= now


def lift_block_at_expiry(contact: Contact, *, now: datetime) -> Block:
    """Lift an ended timed block as Unblock All does; the caller holds the contact's row lock.

    Routing calls it for a message from a contact whose block has just ended,
    the sweep (lift_ended_blocks) for the rest, so the block is over the moment
    it ends whoever looks first.
    """
    return _lift(
        contact,
        _open_block(contact.pk),
        choice=UnblockChoice.UNBLOCK_ALL,
        actor=None,
        now=now,
        note="Block ended at expiry (Unblock All)",
        lifted_with=LiftedWith.EXPIRED,
        action=AuditEntry.Action.BLOCK_EXPIRED,
    )


def lift_ended_blocks(*, now: datetime | None = None, limit: int = 500) -> int:
    """The sweep: lift every timed block that has ended (each in its own transaction); return how many."""
    now = now or timezone.now()
    due = list(
        Contact.objects.filter(is_blocked=True, blocked_until__lte=now)
        .order_by("blocked_until")[:limit]
        .values_list("pk", flat=True)
    )
    lifted = 0
    for contact_id in due:
        with transaction.atomic():
            contact = _lock_contact(contact_id)
            if block_has_ended(contact, now):  # another worker, routing or a person may have been first
                lift_block_at_expiry(contact, now=now)
                lifted += 1
    return lifted


# Who the audit trail says deleted blocked tickets that stayed quiet past the retention period.
RETENTION_ACTOR = gettext_noop("retention")


def delete_quiet_blocked_tickets(*, now: datetime | None = None, limit: int = 500) -> int:
    """The retention sweep: delete blocked tickets quiet for longer than the setting, as Delete All does.

    Off while blocked_ticket_retention_days is unset. Their message ids are
    remembered, so a re-delivery stays deleted; one audit row per contact. The
    contact stays blocked. Returns the tickets deleted.
    """
    days = SystemSettings.load().blocked_ticket_retention_days
    if not days:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    quiet = Ticket.objects.filter(status=TicketStatus.BLOCKED, last_message_at__lt=cutoff)
    contact_ids = sorted(set(quiet.order_by("last_message_at")[:limit].values_list("contact_id", flat=True)))
    deleted = 0
    for contact_id in contact_ids:
        with transaction.atomic():
            contact = _lock_contact(contact_id)
            ticket_ids = list(quiet.filter(contact=contact).values_list("id", flat=True))
            if not ticket_ids:  # released, answered or deleted since the look
                continue
            messages = _delete_tickets(ticket_ids)
            AuditEntry.objects.create(
                action=AuditEntry.Action.RETENTION_DELETED,
                actor_name=RETENTION_ACTOR,
                contact=contact,
                tickets=len(ticket_ids),
                messages=messages,
                change=f"quiet for more than {days} days",
                at=now,
            )
            deleted += len(ticket_ids)
    return deleted


_BLOCK_FIELDS = [
    "is_blocked",
    "blocked_reason",
    "blocked_note",
    "blocked_at",
    "blocked_by",
    "blocked_until",
    "blocked_by_rule",
    "blocked_by_name",
]


def _lift(
    contact: Contact,
    block: Block | None,
    *,
    choice: str,
    actor,
    now: datetime,
    note: str,
    lifted_with: str | None = None,
    action: str | None = None,
) -> Block:
    """End the contact's current block (`block`, its open one): release (Unblock All) or delete (Delete All) its
    blocked tickets."""
    if block is None:  # a contact marked blocked by hand, outside block_contact
        block = Block(
            contact=contact, reason=contact.blocked_reason or BlockReason.OTHER, blocked_at=contact.blocked_at
        )
    blocked = list(Ticket.objects.filter(contact=contact, status=TicketStatus.BLOCKED).values_list("id", "channel_id"))
    ticket_ids = [ticket_id for ticket_id, _ in blocked]
    if choice == UnblockChoice.UNBLOCK_ALL:
        if blocked:
            _add_notes(blocked, body=note, actor=actor, at=now)
            Ticket.objects.filter(id__in=ticket_ids).update(
                status=release_status(), message_count=F("message_count") + 1, updated_at=now
            )
        block.tickets_released = len(blocked)
        action = action or AuditEntry.Action.UNBLOCKED_ALL
    else:
        deleted_messages = _delete_tickets(ticket_ids)
        block.tickets_deleted = len(ticket_ids)
        block.messages_deleted = deleted_messages
        action = action or AuditEntry.Action.DELETED_ALL
    block.lifted_by = actor
    block.lifted_at = now
    block.lifted_with = lifted_with or choice
    block.save()
    contact.is_blocked = False
    contact.blocked_reason = ""
    contact.blocked_note = ""
    contact.blocked_at = None
    contact.blocked_by = None
    contact.blocked_until = None
    if actor is not None and contact.blocked_by_rule_id is not None:
        contact.rules_waived = True  # a person let this contact in: rules do not block it again
    contact.blocked_by_rule = None
    contact.blocked_by_name = ""
    contact.save(update_fields=[*_BLOCK_FIELDS, "rules_waived", "updated_at"])
    AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_name="" if actor else EXPIRY_ACTOR,
        contact=contact,
        block=block,
        tickets=len(blocked),
        messages=block.messages_deleted,
        at=now,
    )
    mirror_block_on_commit(contact.pk, blocked=False)
    return block


def _delete_tickets(ticket_ids: Sequence[int]) -> int:
    """Delete the tickets, their messages and the messages' delivery attempts; return the messages deleted.

    Three DELETEs whatever the number of messages. The ORM's delete would load every message to cascade to
    its delivery attempts and delete them 100 ids at a time: 515 statements and 2.2 s for 50,000 messages.
    Nothing listens for these deletions (no signals), and nothing else points at a message or ticket.
    """
    if not ticket_ids:
        return 0
    _remember_deleted_message_ids(ticket_ids)
    quote = connection.ops.quote_name
    attempt, message, ticket = (quote(m._meta.db_table) for m in (DeliveryAttempt, Message, Ticket))
    placeholders = ", ".join(["%s"] * len(ticket_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {attempt} WHERE message_id IN (SELECT id FROM {message} WHERE ticket_id IN ({placeholders}))",
            ticket_ids,
        )
        cursor.execute(f"DELETE FROM {message} WHERE ticket_id IN ({placeholders})", ticket_ids)
        messages = cursor.rowcount
        cursor.execute(f"DELETE FROM {ticket} WHERE id IN ({placeholders})", ticket_ids)
    return messages


def _remember_deleted_message_ids(ticket_ids: Sequence[int]) -> None:
    """Record the channel ids of the messages about to go, so a re-delivery is not stored again.

    One INSERT … SELECT, whatever the number of messages (the ORM has no such statement).
    """
    quote = connection.ops.quote_name
    deleted, message, ticket = (quote(m._meta.db_table) for m in (DeletedMessage, Message, Ticket))
    placeholders = ", ".join(["%s"] * len(ticket_ids))
    sql = (
        f"INSERT INTO {deleted} (channel_id, external_id, contact_id, deleted_at, arrived_at, arrived_blocked) "
        f"SELECT m.channel_id, m.external_id, t.contact_id, %s, m.created_at, m.arrived_blocked FROM {message} m "
        f"JOIN {ticket} t ON t.id = m.ticket_id "
        f"WHERE m.ticket_id IN ({placeholders}) AND m.external_id IS NOT NULL "
        "ON CONFLICT (channel_id, external_id) DO NOTHING"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *ticket_ids])


def _lock_blocked_tickets(ticket_ids: Sequence[int]) -> list[dict]:
    """Lock the contacts of the tickets, then return the tickets, all still blocked, or raise."""
    ticket_ids = sorted(set(ticket_ids))
    if not ticket_ids:
        raise errors.Invalid(errors.NO_TICKETS_SELECTED)
    contact_ids = Ticket.objects.filter(id__in=ticket_ids).values_list("contact_id", flat=True)
    # A stable order, so two bulk actions over the same contacts cannot deadlock.
    list(Contact.objects.select_for_update().filter(id__in=contact_ids).order_by("id").values_list("id", flat=True))
    tickets = list(
        Ticket.objects.filter(id__in=ticket_ids, status=TicketStatus.BLOCKED).values(
            "id", "contact_id", "channel_id", "message_count"
        )
    )
    if len(tickets) != len(ticket_ids):
        raise errors.Conflict(errors.TICKET_NOT_BLOCKED if len(ticket_ids) == 1 else errors.TICKETS_NOT_BLOCKED)
    return tickets


def release_blocked_tickets(*, actor, ticket_ids: Sequence[int]) -> int:
    """Let blocked tickets through to the BOT or Unassigned; their contacts stay blocked."""
    if not actor.has_perm("tickets.unblock_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_UNBLOCK_TICKET)
    with transaction.atomic():
        tickets = _lock_blocked_tickets(ticket_ids)
        now = timezone.now()
        ids = [t["id"] for t in tickets]
        _add_notes(
            [(t["id"], t["channel_id"]) for t in tickets],
            body=f"Ticket unblocked by {person_name(actor)}",
            actor=actor,
            at=now,
        )
        Ticket.objects.filter(id__in=ids).update(
            status=release_status(), message_count=F("message_count") + 1, updated_at=now
        )
        AuditEntry.objects.bulk_create(
            AuditEntry(
                action=AuditEntry.Action.TICKET_RELEASED,
                actor=actor,
                contact_id=t["contact_id"],
                ticket_id=t["id"],
                tickets=1,
                messages=t["message_count"],
                at=now,
            )
            for t in tickets
        )
    return len(tickets)


def delete_blocked_tickets(*, actor, ticket_ids: Sequence[int]) -> BlockedTicketCounts:
    """Delete blocked tickets and their messages from the database."""
    if not actor.has_perm("tickets.delete_blocked_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_DELETE_TICKET)
    with transaction.atomic():
        tickets = _lock_blocked_tickets(ticket_ids)
        now = timezone.now()
        messages = _delete_tickets([t["id"] for t in tickets])
        AuditEntry.objects.bulk_create(
            AuditEntry(
                action=AuditEntry.Action.TICKET_DELETED,
                actor=actor,
                contact_id=t["contact_id"],
                ticket_id=t["id"],
                tickets=1,
                messages=t["message_count"],
                at=now,
            )
            for t in tickets
        )
    return BlockedTicketCounts(tickets=len(tickets), messages=messages)


def unblock_ticket(*, actor, ticket: Ticket) -> None:
    release_blocked_tickets(actor=actor, ticket_ids=[ticket.pk])


def delete_blocked_ticket(*, actor, ticket: Ticket) -> BlockedTicketCounts:
    return delete_blocked_tickets(actor=actor, ticket_ids=[ticket.pk])
