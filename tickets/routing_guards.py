"""Spam defence in routing: the block rules' verdicts and the flood guard, for the messages one routing stores.

Called by tickets.routing with the contacts locked, inside its transaction.
Neither costs a statement of its own on the usual message: the rules are
compiled per version (contacts.rule_match), the flood guard's count comes with
the contact lock (routing_sql.RecentWindow); only a verdict that blocks, a flag
or an auto-block writes.
"""

from collections import Counter
from datetime import datetime, timedelta

from contacts.addresses import normalise_email, normalise_phone
from contacts.blocking import block_has_ended, block_locked_contact
from contacts.flood_guard import auto_block_flood, flag_flood
from contacts.models import BlockReason, BlockRule, Channel, Contact, FloodFlag, RuleAction
from contacts.rule_match import RuleHit, count_hits_on_commit, rules_in_force
from settings_app.switches import Switches

from .models import Ticket
from .notices import notify_flood_flags
from .routing_sql import RecentWindow

# `fresh` below is routing's list of tickets.routing.InboundMessage (not imported: routing imports this module).


def flood_window(switches: Switches, now: datetime) -> RecentWindow | None:
    """What the flood guard asks the contact lock to count, or None while it is off."""
    if not switches.flood_guard_enabled:
        return None
    return RecentWindow(since=now - timedelta(minutes=switches.flood_minutes), cap=switches.flood_messages + 1)


def _spared(contact: Contact | None, now: datetime) -> bool:
    """Rules leave this contact alone: blocked already (its messages go to the Blocked list), or let in by a person."""
    return contact is not None and (contact.rules_waived or (contact.is_blocked and not block_has_ended(contact, now)))


def rule_verdicts(
    channel: Channel, fresh: list, known: dict[str, Contact], switches: Switches, now: datetime
) -> dict[str, RuleHit]:
    """{message id: the rule that decides it} for the new messages; costs no statement (the rules are compiled).

    While blocking is switched off, quarantine and reject rules pause. Each
    decision counts as a hit of its rule once the routing commits.
    """
    rules = rules_in_force(switches.rules_version)
    if rules.empty or not fresh:
        return {}
    verdicts, hits = {}, Counter()
    for inbound in fresh:
        contact = known.get(inbound.contact_id)
        if _spared(contact, now):
            continue
        hit = rules.match(
            channel_id=channel.pk,
            kind=channel.kind,
            address=inbound.contact_id,
            emails=[normalise_email(inbound.email), contact.email if contact else ""],
            phones=[normalise_phone(inbound.phone), contact.phone if contact else ""],
        )
        if hit is None or (hit.blocks and not switches.block_contacts_enabled):
            continue
        verdicts[inbound.message_id] = hit
        hits[(hit.rule_id, hit.action, channel.pk)] += 1
    count_hits_on_commit(hits, now=now)
    return verdicts


def quarantine(
    contacts: dict[str, Contact],
    open_tickets: dict[int, Ticket],
    fresh: list,
    verdicts: dict[str, RuleHit],
    *,
    now: datetime,
) -> None:
    """Block each contact a quarantine rule caught ("by rule N") as a block does; its messages open a blocked ticket."""
    caught: dict[int, int] = {}
    for inbound in fresh:
        hit = verdicts.get(inbound.message_id)
        if hit is not None and hit.action == RuleAction.QUARANTINE:
            caught.setdefault(contacts[inbound.contact_id].pk, hit.rule_id)
    copies = _copies(contacts)
    for pk, rule_id in caught.items():
        same = copies[pk]
        if same[0].is_blocked:  # another address of the contact was caught first
            continue
        block_locked_contact(
            same[0],
            reason=BlockReason.SPAM,
            note=f"Matched block rule {rule_id}.",
            actor_name=f"rule {rule_id}",
            rule=BlockRule(pk=rule_id),
            now=now,
        )
        _mark_blocked(same, open_tickets)


def _copies(contacts: dict[str, Contact]) -> dict[int, list[Contact]]:
    """{contact id: its copies in routing's {address: contact}} (a contact with several addresses has several)."""
    copies: dict[int, list[Contact]] = {}
    for contact in contacts.values():
        copies.setdefault(contact.pk, []).append(contact)
    return copies


def _mark_blocked(same: list[Contact], open_tickets: dict[int, Ticket]) -> None:
    """The contact (the first of its copies) was just blocked: its copies say so, and its open ticket was resolved."""
    for contact in same[1:]:
        contact.is_blocked, contact.blocked_until = True, None
    open_tickets.pop(same[0].pk, None)


def guard_floods(
    channel: Channel,
    contacts: dict[str, Contact],
    open_tickets: dict[int, Ticket],
    recent: dict[int, int],
    fresh: list,
    verdicts: dict[str, RuleHit],
    switches: Switches,
    window: RecentWindow | None,
    *,
    now: datetime,
) -> None:
    """Flag (or, with auto-block, block) each contact whose messages in the window pass the flood limit.

    The count comes with the contact lock (look_back_and_lock) plus this batch's
    messages: no statement of its own. A contact flagged already (suspected_at),
    blocked, or let through by an allow rule costs nothing more.
    """
    if window is None:
        return
    flags = []
    allowed = {contacts[i.contact_id].pk for i in fresh if getattr(verdicts.get(i.message_id), "blocks", True) is False}
    batch = Counter(contacts[i.contact_id].pk for i in fresh if i.sent_at is None or i.sent_at >= window.since)
    copies = _copies(contacts)
    for pk, n in batch.items():
        same = copies[pk]
        contact = same[0]
        if contact.is_blocked or contact.suspected_at is not None or pk in allowed:
            continue
        messages = recent.get(pk, 0) + n
        if messages <= switches.flood_messages:
            continue
        guard = {"channel": channel, "messages": messages, "window_minutes": switches.flood_minutes, "now": now}
        if switches.flood_auto_block and switches.block_contacts_enabled:
            auto_block_flood(contact, **guard)
            _mark_blocked(same, open_tickets)
            flags.append(FloodFlag.objects.filter(contact=contact).latest("flagged_at", "pk"))
        elif (flag := flag_flood(contact, **guard)) is not None:
            flags.append(flag)
            for copy in same[1:]:
                copy.suspected_at = now
    notify_flood_flags(flags)
