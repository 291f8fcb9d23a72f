"""Inbound routing: where a customer's message goes.

The one rule: a message joins the contact's open ticket on its channel
(bot, unassigned, assigned or blocked) if there is one; otherwise a new
ticket opens as `blocked` if the contact is blocked, else `bot` if the BOT
is on, else `unassigned`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from contacts.models import Channel, Contact, ContactIdentity
from settings_app.switches import current_switches

from .bot import reach_bot_on_commit
from .models import OPEN_STATUSES, DeletedMessage, Message, Ticket, TicketStatus, preview_of


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


# The answer to a repeat delivery of a message that Delete All (or a blocked
# ticket's deletion) removed: it is not stored again, and has no ticket.
DELETED = "deleted"


@dataclass(frozen=True)
class RoutedMessage:
    message: Message | None
    ticket: Ticket | None
    contact: Contact
    duplicate: bool

    @property
    def status(self) -> str:
        """Where the message landed: its ticket's status, or `deleted`."""
        return self.ticket.status if self.ticket is not None else DELETED


def new_ticket_status(contact: Contact) -> str:
    if contact.is_blocked:
        return TicketStatus.BLOCKED
    return TicketStatus.BOT if current_switches().bot_enabled else TicketStatus.UNASSIGNED


def route_inbound_message(*, channel: Channel, inbound: InboundMessage) -> RoutedMessage:
    """Store the message in the ticket the rule gives it; a repeat delivery returns the first result."""
    for _ in range(ROUTE_ATTEMPTS - 1):
        try:
            return _route(channel, inbound)
        except (IntegrityError, OperationalError) as exc:
            # A racing delivery won a unique constraint (same message id, or the
            # first message of the same new address) and everything here rolled
            # back; it has committed, so the next attempt finds its rows.
            if not _worth_retrying(exc):
                raise
    return _route(channel, inbound)


# One try, and one retry for each unique constraint a racing delivery can win.
ROUTE_ATTEMPTS = 3
# PostgreSQL's codes for a deadlock and a serialization failure: the transaction may simply run again.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _worth_retrying(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


# The hot path is four statements between BEGIN and COMMIT: the duplicate
# check, the contact lock (which brings the open ticket along), the ticket
# update and the message insert.
_CONTACT_FIELDS = tuple(f.attname for f in Contact._meta.concrete_fields)
_TICKET_FIELDS = tuple(f.attname for f in Ticket._meta.concrete_fields)
_OPEN = tuple(str(status) for status in OPEN_STATUSES)


@dataclass(frozen=True)
class _HotSql:
    """The hot path's two reads, written once per database backend.

    Why by hand: building and compiling them through the ORM (a FilteredRelation
    join over every contact and ticket column, a Channel annotated with two
    Subqueries) cost over 1 ms of Python each per message, more than PostgreSQL
    takes to run them (issue 5). They are the statements the ORM produced, with
    table and column names from _meta, quoted by the backend, and the backend's
    own value converters (SQLite's datetimes and booleans) applied to the row.
    """

    previous_delivery: str
    # The batch's: (message id, stored message, contact of a deleted one) rows for "{ids}" = "(%s, %s, …)".
    previous_deliveries: str
    lock_contact: str
    # Many addresses, locked in contact id order: head + "(%s, %s, …)" + tail.
    lock_contacts_head: str
    lock_contacts_tail: str
    converters: tuple[tuple[int, tuple], ...]

    def convert(self, row: tuple) -> tuple:
        if not self.converters:
            return row
        values = list(row)
        for index, pairs in self.converters:
            for converter, expression in pairs:
                values[index] = converter(values[index], expression, connection)
        return tuple(values)


_HOT_SQL: dict[str, _HotSql] = {}


def _hot_sql() -> _HotSql:
    sql = _HOT_SQL.get(connection.vendor)
    if sql is None:
        sql = _HOT_SQL[connection.vendor] = _build_hot_sql()
    return sql


def _build_hot_sql() -> _HotSql:
    qn = connection.ops.quote_name
    contact, identity, ticket = Contact._meta, ContactIdentity._meta, Ticket._meta
    message, deleted = Message._meta, DeletedMessage._meta

    def column(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    def earlier_of_many(meta, stored: str, deleted: str) -> str:
        return (
            f"SELECT {column(meta, 'external_id')}, {stored}, {deleted} FROM {qn(meta.db_table)} "
            f"WHERE {column(meta, 'channel')} = %s AND {column(meta, 'external_id')} IN {{ids}}"
        )

    def earlier(meta, value: str) -> str:
        return (
            f"(SELECT {column(meta, value)} FROM {qn(meta.db_table)} WHERE {column(meta, 'channel')} = %s "
            f"AND {column(meta, 'external_id')} = %s LIMIT 1)"
        )

    statuses = ", ".join(["%s"] * len(_OPEN))
    fields = [("c", f) for f in contact.concrete_fields] + [("t", f) for f in ticket.concrete_fields]
    # The channel address comes last: the batch look-up needs it to tell its rows apart.
    lock_head = (
        f"SELECT {', '.join(f'{alias}.{qn(f.column)}' for alias, f in fields)}, i.{column(identity, 'external_id')} "
        f"FROM {qn(contact.db_table)} c "
        f"INNER JOIN {qn(identity.db_table)} i ON i.{column(identity, 'contact')} = c.{qn(contact.pk.column)} "
        f"LEFT OUTER JOIN {qn(ticket.db_table)} t ON t.{column(ticket, 'contact')} = c.{qn(contact.pk.column)} "
        f"AND t.{column(ticket, 'channel')} = %s AND t.{column(ticket, 'status')} IN ({statuses}) "
        f"WHERE i.{column(identity, 'channel')} = %s AND i.{column(identity, 'external_id')}"
    )
    # The contact row only: PostgreSQL cannot lock the nullable side of an outer join. SQLite locks the database.
    lock_tail = ""
    if connection.features.has_select_for_update:
        lock_tail = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else " FOR UPDATE"
    converters = []
    for index, (alias, field) in enumerate(fields):
        expression = field.get_col(alias)
        pairs = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if pairs:
            converters.append((index, tuple((converter, expression) for converter in pairs)))
    return _HotSql(
        previous_delivery=f"SELECT {earlier(message, 'id')}, {earlier(deleted, 'contact')}",
        previous_deliveries=(
            f"{earlier_of_many(message, column(message, 'id'), 'NULL')} UNION ALL "
            f"{earlier_of_many(deleted, 'NULL', column(deleted, 'contact'))}"
        ),
        lock_contact=f"{lock_head} = %s LIMIT 1{lock_tail}",
        lock_contacts_head=f"{lock_head} IN ",
        lock_contacts_tail=f" ORDER BY c.{qn(contact.pk.column)}{lock_tail}",
        converters=tuple(converters),
    )


def _route(channel: Channel, inbound: InboundMessage) -> RoutedMessage:
    with transaction.atomic():
        stored_id, deleted_for = _previous_delivery(channel, inbound.message_id)
        if stored_id is not None:
            first = Message.objects.select_related("ticket__contact").get(pk=stored_id)
            return RoutedMessage(message=first, ticket=first.ticket, contact=first.ticket.contact, duplicate=True)
        if deleted_for is not None:
            return _deleted(Contact.objects.get(pk=deleted_for))
        contact, ticket = _lock_contact_with_open_ticket(channel, inbound)
        if contact is None:
            contact = _create_contact(channel, inbound)
        return _store(channel, contact, ticket, inbound)


def _previous_delivery(channel: Channel, message_id: str) -> tuple[int | None, int | None]:
    """In one query: the id of the message stored under this id, or the contact of one deleted since."""
    with connection.cursor() as cursor:
        cursor.execute(_hot_sql().previous_delivery, (channel.pk, message_id, channel.pk, message_id))
        return cursor.fetchone()


def _deleted(contact: Contact) -> RoutedMessage:
    return RoutedMessage(message=None, ticket=None, contact=contact, duplicate=True)


def _lock_contact_with_open_ticket(channel: Channel, inbound: InboundMessage) -> tuple[Contact | None, Ticket | None]:
    """Lock the contact this channel address belongs to, and return it with its open ticket on the channel.

    One statement: the contact row is locked (FOR UPDATE OF the contact only),
    the open ticket comes along through a LEFT JOIN. The ticket row is not
    locked by it (PostgreSQL cannot lock the nullable side of an outer join),
    so after waiting for the contact lock it may show an older status;
    _store's update matches only the status read, else reads it again.
    """
    sql = _hot_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql.lock_contact, (channel.pk, *_OPEN, channel.pk, inbound.contact_id))
        row = cursor.fetchone()
    if row is None:
        return None, None
    row = sql.convert(row)
    db = Contact.objects.db
    contact = Contact.from_db(db, _CONTACT_FIELDS, row[: len(_CONTACT_FIELDS)])
    ticket_values = row[len(_CONTACT_FIELDS) : -1]
    ticket = None if ticket_values[0] is None else Ticket.from_db(db, _TICKET_FIELDS, ticket_values)
    return contact, ticket


def _create_contact(channel: Channel, inbound: InboundMessage) -> Contact:
    """Create the contact and its identity on first contact.

    If another delivery creates the same address first, the identity insert
    raises IntegrityError, the whole transaction rolls back and
    route_inbound_message tries again, finding that contact.
    """
    contact = Contact.objects.create(name=inbound.contact_name, phone=inbound.phone, email=inbound.email or "")
    ContactIdentity.objects.create(contact=contact, channel=channel, external_id=inbound.contact_id)
    return contact


def _add_to_ticket(ticket_id: int, status: str, *, now, preview: str) -> bool:
    """Count the message in the ticket if its status is still `status`; the row stays locked till commit."""
    updated = Ticket.objects.filter(pk=ticket_id, status=status).update(
        message_count=F("message_count") + 1, last_message_at=now, last_message_preview=preview, updated_at=now
    )
    return bool(updated)


def _store(channel: Channel, contact: Contact, ticket: Ticket | None, inbound: InboundMessage) -> RoutedMessage:
    now = timezone.now()
    sent_at = inbound.sent_at or now
    preview = preview_of(inbound.text)
    if ticket is not None and not _add_to_ticket(ticket.pk, ticket.status, now=now, preview=preview):
        # The ticket changed after the contact lock read it (resolved,
        # released, assigned): lock it and read it again, as it is now.
        ticket = Ticket.objects.open().select_for_update().filter(pk=ticket.pk).first()
        if ticket is not None:
            _add_to_ticket(ticket.pk, ticket.status, now=now, preview=preview)
    if ticket is None:
        ticket = Ticket.objects.create(
            contact=contact,
            channel=channel,
            status=new_ticket_status(contact),
            last_message_at=now,
            message_count=1,
            last_message_preview=preview,
        )
    message = Message.objects.create(
        ticket=ticket,
        channel=channel,
        direction=Message.Direction.IN,
        body=inbound.text,
        external_id=inbound.message_id,
        sent_at=sent_at,
    )
    routed = RoutedMessage(message=message, ticket=ticket, contact=contact, duplicate=False)
    reach_bot_on_commit([routed])  # the BOT hears each customer message of its tickets (tickets/bot.py)
    return routed


class _TicketChanged(Exception):
    """An open ticket changed between the contact lock and the update: route the batch one by one instead."""


def route_inbound_batch(*, channel: Channel, inbounds: Sequence[InboundMessage]) -> list[RoutedMessage]:
    """Store a channel's burst in one transaction with set-based statements; answer each as routing one by one would.

    A handful of statements whatever the batch size: the duplicate check, the
    contact locks (in id order, bringing the open tickets along), the new
    contacts and identities, the new tickets, one update of the open tickets
    and the messages. Should a racing delivery or a ticket that changed get in
    the way, the batch runs again, and at last message by message.
    """
    for _ in range(ROUTE_ATTEMPTS - 1):
        try:
            with transaction.atomic():
                return _route_batch(channel, list(inbounds))
        except _TicketChanged:
            pass
        except (IntegrityError, OperationalError) as exc:
            if not _worth_retrying(exc):
                raise
    with transaction.atomic():
        return [route_inbound_message(channel=channel, inbound=inbound) for inbound in inbounds]


def _route_batch(channel: Channel, inbounds: list[InboundMessage]) -> list[RoutedMessage]:
    now = timezone.now()
    stored_ids, deleted = _previous_deliveries(channel, list({i.message_id for i in inbounds}))
    stored = (
        {m.external_id: m for m in Message.objects.select_related("ticket__contact").filter(pk__in=stored_ids)}
        if stored_ids
        else {}
    )
    deleted_contacts = Contact.objects.in_bulk(set(deleted.values())) if deleted else {}
    seen = stored.keys() | deleted.keys()
    fresh = list({i.message_id: i for i in reversed(inbounds) if i.message_id not in seen}.values())[::-1]
    contacts, open_tickets = _lock_contacts_with_open_tickets(channel, {i.contact_id for i in fresh})
    new_addresses = list(dict.fromkeys(i.contact_id for i in fresh if i.contact_id not in contacts))
    if new_addresses:
        profile = {}
        for inbound in fresh:
            profile.setdefault(inbound.contact_id, inbound)
        created = Contact.objects.bulk_create(
            Contact(name=profile[a].contact_name, phone=profile[a].phone, email=profile[a].email or "")
            for a in new_addresses
        )
        ContactIdentity.objects.bulk_create(
            ContactIdentity(contact=contact, channel=channel, external_id=address)
            for address, contact in zip(new_addresses, created, strict=True)
        )
        contacts.update(zip(new_addresses, created, strict=True))
    # A contact may have several addresses on the channel: its messages share one ticket.
    groups: dict[int, list[InboundMessage]] = {}
    for inbound in fresh:
        groups.setdefault(contacts[inbound.contact_id].pk, []).append(inbound)
    by_contact = {c.pk: c for c in contacts.values()}
    tickets = {pk: t for pk, t in open_tickets.items() if pk in groups}
    _add_to_tickets(tickets, groups, now=now)
    missing = [pk for pk in groups if pk not in tickets]
    created_tickets = Ticket.objects.bulk_create(
        Ticket(
            contact=by_contact[pk],
            channel=channel,
            status=new_ticket_status(by_contact[pk]),
            last_message_at=now,
            message_count=len(groups[pk]),
            last_message_preview=preview_of(groups[pk][-1].text),
        )
        for pk in missing
    )
    tickets.update(zip(missing, created_tickets, strict=True))
    messages = Message.objects.bulk_create(
        Message(
            ticket=tickets[contacts[i.contact_id].pk],
            channel=channel,
            direction=Message.Direction.IN,
            body=i.text,
            external_id=i.message_id,
            sent_at=i.sent_at or now,
        )
        for i in fresh
    )
    routed = {
        m.external_id: RoutedMessage(message=m, ticket=m.ticket, contact=contacts[i.contact_id], duplicate=False)
        for m, i in zip(messages, fresh, strict=True)
    }
    reach_bot_on_commit(routed.values())  # the BOT hears each customer message of its tickets (tickets/bot.py)
    results, answered = [], set()
    for inbound in inbounds:
        first = stored.get(inbound.message_id)
        if first is not None:
            results.append(
                RoutedMessage(message=first, ticket=first.ticket, contact=first.ticket.contact, duplicate=True)
            )
        elif inbound.message_id in deleted:
            results.append(_deleted(deleted_contacts[deleted[inbound.message_id]]))
        elif inbound.message_id in answered:  # repeated inside the batch: answer with the first copy
            r = routed[inbound.message_id]
            results.append(RoutedMessage(message=r.message, ticket=r.ticket, contact=r.contact, duplicate=True))
        else:
            answered.add(inbound.message_id)
            results.append(routed[inbound.message_id])
    return results


def _previous_deliveries(channel: Channel, message_ids: list[str]) -> tuple[list[int], dict[str, int]]:
    """In one query: the ids of the messages stored under these ids, and {id: contact} of those deleted since."""
    sql = _hot_sql()
    placeholders = f"({', '.join(['%s'] * len(message_ids))})"
    with connection.cursor() as cursor:
        cursor.execute(
            sql.previous_deliveries.format(ids=placeholders), (channel.pk, *message_ids, channel.pk, *message_ids)
        )
        rows = cursor.fetchall()
    return [stored for _, stored, _ in rows if stored is not None], {
        external_id: contact for external_id, _, contact in rows if contact is not None
    }


def _lock_contacts_with_open_tickets(channel: Channel, addresses: set[str]) -> tuple[dict, dict]:
    """Lock the contacts of these addresses in id order; return {address: contact} and {contact id: open ticket}."""
    if not addresses:
        return {}, {}
    sql = _hot_sql()
    with connection.cursor() as cursor:
        placeholders = f"({', '.join(['%s'] * len(addresses))})"
        cursor.execute(
            sql.lock_contacts_head + placeholders + sql.lock_contacts_tail,
            (channel.pk, *_OPEN, channel.pk, *addresses),
        )
        rows = [sql.convert(row) for row in cursor.fetchall()]
    db = Contact.objects.db
    contacts, tickets = {}, {}
    for row in rows:
        contact = Contact.from_db(db, _CONTACT_FIELDS, row[: len(_CONTACT_FIELDS)])
        contacts[row[-1]] = contact
        ticket_values = row[len(_CONTACT_FIELDS) : -1]
        if ticket_values[0] is not None:
            tickets[contact.pk] = Ticket.from_db(db, _TICKET_FIELDS, ticket_values)
    return contacts, tickets


def _add_to_tickets(tickets: dict[int, Ticket], groups: dict[int, list[InboundMessage]], *, now) -> None:
    """Count each group's messages in its open ticket, in one UPDATE, if every status is still the one read.

    Written by hand: as ORM expressions (a Q per ticket, two Case/When per
    ticket) the statement cost ~1 ms of Python per ticket to build, most of a
    100-message batch's time. Plain CASE … WHEN, valid on SQLite and PostgreSQL.
    """
    if not tickets:
        return
    meta = Ticket._meta
    qn = connection.ops.quote_name
    pk, status = qn(meta.pk.column), qn(meta.get_field("status").column)
    whens = " ".join(["WHEN %s THEN %s"] * len(tickets))
    count_col, preview_col = (
        qn(meta.get_field("message_count").column),
        qn(meta.get_field("last_message_preview").column),
    )
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {count_col} = {count_col} + (CASE {pk} {whens} END), "
        f"{preview_col} = (CASE {pk} {whens} END), "
        f"{qn(meta.get_field('last_message_at').column)} = %s, {qn(meta.get_field('updated_at').column)} = %s "
        f"WHERE {' OR '.join([f'({pk} = %s AND {status} = %s)'] * len(tickets))}"
    )
    at = meta.get_field("updated_at").get_db_prep_value(now, connection)
    params = []
    for contact_pk, ticket in tickets.items():
        params += (ticket.pk, len(groups[contact_pk]))
    for contact_pk, ticket in tickets.items():
        params += (ticket.pk, preview_of(groups[contact_pk][-1].text))
    params += (at, at)
    for ticket in tickets.values():
        params += (ticket.pk, str(ticket.status))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.rowcount
    if updated != len(tickets):
        raise _TicketChanged
