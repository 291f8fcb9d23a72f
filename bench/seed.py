"""Seed the benchmark database fast: bulk COPY on PostgreSQL, executemany on SQLite, never the ORM row by row.

Shape (full scale): 20,000 contacts, every 20th blocked; each on two channels
(the spammer on all four); 100,000 tickets across every queue, at most one
open per contact and channel; 1,000,000 messages, 50,000 of them in the
spammer's four blocked tickets.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from accounts import roles
from contacts.models import Block, Channel, Contact, ContactIdentity
from tickets.models import Message, Ticket, TicketStatus, preview_of

from .scales import Scale

CHANNEL_KINDS = (
    ("WhatsApp", Channel.Kind.WHATSAPP),
    ("Telegram", Channel.Kind.TELEGRAM),
    ("E-mail", Channel.Kind.EMAIL),
    ("Web chat", Channel.Kind.WEBCHAT),
)
FIRST_NAMES = [
    "Budi",
    "Sari",
    "Adi",
    "Ana",
    "Ben",
    "Dewi",
    "Eko",
    "Fitri",
    "Gita",
    "Hadi",
    "Indra",
    "Joko",
    "Kiki",
    "Lina",
    "Made",
    "Nina",
    "Oki",
    "Putu",
    "Rina",
    "Tono",
]
LAST_NAMES = [
    "Santoso",
    "Wijaya",
    "Pratama",
    "Halim",
    "Kusuma",
    "Siregar",
    "Nasution",
    "Gunawan",
    "Hartono",
    "Lestari",
    "Saputra",
    "Hidayat",
]
BODIES = (
    "Hello, my order has not arrived yet, can you check?",
    "WIN A FREE PHONE!!! click http://spam.example/now",
    "Thanks, that solved it.",
    "Can I change the delivery address for order 4411?",
    "Promo promo promo, cheap followers, DM me",
    "What are your opening hours on Sunday?",
    "I was charged twice for the same invoice.",
    "ok",
)
AGENTS = 10
PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class OpenTicket:
    ticket_id: int
    contact_index: int
    channel_id: int


@dataclass
class Dataset:
    """What the later stages need to know about the seeded rows."""

    channel_ids: list[int]
    tokens: dict[int, str]  # channel id -> raw bearer token
    supervisor_id: int
    spammer_id: int
    counts: dict[str, int]
    open_tickets: list[OpenTicket] = field(default_factory=list)  # of unblocked contacts
    blocked_tickets: list[OpenTicket] = field(default_factory=list)  # of blocked contacts but the spammer
    search_text: str = "Kusuma"
    agent_ids: list[int] = field(default_factory=list)

    @staticmethod
    def address(contact_index: int) -> str:
        return f"+62812{contact_index:07d}"


def seed(scale: Scale) -> Dataset:
    with transaction.atomic():
        data = _seed(scale)
    _analyze()
    return data


def _seed(scale: Scale) -> Dataset:
    now = timezone.now()
    user_model = get_user_model()
    supervisor = user_model.objects.create_user("bench-supervisor", password=PASSWORD, first_name="Sari")
    supervisor.groups.add(Group.objects.get(name=roles.SUPERVISORS))
    agents_group = Group.objects.get(name=roles.AGENTS)
    agent_ids = []
    for n in range(AGENTS):
        agent = user_model.objects.create_user(f"bench-agent-{n}", password=PASSWORD)
        agent.groups.add(agents_group)
        agent_ids.append(agent.pk)
    channels, tokens = [], {}
    for name, kind in CHANNEL_KINDS:
        # No limit: the bench measures throughput; the limits are still counted on every request (their cost).
        channel = Channel(name=name, kind=kind, requests_per_minute=0, messages_per_minute=0)
        tokens_raw = channel.set_new_token()
        channel.save()
        channels.append(channel.pk)
        tokens[channel.pk] = tokens_raw

    n = scale.contacts
    is_blocked = [i % scale.blocked_every == 0 for i in range(n)]  # index 0, the spammer, is blocked
    contact_rows = []
    for i in range(n):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
        created = now - timedelta(days=120, seconds=i)
        blocked_at = now - timedelta(days=1 + i % 30) if is_blocked[i] else None
        contact_rows.append(
            (
                i + 1,
                f"{first} {last}",
                Dataset.address(i),
                f"{first.lower()}.{last.lower()}{i}@example.com",
                is_blocked[i],
                "spam" if is_blocked[i] else "",
                "",
                blocked_at,
                supervisor.pk if is_blocked[i] else None,
                created,
                created,
            )
        )
    columns = (
        "id name phone email is_blocked blocked_reason blocked_note blocked_at blocked_by_id created_at updated_at"
    )
    bulk_insert(Contact, columns.split(), contact_rows)

    block_rows = [
        (i + 1, i + 1, "spam", "", supervisor.pk, row[7], 0, None, None, "", 0, 0, 0)
        for i, row in enumerate(contact_rows)
        if is_blocked[i]
    ]
    columns = (
        "id contact_id reason note blocked_by_id blocked_at tickets_resolved lifted_by_id lifted_at lifted_with"
        " tickets_released tickets_deleted messages_deleted"
    )
    bulk_insert(Block, columns.split(), block_rows)

    def channels_of(i: int) -> list[int]:
        if i == 0:
            return list(channels)
        return [channels[i % len(channels)], channels[(i + 1) % len(channels)]]

    identity_rows, identity_id = [], 0
    for i in range(n):
        for channel_id in channels_of(i):
            identity_id += 1
            identity_rows.append((identity_id, i + 1, channel_id, Dataset.address(i), now - timedelta(days=120)))
    bulk_insert(ContactIdentity, ["id", "contact_id", "channel_id", "external_id", "created_at"], identity_rows)

    data = Dataset(
        channel_ids=channels,
        tokens=tokens,
        supervisor_id=supervisor.pk,
        spammer_id=1,
        counts={"contacts": n, "blocked_contacts": sum(is_blocked), "identities": len(identity_rows)},
        agent_ids=agent_ids,
    )
    tickets = _plan_tickets(scale, channels_of, is_blocked, agent_ids, now, data)
    _plan_message_counts(scale, tickets)
    _insert_tickets(tickets)
    data.counts["tickets"] = len(tickets)
    data.counts["messages"] = _insert_messages(tickets, agent_ids)
    data.counts["spammer_messages"] = sum(t.messages for t in tickets if t.contact_index == 0)
    reset_sequences()
    return data


@dataclass
class _PlannedTicket:
    ticket_id: int
    contact_index: int
    channel_id: int
    status: str
    assignee_id: int | None
    started: object
    messages: int = 0
    first_message_id: int = 0


def _plan_tickets(scale, channels_of, is_blocked, agent_ids, now, data: Dataset) -> list[_PlannedTicket]:
    tickets: list[_PlannedTicket] = []
    for channel_id in channels_of(0):  # the spammer: one blocked ticket per channel
        started = now - timedelta(days=1)
        tickets.append(_PlannedTicket(len(tickets) + 1, 0, channel_id, TicketStatus.BLOCKED, None, started))
    others = scale.contacts - 1
    per_contact, extra = divmod(scale.tickets - len(tickets), others)
    open_statuses = [TicketStatus.UNASSIGNED] * 2 + [TicketStatus.ASSIGNED] * 2 + [TicketStatus.BOT]
    for i in range(1, scale.contacts):
        mine = per_contact + (1 if i <= extra else 0)
        pair = channels_of(i)
        jitter = timedelta(seconds=(i * 7919) % (14 * 86400))
        for k in range(mine):
            newest = mine - 1 - k  # 0 for the newest ticket
            channel_id = pair[newest % 2]
            is_open = newest == 0 or (newest == 1 and i % 2 == 0)
            status = TicketStatus.RESOLVED
            assignee = None
            if is_open and is_blocked[i]:
                status = TicketStatus.BLOCKED
            elif is_open:
                status = open_statuses[i % len(open_statuses)]
                if status == TicketStatus.ASSIGNED:
                    assignee = agent_ids[i % len(agent_ids)]
            elif i % 3 == 0:
                assignee = agent_ids[i % len(agent_ids)]
            started = now - timedelta(days=1 + 15 * newest) - jitter
            ticket = _PlannedTicket(len(tickets) + 1, i, channel_id, status, assignee, started)
            tickets.append(ticket)
            if is_open:
                target = data.blocked_tickets if is_blocked[i] else data.open_tickets
                target.append(OpenTicket(ticket.ticket_id, i, channel_id))
    return tickets


def _plan_message_counts(scale: Scale, tickets: list[_PlannedTicket]) -> None:
    spammer = [t for t in tickets if t.contact_index == 0]
    rest = [t for t in tickets if t.contact_index != 0]
    for j, ticket in enumerate(spammer):
        ticket.messages = scale.spammer_messages // len(spammer) + (
            1 if j < scale.spammer_messages % len(spammer) else 0
        )
    remaining = scale.messages - scale.spammer_messages
    average = remaining / len(rest)
    rng = random.Random(20261123)
    top = max(1, round(2 * average - 1))
    for ticket in rest:
        ticket.messages = rng.randint(1, top)
    difference = remaining - sum(t.messages for t in rest)
    step = 1 if difference > 0 else -1
    j = 0
    while difference:
        ticket = rest[j % len(rest)]
        if step > 0 or ticket.messages > 1:
            ticket.messages += step
            difference -= step
        j += 1
    next_id = 1
    for ticket in tickets:
        ticket.first_message_id = next_id
        next_id += ticket.messages


def _body(message_id: int) -> str:
    return BODIES[(message_id * 13) % len(BODIES)]


def _message_time(ticket: _PlannedTicket, j: int):
    if ticket.contact_index == 0:  # the spammer floods: a message a second
        return ticket.started + timedelta(seconds=j)
    return ticket.started + timedelta(seconds=90 * j)


def _is_reply(ticket: _PlannedTicket, j: int) -> bool:
    """Every third message of a conversation is our reply; a flood (blocked ticket) has none."""
    return ticket.status != TicketStatus.BLOCKED and j % 3 == 2


def _waiting(t: _PlannedTicket) -> tuple:
    """(waiting_since, last_speaker, first_reply_at) as the domain functions would have kept them."""
    last = t.messages - 1
    replies = [j for j in range(t.messages) if _is_reply(t, j)]
    speaker = "out" if _is_reply(t, last) else "in"
    waiting = None
    if speaker == "in" and t.status != TicketStatus.RESOLVED:
        waiting = _message_time(t, replies[-1] + 1 if replies else 0)
    return waiting, speaker, _message_time(t, replies[0]) if replies else None


def _insert_tickets(tickets: list[_PlannedTicket]) -> None:
    def rows():
        for t in tickets:
            last_id = t.first_message_id + t.messages - 1
            last_at = _message_time(t, t.messages - 1)
            closed = last_at if t.status == TicketStatus.RESOLVED else None
            yield (
                t.ticket_id,
                t.contact_index + 1,
                t.channel_id,
                t.status,
                t.assignee_id,
                t.started,
                last_at,
                last_at,
                closed,
                t.messages,
                preview_of(_body(last_id)),
                *_waiting(t),
            )

    columns = (
        "id contact_id channel_id status assignee_id created_at updated_at last_message_at closed_at"
        " message_count last_message_preview waiting_since last_speaker first_reply_at"
    )
    bulk_insert(Ticket, columns.split(), rows())


def _insert_messages(tickets: list[_PlannedTicket], agent_ids: list[int]) -> int:
    total = 0

    def rows():
        nonlocal total
        for t in tickets:
            for j in range(t.messages):
                message_id = t.first_message_id + j
                sent = _message_time(t, j)
                if not _is_reply(t, j):
                    yield (
                        message_id,
                        t.ticket_id,
                        t.channel_id,
                        "in",
                        _body(message_id),
                        None,
                        f"seed.{message_id}",
                        sent,
                        sent,
                    )
                else:
                    author = agent_ids[message_id % len(agent_ids)]
                    yield (message_id, t.ticket_id, t.channel_id, "out", _body(message_id), author, None, sent, sent)
                total += 1

    columns = "id ticket_id channel_id direction body author_id external_id sent_at created_at"
    bulk_insert(Message, columns.split(), rows())
    return total


def bulk_insert(model, columns: list[str], rows) -> None:
    """Insert rows (tuples in `columns` order) in bulk; other columns get their model default."""
    defaults = []
    for f in model._meta.concrete_fields:
        if f.column not in columns and not f.primary_key:
            defaults.append((f.column, f.get_db_prep_save(f.get_default(), connection)))
    names = list(columns) + [name for name, _ in defaults]
    tail = tuple(value for _, value in defaults)
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in names)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql":
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail)
        else:
            marks = ", ".join("?" for _ in names)
            raw.executemany(
                f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', (_sqlite_row(row + tail) for row in rows)
            )


def _sqlite_row(row: tuple) -> tuple:
    # Django keeps SQLite datetimes as naive UTC text.
    return tuple(v.replace(tzinfo=None).isoformat(" ") if hasattr(v, "tzinfo") and v is not None else v for v in row)


def reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [Contact, Block, ContactIdentity, Ticket, Message])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _analyze() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Contact, Block, ContactIdentity, Ticket, Message):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")
