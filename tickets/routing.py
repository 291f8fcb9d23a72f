"""Inbound routing: where a customer's message goes.

The one rule: a message joins the contact's open ticket on its channel
(bot, unassigned, assigned or blocked) if there is one; otherwise a new
ticket opens as `blocked` if the contact is blocked, else `bot` if the BOT
is on, else `unassigned`.

It is written once, set-based (`_route`): a single message is a batch of one,
at the same statement count (docs/benchmarks.md, "Issue 9: one routing path").

Addresses are normalised first (contacts.addresses). A new address on a
phone-like or e-mail channel whose phone or e-mail is already a contact's
joins that contact, and so its block: a blocked one if several match, then
the oldest.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from blockdesk.errors import Invalid
from blockdesk.insert_rows import insert_rows
from blockdesk.model_rows import unsaved
from contacts.addresses import (
    EMAIL_KINDS,
    EMPTY_ADDRESS,
    normalise_address,
    normalise_email,
    normalise_phone,
    person_key,
)
from contacts.blocking import block_has_ended, lift_block_at_expiry, release_status
from contacts.models import Channel, Contact, ContactIdentity, RuleAction
from settings_app.switches import Switches, current_switches, keep_switches, kept_switches

from .bot import reach_bot_on_commit
from .models import DeletedMessage, Message, Speaker, Ticket, TicketStatus, preview_of
from .notices import customer_wrote, notify_inbound
from .routing_guards import flood_window, guard_floods, quarantine, rule_verdicts
from .routing_sql import (
    LookBack,
    RecentWindow,
    TicketAddition,
    add_to_ticket_with_message,
    add_to_tickets,
    can_read_switches_in_lock,
    lock_addresses,
    lock_people,
    look_back_and_lock,
    look_back_lock_and_read_switches,
)


@dataclass(frozen=True)
class InboundMessage:
    """A customer message as a channel delivers it."""

    message_id: str
    contact_id: str
    text: str
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    sent_at: datetime | None = None
    # Stored with the message as it is (Message.metadata): what the channel says beyond the text.
    metadata: dict | None = None


# The answer to a repeat delivery of a message that Delete All (or a blocked
# ticket's deletion) removed: it is not stored again, and has no ticket.
DELETED = "deleted"
# The answer to a message a reject rule refused: nothing stored (the rule's hits count it).
REJECTED = "rejected"


@dataclass(frozen=True)
class RoutedMessage:
    message: Message | None
    ticket: Ticket | None
    # None only for a rejected message from an address nobody has: a reject rule stores no contact either.
    contact: Contact | None
    duplicate: bool
    # The message opened its ticket (notices tell of a new blocked ticket).
    opened: bool = False
    # The reject rule that refused the message.
    rejected_by: int | None = None
    # The assignee's "customer wrote" notice went in with the message (notices.notify_inbound adds none).
    notified: bool = False

    @property
    def status(self) -> str:
        """Where the message landed: its ticket's status, `deleted`, or `rejected`."""
        if self.rejected_by is not None:
            return REJECTED
        return self.ticket.status if self.ticket is not None else DELETED


def new_ticket_status(contact: Contact, switches: Switches | None = None) -> str:
    """The status a new ticket of the contact opens with, under `switches` (read now when not given)."""
    if contact.is_blocked:
        return TicketStatus.BLOCKED
    return TicketStatus.BOT if (switches or current_switches()).bot_enabled else TicketStatus.UNASSIGNED


def route_inbound_message(*, channel: Channel, inbound: InboundMessage) -> RoutedMessage:
    """Store the message in the ticket the rule gives it; a repeat delivery returns the first result."""
    for _ in range(ROUTE_ATTEMPTS - 1):
        routed = _attempt(channel, [inbound])
        if routed is not None:
            return routed[0]
    return _route(channel, [inbound])[0]


def route_inbound_batch(*, channel: Channel, inbounds: Sequence[InboundMessage]) -> list[RoutedMessage]:
    """Store a channel's burst in one transaction with set-based statements; answer each as routing one by one would.

    A handful of statements whatever the batch size: the duplicate check, the
    contact locks (in id order, bringing the open tickets along), the new
    contacts and identities, one update of the open tickets, the new tickets
    and the messages. Should racing deliveries get in the way twice, the
    messages are routed one by one, each with its own retries.
    """
    inbounds = list(inbounds)
    for _ in range(ROUTE_ATTEMPTS - 1):
        routed = _attempt(channel, inbounds)
        if routed is not None:
            return routed
    with transaction.atomic():
        return [route_inbound_message(channel=channel, inbound=inbound) for inbound in inbounds]


# One try, and one retry for each unique constraint a racing delivery can win.
ROUTE_ATTEMPTS = 3
# PostgreSQL's codes for a deadlock and a serialization failure: the transaction may simply run again.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _worth_retrying(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def _attempt(channel: Channel, inbounds: list[InboundMessage]) -> list[RoutedMessage] | None:
    """Route once; None if it is worth another try (everything here rolled back)."""
    try:
        return _route(channel, inbounds)
    except (IntegrityError, OperationalError) as exc:
        # A racing delivery won a unique constraint (same message id, or the
        # first message of the same new address), or a deadlock broke the
        # transaction; the winner has committed, so the next try finds its rows.
        if not _worth_retrying(exc):
            raise
        return None


def _normalised(channel: Channel, inbound: InboundMessage) -> InboundMessage:
    """The message with its address as BlockDesk stores and compares it.

    The phone and e-mail the message brings are normalised where they are used
    (a new contact's profile, the block rules), not here: most messages come
    from a known contact with no rule in force, and reading a phone number took
    a sixth of the CPU of routing a message in a batch (issue 11).
    """
    address = normalise_address(channel.kind, inbound.contact_id)
    if not address:
        raise Invalid(f"The contact's address {EMPTY_ADDRESS}.")
    return replace(inbound, contact_id=address)


def _route(channel: Channel, inbounds: list[InboundMessage]) -> list[RoutedMessage]:
    """Route the messages in one transaction (a savepoint inside the caller's)."""
    inbounds = [_normalised(channel, inbound) for inbound in inbounds]
    with transaction.atomic():
        # One statement: the earlier deliveries of these message ids, and every address's contact, locked (with
        # the flood guard on, each open ticket's recent customer messages counted in it too), and the switches.
        switches, window, (stored_ids, deleted, contacts, open_tickets, recent, _) = _switches_and_look_back(
            channel, inbounds
        )
        # The moment the messages arrive: read once the contacts are locked (a lock may be waited for), so a timed
        # block's end is judged as the messages' own time, which they are stored with.
        now = timezone.now()
        stored = (
            {m.external_id: m for m in Message.objects.select_related("ticket__contact").filter(pk__in=stored_ids)}
            if stored_ids
            else {}
        )
        if len(stored) < len(stored_ids):
            deleted |= _deleted_since_look_back(channel, {i.message_id for i in inbounds} - stored.keys())
        deleted_contacts = Contact.objects.in_bulk(set(deleted.values())) if deleted else {}
        seen = stored.keys() | deleted.keys()
        fresh = list({i.message_id: i for i in reversed(inbounds) if i.message_id not in seen}.values())[::-1]
        people: dict[str, Contact] = {}
        if any(i.contact_id not in contacts for i in fresh):
            people, people_tickets, people_recent = _people_of(
                channel, {i.contact_id for i in fresh if i.contact_id not in contacts}, window
            )
            open_tickets.update(people_tickets)
            recent.update(people_recent)
        verdicts = rule_verdicts(channel, fresh, contacts | people, switches, now)
        rejected = {mid: hit.rule_id for mid, hit in verdicts.items() if hit.action == RuleAction.REJECT}
        fresh = [i for i in fresh if i.message_id not in rejected]
        new = [i for i in fresh if i.contact_id not in contacts]
        pending: tuple[list, ...] = ()
        if new:
            added, pending = _add_addresses(
                channel, new, people, wait=_first_message_alone(fresh, people, verdicts, switches)
            )
            contacts.update(added)
        _lift_ended_blocks(contacts, open_tickets, now=now)
        quarantine(contacts, open_tickets, fresh, verdicts, now=now)
        guard_floods(channel, contacts, open_tickets, recent, fresh, verdicts, switches, window, now=now)
        routed = _store(channel, contacts, open_tickets, fresh, switches, now=now, pending=pending)
        results, answered = [], set()
        for inbound in inbounds:
            first = stored.get(inbound.message_id)
            if first is not None:
                results.append(
                    RoutedMessage(message=first, ticket=first.ticket, contact=first.ticket.contact, duplicate=True)
                )
            elif inbound.message_id in deleted:
                contact = deleted_contacts[deleted[inbound.message_id]]
                results.append(RoutedMessage(message=None, ticket=None, contact=contact, duplicate=True))
            elif inbound.message_id in rejected:
                contact = contacts.get(inbound.contact_id) or people.get(inbound.contact_id)
                results.append(
                    RoutedMessage(
                        message=None,
                        ticket=None,
                        contact=contact,
                        duplicate=inbound.message_id in answered,
                        rejected_by=rejected[inbound.message_id],
                    )
                )
                answered.add(inbound.message_id)
            elif inbound.message_id in answered:  # repeated inside the batch: answer with the first copy
                r = routed[inbound.message_id]
                results.append(RoutedMessage(message=r.message, ticket=r.ticket, contact=r.contact, duplicate=True))
            else:
                answered.add(inbound.message_id)
                results.append(routed[inbound.message_id])
        notify_inbound(results)
        return results


def _switches_and_look_back(
    channel: Channel, inbounds: list[InboundMessage]
) -> tuple[Switches, RecentWindow | None, LookBack]:
    """The switches in force when the messages were accepted, the flood window they ask, and look_back_and_lock's rows.

    The inbound API read the switches with the channel's token
    (contacts.inbound_limits); a request that read them already kept them;
    the other doors read them in the contact lock's statement on PostgreSQL,
    else in one of their own.
    """
    message_ids, addresses = list({i.message_id for i in inbounds}), {i.contact_id for i in inbounds}
    now = timezone.now()
    switches = channel.switches or kept_switches()
    if switches is None and can_read_switches_in_lock():
        found = look_back_lock_and_read_switches(channel, message_ids, addresses, now=now)
        if found.switches is not None:
            keep_switches(found.switches)
            return found.switches, flood_window(found.switches, now), found
    switches = switches or current_switches()
    window = flood_window(switches, now)
    return switches, window, look_back_and_lock(channel, message_ids, addresses, window=window)


def _deleted_since_look_back(channel: Channel, message_ids: set[str]) -> dict[str, int]:
    """{message id: contact id} of these ids remembered as deleted, read now.

    The look-back reads message ids with the snapshot its statement began with,
    then waits for the contact lock; if Delete All held it, messages that
    snapshot saw are gone now and their ids remembered as deleted, which this
    statement sees. Made only then: when a message the look-back found is gone.
    """
    return dict(
        DeletedMessage.objects.filter(channel=channel, external_id__in=message_ids).values_list(
            "external_id", "contact_id"
        )
    )


def _lift_ended_blocks(contacts: dict[str, Contact], open_tickets: dict[int, Ticket], *, now: datetime) -> None:
    """A timed block that has ended is over for this message: lift it now, its row locked, as the sweep would.

    Rare (only a message that beats the sweep); the usual message costs no statement here.
    """
    for pk in {contact.pk for contact in contacts.values() if block_has_ended(contact, now)}:
        same = [contact for contact in contacts.values() if contact.pk == pk]
        lift_block_at_expiry(same[0], now=now)
        for contact in same[1:]:
            contact.is_blocked, contact.blocked_until = False, None
        ticket = open_tickets.get(pk)
        if ticket is not None and ticket.status == TicketStatus.BLOCKED:
            ticket.status = release_status()


def _people_of(
    channel: Channel, addresses: set[str], window: RecentWindow | None
) -> tuple[dict[str, Contact], dict[int, Ticket], dict[int, int]]:
    """Find and lock the known person of each new address; {address: contact}, {contact id: open ticket}, recent counts.

    Costs nothing for addresses that cannot be matched (chat ids, numbers that
    are not valid); otherwise the address locks (PostgreSQL) and one look-up.
    When several contacts match, a blocked one wins (a spammer's new number must
    not slip past the block), then the oldest.
    """
    keys = {address: key for address in sorted(addresses) if (key := person_key(channel.kind, address))}
    if not keys:
        return {}, {}, {}
    lock_addresses(list(keys.values()))
    emails = channel.kind in EMAIL_KINDS
    candidates: dict[str, list[Contact]] = {}
    tickets: dict[int, Ticket] = {}
    recent: dict[int, int] = {}
    for key, contact, ticket, count in lock_people(
        channel,
        phones=[] if emails else list(keys.values()),
        emails=list(keys.values()) if emails else [],
        window=window,
    ):
        candidates.setdefault(key, []).append(contact)
        if ticket is not None:
            tickets[contact.pk] = ticket
            recent[contact.pk] = count
    people = {}
    for address, key in keys.items():
        if key in candidates:
            people[address] = min(candidates[key], key=lambda c: (not c.is_blocked, c.created_at, c.pk))
    chosen = {contact.pk for contact in people.values()}
    return people, {pk: ticket for pk, ticket in tickets.items() if pk in chosen}, recent


def _first_message_alone(fresh: list[InboundMessage], people: dict, verdicts: dict, switches: Switches) -> bool:
    """A new person's one message, which no rule decides and which cannot be a flood on its own: nothing before the
    message is stored needs its contact saved, so the contact and identity can go with the ticket and message."""
    return len(fresh) == 1 and not people and not verdicts and switches.flood_messages >= 1


def _add_addresses(
    channel: Channel, inbounds: list[InboundMessage], people: dict[str, Contact], *, wait: bool = False
) -> tuple[dict[str, Contact], tuple[list, ...]]:
    """Give each new address its identity: on its known person, else on a new contact with its first message's profile.

    Answers {address: contact} and, with `wait`, the new contacts and
    identities still unsaved, for _store to insert with the ticket and
    message (PostgreSQL: the four in one statement, a round trip fewer for a
    new customer). If another delivery creates the same address first, the
    identity insert raises IntegrityError, the whole transaction rolls back
    and routing tries again, finding that contact.
    """
    profile: dict[str, InboundMessage] = {}
    for inbound in inbounds:
        if inbound.contact_id not in people:
            profile.setdefault(inbound.contact_id, inbound)
    created = [
        unsaved(
            Contact, name=first.contact_name, phone=normalise_phone(first.phone), email=normalise_email(first.email)
        )
        for first in profile.values()
    ]
    contacts = people | dict(zip(profile, created, strict=True))
    identities = [
        unsaved(ContactIdentity, related={"contact": c, "channel": channel}, external_id=address)
        for address, c in contacts.items()
    ]
    if wait:
        return contacts, (created, identities)
    insert_rows(created, identities)
    return contacts, ()


def _store(
    channel: Channel,
    contacts: dict[str, Contact],
    open_tickets: dict[int, Ticket],
    fresh: list[InboundMessage],
    switches: Switches,
    *,
    now: datetime,
    pending: tuple[list, ...] = (),
) -> dict[str, RoutedMessage]:
    """Store the new messages in the tickets the rule gives them; return {message id: result}.

    `pending`: a new person's contact and identity still to insert (_add_addresses with `wait`), before the rest.
    """
    # A contact may have several addresses on the channel: its messages share one ticket.
    groups: dict[int, list[InboundMessage]] = {}
    for inbound in fresh:
        groups.setdefault(contacts[inbound.contact_id].pk, []).append(inbound)
    open_ones = {pk: t for pk, t in open_tickets.items() if pk in groups}
    created: list[Ticket] = []
    folded = _with_its_open_ticket(channel, open_ones, fresh, now=now)
    if folded is None:
        created, messages = _into_tickets(
            channel, contacts, open_ones, groups, fresh, switches, now=now, pending=pending
        )
        notified: set[int] = set()
    else:
        messages, notified = folded
    opened = {t.pk for t in created}
    routed = {
        m.external_id: RoutedMessage(
            message=m,
            ticket=m.ticket,
            contact=contacts[i.contact_id],
            duplicate=False,
            opened=m.ticket_id in opened,
            notified=m.ticket_id in notified,
        )
        for m, i in zip(messages, fresh, strict=True)
    }
    # The BOT hears each customer message of its tickets (tickets/bot.py).
    reach_bot_on_commit(routed.values(), answerer=switches.bot_answerer)
    return routed


def _into_tickets(
    channel: Channel,
    contacts: dict[str, Contact],
    open_tickets: dict[int, Ticket],
    groups: dict[int, list[InboundMessage]],
    fresh: list[InboundMessage],
    switches: Switches,
    *,
    now: datetime,
    pending: tuple[list, ...] = (),
) -> tuple[list[Ticket], list[Message]]:
    """Each contact's messages into its open ticket, else a new one; the new tickets and the messages, stored (after
    the rows `pending`)."""
    tickets = _add_to_open_tickets(open_tickets, groups, now=now)
    by_contact = {c.pk: c for c in contacts.values()}
    missing = [pk for pk in groups if pk not in tickets]
    created = [
        unsaved(
            Ticket,
            related={"contact": by_contact[pk], "channel": channel},
            status=new_ticket_status(by_contact[pk], switches),
            last_message_at=now,
            waiting_since=now,
            last_speaker=Speaker.CUSTOMER,
            message_count=len(groups[pk]),
            last_message_preview=preview_of(groups[pk][-1].text),
        )
        for pk in missing
    ]
    tickets.update(zip(missing, created, strict=True))
    messages = [_message(channel, i, tickets[contacts[i.contact_id].pk], now=now) for i in fresh]
    insert_rows(*pending, created, messages)
    return created, messages


def _message(channel: Channel, inbound: InboundMessage, ticket: Ticket, *, now: datetime) -> Message:
    return unsaved(
        Message,
        related={"ticket": ticket, "channel": channel},
        direction=Message.Direction.IN,
        body=inbound.text,
        external_id=inbound.message_id,
        sent_at=inbound.sent_at or now,
        metadata=inbound.metadata or {},
        created_at=now,
        arrived_blocked=ticket.status == TicketStatus.BLOCKED,
    )


def _with_its_open_ticket(
    channel: Channel, open_tickets: dict[int, Ticket], fresh: list[InboundMessage], *, now: datetime
) -> tuple[list[Message], set[int]] | None:
    """PostgreSQL, one message to its contact's open ticket: the ticket's update, the message and, for an assigned
    ticket, its assignee's notice (notices.customer_wrote) in one statement; the message and the notified tickets.

    None, with nothing written, for anything else, or when the ticket changed since it was read: _store's general
    path then does it (re-reading the ticket).
    """
    if connection.vendor != "postgresql" or len(fresh) != 1 or len(open_tickets) != 1:
        return None
    (ticket,) = open_tickets.values()
    message = _message(channel, fresh[0], ticket, now=now)
    notice = customer_wrote(ticket, now=now)
    addition = TicketAddition(ticket, 1, preview_of(fresh[0].text))
    if not add_to_ticket_with_message(addition, message, notice, now=now):
        return None
    return [message], ({ticket.pk} if notice is not None else set())


def _add_to_open_tickets(
    tickets: dict[int, Ticket], groups: dict[int, list[InboundMessage]], *, now: datetime
) -> dict[int, Ticket]:
    """Count each contact's messages in its open ticket; return {contact id: ticket} of those that took them.

    A ticket that changed after the contact lock read it (resolved, released,
    assigned, deleted) is not updated: the contact's open ticket is locked and
    read again, as it is now, and takes the messages; if there is none, a new
    ticket opens. Read by contact, not by the ticket read first: when the
    first read waited for the contact lock, it may show a blocked ticket that
    Delete All has since removed, while the delivery that held the lock opened
    the contact's new ticket; that one takes the messages (before, a second
    ticket was tried, and the unique constraint made the whole routing retry).
    """

    def add(to: dict[int, Ticket]) -> set[int]:
        return add_to_tickets(
            [TicketAddition(t, len(groups[pk]), preview_of(groups[pk][-1].text)) for pk, t in to.items()], now=now
        )

    updated = add(tickets)
    changed = [t for t in tickets.values() if t.pk not in updated]
    if not changed:
        return tickets
    current = {
        t.contact_id: t
        for t in Ticket.objects.open()
        .select_for_update()
        .filter(channel_id=changed[0].channel_id, contact_id__in=[t.contact_id for t in changed])
        .order_by("pk")
    }
    add(current)  # locked now (and the contacts locked since the first read): every status matches
    return {pk: t for pk, t in tickets.items() if t.pk in updated} | current
