"""Merge two contacts that are one person: everything of the merged one moves to the survivor.

One transaction that locks both contact rows in id order (as bulk actions
do), so a block, unblock or inbound message for either contact lands wholly
before the merge (and moves with the rest) or wholly after it (and finds the
survivor). Like contacts.blocking, this module moves tickets.

Block rule: if either contact is blocked, the survivor is blocked. When both
are, the survivor's current block stays current and the merged contact's is
closed as lifted_with "merged" (so each contact keeps one current block);
when only the merged contact is, its current block becomes the survivor's.
Two open tickets on one channel become one: the older keeps its id, status
and assignee; the newer one's messages and counts move into it and it is
deleted.
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from blockdesk import errors
from blockdesk.display import person_name
from tickets.models import Message, Ticket, preview_of

from .models import AuditEntry, Block, Contact, LiftedWith

MERGE_NOTE = "Ticket #{gone} ({messages}) of {merged} merged into this one by {actor}."


def merge_refusal(actor) -> str | None:
    """Why the actor may not merge contacts, or None; merge_contacts checks it first."""
    if not actor.has_perm("contacts.merge_contact"):
        return errors.NO_PERMISSION_MERGE
    return None


@dataclass(frozen=True)
class JoinedTickets:
    """Two open tickets on one channel that the merge makes one."""

    kept: Ticket
    gone: Ticket


@dataclass(frozen=True)
class MergePlan:
    """What merging `merged` into `survivor` would do, read before the click (and again, locked, by the merge)."""

    survivor: Contact
    merged: Contact
    identities: int
    tickets: int
    joined: list[JoinedTickets]

    @property
    def block_outcome(self) -> str:
        """What becomes of the blocks, in the words the confirmation shows."""
        survivor, merged = self.survivor, self.merged
        names = {"survivor": survivor, "merged": merged}
        if survivor.is_blocked and merged.is_blocked:
            return gettext(
                "Both are blocked: %(survivor)s stays blocked with its own block (%(reason)s); the block of "
                "%(merged)s moves to its history, closed as merged."
            ) % {**names, "reason": survivor.get_blocked_reason_display().lower()}
        if survivor.is_blocked:
            return gettext("%(survivor)s stays blocked; the block history of %(merged)s moves to it.") % names
        if merged.is_blocked:
            return gettext(
                "%(merged)s is blocked, so %(survivor)s becomes blocked (%(reason)s): its open tickets stay open, "
                "and a new conversation goes to the Blocked list."
            ) % {**names, "reason": merged.get_blocked_reason_display().lower()}
        return gettext("Neither is blocked; the merged contact stays unblocked.")


def plan_merge(*, survivor: Contact, merged: Contact) -> MergePlan:
    """Count what moves; the open tickets that become one (older kept)."""
    open_tickets = list(
        Ticket.objects.open().filter(contact__in=[survivor.pk, merged.pk]).select_related("channel", "assignee")
    )
    by_channel: dict[int, list[Ticket]] = {}
    for ticket in open_tickets:
        by_channel.setdefault(ticket.channel_id, []).append(ticket)
    joined = []
    for pair in by_channel.values():
        if len(pair) == 2:
            kept, gone = sorted(pair, key=lambda t: (t.created_at, t.pk))
            joined.append(JoinedTickets(kept=kept, gone=gone))
    return MergePlan(
        survivor=survivor,
        merged=merged,
        identities=merged.identities.count(),
        tickets=merged.tickets.count(),
        joined=sorted(joined, key=lambda j: j.kept.pk),
    )


@dataclass(frozen=True)
class MergeResult:
    survivor: Contact
    merged_id: int
    identities: int
    tickets: int  # tickets of the merged contact that are now the survivor's
    tickets_joined: int
    messages_moved: int  # messages moved from a joined ticket into the kept one


def _lock_both(first_id: int, second_id: int) -> dict[int, Contact]:
    # Id order, so two merges (or a merge and a bulk action) over the same contacts cannot deadlock.
    rows = Contact.objects.select_for_update().filter(pk__in=[first_id, second_id]).order_by("id")
    return {contact.pk: contact for contact in rows}


def merge_contacts(*, actor, survivor: Contact, merged: Contact) -> MergeResult:
    """Merge `merged` into `survivor`; `merged` is left as a tombstone pointing at the survivor."""
    refusal = merge_refusal(actor)
    if refusal:
        raise errors.Forbidden(refusal)
    if survivor.pk == merged.pk:
        raise errors.Invalid(errors.MERGE_WITH_ITSELF)
    with transaction.atomic():
        locked = _lock_both(survivor.pk, merged.pk)
        if len(locked) != 2 or any(c.merged_into_id is not None for c in locked.values()):
            raise errors.Conflict(errors.MERGE_ALREADY_MERGED)
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        now = timezone.now()
        plan = plan_merge(survivor=survivor, merged=merged)
        messages_moved = sum(_join(pair, merged=merged, actor=actor, now=now) for pair in plan.joined)
        tickets_moved = plan.tickets - sum(1 for pair in plan.joined if pair.gone.contact_id == merged.pk)
        _take_over_block(survivor, merged, actor=actor, now=now)
        _move_everything(survivor, merged)
        _take_over_profile(survivor, merged)
        survivor.save()
        _leave_tombstone(merged, survivor)
        AuditEntry.objects.create(
            action=AuditEntry.Action.MERGED,
            actor=actor,
            contact=survivor,
            other_contact_id=merged.pk,
            subject=str(merged),
            change=f"#{merged.pk} → #{survivor.pk}",
            tickets=tickets_moved,
            messages=messages_moved,
            at=now,
        )
    return MergeResult(
        survivor=survivor,
        merged_id=merged.pk,
        identities=plan.identities,
        tickets=tickets_moved,
        tickets_joined=len(plan.joined),
        messages_moved=messages_moved,
    )


def _join(pair: JoinedTickets, *, merged: Contact, actor, now) -> int:
    """Move the newer ticket's messages into the older one, note it there, delete the newer; return messages moved."""
    kept, gone = pair.kept, pair.gone
    moved = Message.objects.filter(ticket=gone).update(ticket=kept)
    messages = f"{moved} message{'' if moved == 1 else 's'}"
    Message.objects.create(
        ticket=kept,
        channel_id=kept.channel_id,
        direction=Message.Direction.NOTE,
        body=MERGE_NOTE.format(gone=gone.pk, messages=messages, merged=merged, actor=person_name(actor)),
        author=actor,
        sent_at=now,
    )
    last = Message.objects.filter(ticket=kept).exclude(direction=Message.Direction.NOTE).order_by("-sent_at", "-id")
    newest = last.first()
    kept.message_count = Message.objects.filter(ticket=kept).count()
    kept.last_message_at = max(kept.last_message_at, gone.last_message_at)
    if newest is not None:
        kept.last_message_preview = preview_of(newest.body)
    kept.save(update_fields=["message_count", "last_message_at", "last_message_preview", "updated_at"])
    Ticket.objects.filter(pk=gone.pk).delete()
    return moved


def _take_over_block(survivor: Contact, merged: Contact, *, actor, now) -> None:
    """Close the merged contact's current block if the survivor has its own, else make it the survivor's."""
    if not merged.is_blocked:
        return
    if survivor.is_blocked:
        Block.objects.filter(contact=merged, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=actor, lifted_with=LiftedWith.MERGED
        )
        return
    survivor.is_blocked = True
    survivor.blocked_reason = merged.blocked_reason
    survivor.blocked_note = merged.blocked_note
    survivor.blocked_at = merged.blocked_at
    survivor.blocked_by_id = merged.blocked_by_id


def _move_everything(survivor: Contact, merged: Contact) -> None:
    """Point every row that names the merged contact at the survivor: identities, tickets, blocks, audit, …

    Read from the model graph, so a model added later that points at contacts
    moves too instead of being deleted with the merged contact's old row.
    Only a merge's own record of the merged contact stays (other_contact).
    """
    for relation in Contact._meta.get_fields(include_hidden=True):
        if not relation.one_to_many:  # only rows pointing here by a foreign key (hidden "+" ones too)
            continue
        field = relation.field
        if field.model is AuditEntry and field.name == "other_contact":
            continue
        field.model._base_manager.filter(**{field.name: merged.pk}).update(**{field.name: survivor.pk})


def _take_over_profile(survivor: Contact, merged: Contact) -> None:
    """Fill the survivor's empty name, phone and e-mail from the merged contact; append its note."""
    for name in ("name", "phone", "email"):
        if not getattr(survivor, name):
            setattr(survivor, name, getattr(merged, name))
    if merged.note:
        survivor.note = f"{survivor.note}\n\n{merged.note}" if survivor.note else merged.note


def _leave_tombstone(merged: Contact, survivor: Contact) -> None:
    """Replace the merged contact's row by a tombstone with the same id.

    Delete and insert, not update: an inbound message for one of its old
    addresses may be waiting on this row's lock. PostgreSQL would hand it the
    updated row still joined to the address as it read it before the merge,
    and routing would open a ticket for the tombstone. A deleted row is simply
    not found: routing tries again and reaches the survivor through the
    address, which now points there. Foreign keys are checked at commit, when
    the row is back.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(Contact._meta.db_table)} WHERE {quote(Contact._meta.pk.column)} = %s", [merged.pk]
        )
    created_at = merged.created_at
    merged.merged_into = survivor
    merged.is_blocked = False
    merged.blocked_reason = ""
    merged.blocked_note = ""
    merged.blocked_at = None
    merged.blocked_by = None
    merged.blocked_until = None
    merged.blocked_by_rule = None
    merged.blocked_by_name = ""
    merged.save(force_insert=True)
    Contact.objects.filter(pk=merged.pk).update(created_at=created_at)
