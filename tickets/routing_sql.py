"""Routing's hand-written SQL: the earlier-delivery look-up with the contact locks, and the open-ticket update.

Also the look-up of the person a new address belongs to (lock_people, after
lock_addresses): it runs only for new addresses, and shares the contact lock's
columns and open-ticket join.

Why by hand: building and compiling them through the ORM (a FilteredRelation
join over every contact and ticket column, a Channel annotated with two
Subqueries, a Q and two Case/When per ticket) cost over 1 ms of Python per
message, more than PostgreSQL takes to run them (issue 5). They are the
statements the ORM produced, with table and column names from _meta, quoted by
the backend, and the backend's own value converters (SQLite's datetimes and
booleans) applied to the rows. tests/tickets/test_routing_sql.py checks them
against what the ORM loads and writes.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from django.db import connection

from blockdesk.insert_rows import insert_after
from blockdesk.model_rows import from_row
from contacts.addresses import EMAIL_KINDS, PHONE_KINDS
from contacts.models import Channel, Contact, ContactIdentity
from settings_app.models import SystemSettings
from settings_app.switches import COLUMNS as SWITCH_COLUMNS
from settings_app.switches import Switches, switches_of_row

from .models import OPEN_STATUSES, DeletedMessage, Message, Notice, Speaker, Ticket

_CONTACT_FIELDS = tuple(f.attname for f in Contact._meta.concrete_fields)
_TICKET_FIELDS = tuple(f.attname for f in Ticket._meta.concrete_fields)
_OPEN = tuple(str(status) for status in OPEN_STATUSES)


@dataclass(frozen=True)
class _HotSql:
    """The statements whose shape does not depend on the batch, written once per database backend."""

    # The contacts of "{addresses}" = "(%s, %s, …)" locked in contact id order with their open tickets, and the
    # earlier deliveries of "{ids}", in one statement. Rows: contact and ticket columns, address, stored message,
    # contact of a deleted message; an earlier delivery's row has only the last three (its message id first).
    look_back_and_lock: str
    # The same columns for contacts found another way: people_head + "(SELECT person, address …)" + people_tail.
    people_head: str
    people_tail: str
    converters: tuple[tuple[int, tuple], ...]
    # PostgreSQL only (else ""): look_back_and_lock that also reads the switches and counts with their flood window.
    with_switches: str = ""

    def convert(self, row: tuple) -> tuple:
        if not self.converters:
            return row
        values = list(row)
        for index, pairs in self.converters:
            for converter, expression in pairs:
                values[index] = converter(values[index], expression, connection)
        return tuple(values)


_HOT_SQL: dict[tuple[str, bool], _HotSql] = {}


def _hot_sql(counting: bool) -> _HotSql:
    """The statements for this database; with `counting`, each contact row also counts its recent messages."""
    key = (connection.vendor, counting)
    sql = _HOT_SQL.get(key)
    if sql is None:
        sql = _HOT_SQL[key] = _build_hot_sql(counting)
    return sql


@dataclass(frozen=True)
class RecentWindow:
    """The flood guard's question, asked in the contact lock: how many customer messages since `since` (up to `cap`)."""

    since: datetime
    cap: int

    def params(self) -> tuple:
        since = Message._meta.get_field("sent_at").get_db_prep_value(self.since, connection)
        if connection.vendor == "postgresql":
            return (since, self.cap)
        return (Message.Direction.IN.value, since, self.cap)


def _recent_messages(since: str = "%s", cap: str = "%s") -> str:
    """The open ticket's customer messages sent since the window opened (and since a dismissal), counted to a cap.

    The cap (LIMIT) keeps the count as cheap as the flood limit, however long the
    ticket: the range of the ticket's timeline index is read no further. On
    PostgreSQL it is the function blockdesk_recent_messages (migration
    tickets/0012), whose plan PL/pgSQL keeps: as a subquery here it cost each
    message 0.2 ms of planning, the statement being planned on every run.
    `since` and `cap` are parameters unless the switches are read in the statement.
    """
    qn = connection.ops.quote_name
    message, contact = Message._meta, Contact._meta
    counted_from = f"c.{_column(contact, 'flood_counted_from')}"
    if connection.vendor == "postgresql":
        return f"blockdesk_recent_messages(t.{qn(Ticket._meta.pk.column)}, {since}, {counted_from}, {cap})"
    sent = f"m.{_column(message, 'sent_at')}"
    return (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {qn(message.db_table)} m "
        f"WHERE m.{_column(message, 'ticket')} = t.{qn(Ticket._meta.pk.column)} "
        f"AND m.{_column(message, 'direction')} = %s AND {sent} >= {since} "
        f"AND ({counted_from} IS NULL OR {sent} >= {counted_from}) LIMIT {cap}) recent)"
    )


def _recent_messages_of_the_switches() -> str:
    """The recent count with the flood window of the switches row `s` in the same statement; NULL with the guard off."""
    settings = SystemSettings._meta
    since = f"%s - make_interval(mins => s.{_column(settings, 'flood_minutes')})"
    cap = f"s.{_column(settings, 'flood_messages')} + 1"
    return f"CASE WHEN s.{_column(settings, 'flood_guard_enabled')} THEN {_recent_messages(since, cap)} END"


def _column(meta, name: str) -> str:
    return connection.ops.quote_name(meta.get_field(name).column)


def _build_hot_sql(counting: bool) -> _HotSql:
    qn = connection.ops.quote_name
    contact, identity, ticket = Contact._meta, ContactIdentity._meta, Ticket._meta

    def earlier_of_many(meta, stored: str, deleted: str) -> str:
        return (
            f"SELECT {_column(meta, 'external_id')}, {stored}, {deleted} FROM {qn(meta.db_table)} "
            f"WHERE {_column(meta, 'channel')} = %s AND {_column(meta, 'external_id')} {{ids}}"
        )

    statuses = ", ".join(["%s"] * len(_OPEN))
    fields = [("c", f) for f in contact.concrete_fields] + [("t", f) for f in ticket.concrete_fields]
    columns = ", ".join(f"{alias}.{qn(f.column)}" for alias, f in fields)
    open_ticket = (
        f"LEFT OUTER JOIN {qn(ticket.db_table)} t ON t.{_column(ticket, 'contact')} = c.{qn(contact.pk.column)} "
        f"AND t.{_column(ticket, 'channel')} = %s AND t.{_column(ticket, 'status')} IN ({statuses}) "
    )
    # The contact rows only: PostgreSQL cannot lock the nullable side of an outer join. SQLite locks the database.
    lock_tail = f" ORDER BY c.{qn(contact.pk.column)}"
    if connection.features.has_select_for_update:
        lock_tail += " FOR UPDATE OF c" if connection.features.has_select_for_update_of else " FOR UPDATE"

    def lock(recent: str, joins: str = "") -> str:
        """The locking SELECT of the contacts of {addresses}; the channel address comes last (it tells the rows of a
        batch apart), the recent count, if any, just before it."""
        return (
            f"SELECT {columns}{recent}, i.{_column(identity, 'external_id')} "
            f"FROM {qn(contact.db_table)} c "
            f"INNER JOIN {qn(identity.db_table)} i ON i.{_column(identity, 'contact')} = c.{qn(contact.pk.column)} "
            f"{open_ticket}{joins}"
            f"WHERE i.{_column(identity, 'channel')} = %s AND i.{_column(identity, 'external_id')} {{addresses}}"
            f"{lock_tail}"
        )

    recent = f", {_recent_messages()}" if counting else ""
    converters = []
    for index, (alias, field) in enumerate(fields):
        expression = field.get_col(alias)
        pairs = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if pairs:
            converters.append((index, tuple((converter, expression) for converter in pairs)))
    message, deleted = Message._meta, DeletedMessage._meta
    previous = (
        f"{earlier_of_many(message, _column(message, 'id'), 'NULL')} UNION ALL "
        f"{earlier_of_many(deleted, 'NULL', _column(deleted, 'contact'))}"
    )
    # The locking SELECT is a subquery (a UNION cannot lock); its two extra columns are typed, as the first
    # branch gives a UNION's column types. The look-back rows fill the contact and ticket columns with NULLs.
    typed_null = ", ".join(
        f"CAST(NULL AS {f.cast_db_type(connection)})" for f in (message.pk, deleted.get_field("contact"))
    )
    nulls = ", ".join(["NULL"] * (len(fields) + (1 if counting else 0)))
    with_switches = ""
    if connection.vendor == "postgresql" and counting:
        # The switches row `s` (a CTE) joins the lock, whose count asks its window, and is the third branch. LEFT
        # JOIN: were the row missing, the contacts would still be locked and read. Its columns are typed in the
        # first branch, as the two above; NULL in the other branches.
        settings = SystemSettings._meta
        switch_fields = [settings.get_field(name) for name in SWITCH_COLUMNS]
        no_switches = ", ".join(f"CAST(NULL AS {f.cast_db_type(connection)})" for f in switch_fields)
        with_switches = (
            f"WITH s AS (SELECT {', '.join(qn(f.column) for f in switch_fields)} FROM {qn(settings.db_table)} "
            f"WHERE {qn(settings.pk.column)} = %s) "
            f"SELECT locked.*, {typed_null}, {no_switches} "
            f"FROM ({lock(f', {_recent_messages_of_the_switches()}', 'LEFT OUTER JOIN s ON TRUE ')}) locked "
            f"UNION ALL SELECT {nulls}, earlier.*, {no_switches} FROM ({previous}) earlier "
            f"UNION ALL SELECT {nulls}, NULL, NULL, NULL, s.* FROM s"
        )
    return _HotSql(
        look_back_and_lock=(
            f"SELECT locked.*, {typed_null} FROM ({lock(recent)}) locked "
            f"UNION ALL SELECT {nulls}, earlier.* FROM ({previous}) earlier"
        ),
        people_head=f"SELECT {columns}{recent}, m.address FROM {qn(contact.db_table)} c INNER JOIN ",
        people_tail=f" m ON m.person = c.{qn(contact.pk.column)} {open_ticket}{lock_tail}",
        converters=tuple(converters),
        with_switches=with_switches,
    )


def _placeholders(n: int) -> str:
    return f"({', '.join(['%s'] * n)})"


def _in_list(values) -> str:
    """The placeholders of an IN list; IN (NULL), which matches nothing, for no values."""
    return f"IN {_placeholders(len(values)) if values else '(NULL)'}"


def _one_of(values) -> tuple[str, tuple]:
    """The condition "is one of `values`" and its parameters: for several values on PostgreSQL one array, so the
    statement's text is the same for any number of them (prepared, planned once); else an IN list. One value stays
    IN (%s): its plan is a plain index look-up; with an array one message took up to 1 ms longer (issue 11)."""
    if connection.vendor == "postgresql" and len(values) > 1:
        return "= ANY(%s)", (list(values),)
    return _in_list(values), tuple(values)


class LookBack(NamedTuple):
    """What routing reads before it writes: the earlier deliveries, the locked contacts and their open tickets."""

    stored: list[int]  # ids of the messages stored under these message ids
    deleted: dict[str, int]  # {message id: contact} of those deleted since (Delete All)
    contacts: dict[str, Contact]  # {address: contact}, locked
    tickets: dict[int, Ticket]  # {contact id: its open ticket on the channel}
    recent: dict[int, int]  # {contact id: its customer messages in the open ticket within the window} when asked
    # The system switches, when read in the same statement (look_back_lock_and_read_switches; None if missing).
    switches: Switches | None = None


def look_back_and_lock(
    channel: Channel, message_ids: list[str], addresses: set[str], *, window: RecentWindow | None = None
) -> LookBack:
    """Find the earlier deliveries of these message ids; lock the contacts of these addresses, with their open tickets.

    One statement (until issue 11 two: one round trip less per message). The
    contact rows are locked in id order (FOR UPDATE OF the contacts only); the
    open tickets come along through a LEFT JOIN. The ticket rows are not
    locked by it (PostgreSQL cannot lock the nullable side of an outer join),
    so after waiting for a contact lock a ticket may show an older status:
    add_to_tickets matches only the status read. Every address is locked, a
    repeat delivery's too; it holds that lock till commit, as a new message does.
    The message ids are read with the statement's first snapshot too: a message
    found may have been deleted by the time the lock is granted (routing then
    reads the deleted ids again).
    """
    sql = _hot_sql(window is not None)
    asked = window.params() if window else ()
    return _look_back(sql, sql.look_back_and_lock, asked, channel, message_ids, addresses, counting=window is not None)


def can_read_switches_in_lock() -> bool:
    """look_back_lock_and_read_switches is there (PostgreSQL); elsewhere the switches are a statement of their own."""
    return connection.vendor == "postgresql"


def look_back_lock_and_read_switches(
    channel: Channel, message_ids: list[str], addresses: set[str], *, now: datetime
) -> LookBack:
    """look_back_and_lock that also reads the system switches, and counts with their flood window ending `now`.

    For the doors that did not read the switches with their channel (native
    webhooks, the mail poller): one round trip less per message (issue 11).
    The switches are read with the statement's snapshot, as a statement of
    their own just before it would. PostgreSQL only (can_read_switches_in_lock).
    """
    sql = _hot_sql(True)
    asked = (SystemSettings.SINGLETON_PK, Message._meta.get_field("sent_at").get_db_prep_value(now, connection))
    return _look_back(sql, sql.with_switches, asked, channel, message_ids, addresses, counting=True, switches=True)


def _look_back(
    sql: _HotSql,
    template: str,
    asked: tuple,
    channel: Channel,
    message_ids: list[str],
    addresses: set[str],
    *,
    counting: bool,
    switches: bool = False,
) -> LookBack:
    (addresses_sql, addresses), (ids_sql, ids) = _one_of(addresses), _one_of(message_ids)
    statement = template.format(addresses=addresses_sql, ids=ids_sql)
    with connection.cursor() as cursor:
        cursor.execute(
            statement, (*asked, channel.pk, *_OPEN, channel.pk, *addresses, channel.pk, *ids, channel.pk, *ids)
        )
        rows = cursor.fetchall()
    read = None
    if switches:
        # Each row ends with the switch columns: NULL but in the switches' own row.
        tail = -len(SWITCH_COLUMNS)
        read = next((switches_of_row(row[tail:]) for row in rows if row[tail] is not None), None)
        rows = [row[:tail] for row in rows if row[tail] is None]
    stored, deleted, locked = [], {}, []
    for row in rows:
        message, contact = row[-2], row[-1]
        if message is not None:
            stored.append(message)
        elif contact is not None:
            deleted[row[-3]] = contact
        else:
            locked.append(sql.convert(row[:-2]))
    contacts, tickets, recent = {}, {}, {}
    for address, contact, ticket, count in _contacts_and_tickets(locked, counting=counting):
        contacts[address] = contact
        if ticket is not None:
            tickets[contact.pk] = ticket
            recent[contact.pk] = count or 0
    return LookBack(stored, deleted, contacts, tickets, recent, read)


def _contacts_and_tickets(rows: list[tuple], *, counting: bool) -> list[tuple[str, Contact, Ticket | None, int]]:
    """(address, contact, open ticket or None, recent count) of each row: contact, ticket columns, [count,] address."""
    db = Contact.objects.db
    found = []
    end = -2 if counting else -1
    for row in rows:
        contact = from_row(Contact, db, _CONTACT_FIELDS, row[: len(_CONTACT_FIELDS)])
        ticket_values = row[len(_CONTACT_FIELDS) : end]
        ticket = from_row(Ticket, db, _TICKET_FIELDS, ticket_values) if ticket_values[0] is not None else None
        found.append((row[-1], contact, ticket, row[-2] if counting else 0))
    return found


# PostgreSQL advisory locks are keyed by two integers: this one says "a person's address" (ASCII "BDad").
_ADDRESS_LOCK_CLASS = 0x42446164


def lock_addresses(keys: list[str]) -> None:
    """Hold a transaction lock on each phone or e-mail (PostgreSQL), taken in sorted order.

    Two first messages for one phone on two channels share no row a lock
    could wait on: neither contact nor identity exists yet, and the unique
    constraint is per channel. Without this both would find nobody and create
    two contacts. Keyed by the normalised address, the second waits until the
    first commits; its next statement, with a fresh snapshot (READ COMMITTED),
    finds the first's contact. SQLite needs nothing: its IMMEDIATE
    transactions already let one writer in at a time.
    """
    if not keys or connection.vendor != "postgresql":
        return
    ordered = sorted(set(keys))
    params = []
    for key in ordered:
        params += (_ADDRESS_LOCK_CLASS, key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s, hashtext(%s))"] * len(ordered)), params)


def lock_people(
    channel: Channel, *, phones: list[str], emails: list[str], window: RecentWindow | None = None
) -> list[tuple[str, Contact, Ticket | None, int]]:
    """Lock, in id order, every contact whose phone or e-mail is one of these; (address, contact, open ticket) rows.

    A contact matches on its own phone / e-mail (case-insensitive; merged-away
    contacts never), or on an identity of the same address on a phone-like /
    e-mail channel. Its open
    ticket on `channel` comes along, as with look_back_and_lock.
    """
    contact, identity, kind = Contact._meta, ContactIdentity._meta, Channel._meta
    qn = connection.ops.quote_name
    table = qn(contact.db_table)

    def on_identities(kinds: list[str], n: int) -> str:
        return (
            f"SELECT i.{_column(identity, 'contact')} AS person, i.{_column(identity, 'external_id')} AS address "
            f"FROM {qn(identity.db_table)} i INNER JOIN {qn(kind.db_table)} ch "
            f"ON ch.{qn(kind.pk.column)} = i.{_column(identity, 'channel')} "
            f"WHERE ch.{_column(kind, 'kind')} IN {_placeholders(len(kinds))} "
            f"AND i.{_column(identity, 'external_id')} IN {_placeholders(n)}"
        )

    # A merged-away contact keeps its phone and e-mail for history; it is nobody to join.
    live = f"{_column(contact, 'merged_into')} IS NULL"
    phone_kinds, email_kinds = sorted(PHONE_KINDS), sorted(EMAIL_KINDS)
    parts, params = [], []
    if phones:
        phone = _column(contact, "phone")
        parts += [
            on_identities(phone_kinds, len(phones)),
            f"SELECT {qn(contact.pk.column)}, {phone} FROM {table} "
            f"WHERE {phone} IN {_placeholders(len(phones))} AND {live}",
        ]
        params += [*phone_kinds, *phones, *phones]
    if emails:
        email = f"LOWER({_column(contact, 'email')})"  # the expression of the index contact_email_lower
        parts += [
            on_identities(email_kinds, len(emails)),
            f"SELECT {qn(contact.pk.column)}, {email} FROM {table} "
            f"WHERE {email} IN {_placeholders(len(emails))} AND {live}",
        ]
        params += [*email_kinds, *emails, *emails]
    if not parts:
        return []
    sql = _hot_sql(window is not None)
    asked = window.params() if window else ()
    with connection.cursor() as cursor:
        cursor.execute(
            f"{sql.people_head}({' UNION '.join(parts)}){sql.people_tail}", (*asked, *params, channel.pk, *_OPEN)
        )
        rows = [sql.convert(row) for row in cursor.fetchall()]
    return _contacts_and_tickets(rows, counting=window is not None)


@dataclass(frozen=True)
class TicketAddition:
    """Messages to count in an open ticket: how many, and the preview of the last."""

    ticket: Ticket
    messages: int
    preview: str


def add_to_tickets(additions: list[TicketAddition], *, now: datetime) -> set[int]:
    """Count the messages in their tickets, in one UPDATE, where the status is still the one read; return their ids.

    The customer spoke last, and waits since now unless already waiting.

    The other tickets are left as they are. The updated rows stay locked till commit.
    Plain CASE … WHEN and RETURNING, valid on SQLite (3.35+) and PostgreSQL;
    several tickets on PostgreSQL come as one array per column joined to the
    tickets (UNNEST): one statement text whatever the count (prepared, planned
    once), where a CASE and an OR per ticket were planned afresh for each batch.
    """
    if not additions:
        return set()
    sql, params = _addition_update(additions, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {updated for (updated,) in cursor.fetchall()}


def add_to_ticket_with_message(
    addition: TicketAddition, message: Message, notice: Notice | None = None, *, now: datetime
) -> bool:
    """PostgreSQL: add_to_tickets for one ticket and its one new message, with the message's INSERT (and the
    notice's, if any), in one statement.

    False, and nothing written, when the ticket's status is no longer the one read.
    """
    sql, params = _addition_update([addition], now=now)
    return insert_after(sql, params, message, *([notice] if notice is not None else []), key="ticket")


def _addition_update(additions: list[TicketAddition], *, now: datetime) -> tuple[str, list]:
    at = Ticket._meta.get_field("updated_at").get_db_prep_value(now, connection)
    spoke_params = (at, at, at, Speaker.CUSTOMER.value)
    if connection.vendor == "postgresql" and len(additions) > 1:
        params = [
            *spoke_params,
            [a.ticket.pk for a in additions],
            [a.messages for a in additions],
            [a.preview for a in additions],
            [str(a.ticket.status) for a in additions],
        ]
        return _addition_sql(connection.vendor, 0), params
    params = []
    for addition in additions:
        params += (addition.ticket.pk, addition.messages)
    for addition in additions:
        params += (addition.ticket.pk, addition.preview)
    params += spoke_params
    for addition in additions:
        params += (addition.ticket.pk, str(addition.ticket.status))
    return _addition_sql(connection.vendor, len(additions)), params


@lru_cache(maxsize=128)
def _addition_sql(vendor: str, tickets: int) -> str:
    """add_to_tickets' UPDATE for this many tickets (0: any number, as arrays; PostgreSQL), written once."""
    meta = Ticket._meta
    qn = connection.ops.quote_name
    pk, status = qn(meta.pk.column), _column(meta, "status")
    count, preview = _column(meta, "message_count"), _column(meta, "last_message_preview")
    waiting = _column(meta, "waiting_since")
    spoke = (
        f"{_column(meta, 'last_message_at')} = %s, {_column(meta, 'updated_at')} = %s, "
        f"{waiting} = COALESCE({waiting}, %s), {_column(meta, 'last_speaker')} = %s"
    )
    if not tickets:
        return (
            f"UPDATE {qn(meta.db_table)} t SET {count} = {count} + a.messages, {preview} = a.preview, {spoke} "
            f"FROM UNNEST((%b)::bigint[], (%b)::integer[], (%b)::text[], (%b)::text[]) AS a(id, messages, preview, "
            f"status) WHERE t.{pk} = a.id AND t.{status} = a.status RETURNING t.{pk}"
        )
    whens = " ".join(["WHEN %s THEN %s"] * tickets)
    return (
        f"UPDATE {qn(meta.db_table)} SET {count} = {count} + (CASE {pk} {whens} END), "
        f"{preview} = (CASE {pk} {whens} END), {spoke} "
        f"WHERE {' OR '.join([f'({pk} = %s AND {status} = %s)'] * tickets)} RETURNING {pk}"
    )
