"""insert_rows writes the rows bulk_create writes, from a statement it keeps (both SQLite and PostgreSQL)."""

from datetime import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy

from blockdesk.insert_rows import insert_after, insert_rows
from contacts.models import Contact, ContactIdentity
from tests import factories
from tickets.models import Message, Notice, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

# Set by the database or unique per row: not compared.
UNCOMPARED = {"id", "external_id", "contact_id"}


def _stamped(model) -> set[str]:
    """The fields pre_save fills with the time of the save (auto_now, auto_now_add)."""
    return {
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }


def _stored(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    return {name: value for name, value in row.items() if name not in UNCOMPARED | _stamped(model)}


def _pairs(channel, agent):
    """Two unsaved objects of each model, equal but for what must differ between rows."""
    now = timezone.now()
    contact = factories.ContactFactory()
    ticket = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    return [
        [Contact(name="Budi", phone="+6281200000001", email="budi@example.com") for _ in range(2)],
        [
            ContactIdentity(contact=factories.ContactFactory(), channel=channel, external_id=f"+62812{k}")
            for k in (1, 2)
        ],
        [
            Ticket(contact=factories.ContactFactory(), channel=channel, status=TicketStatus.BOT, last_message_at=now)
            for _ in range(2)
        ],
        [
            Message(
                ticket=ticket,
                channel=channel,
                direction=Message.Direction.IN,
                body="Halo",
                external_id=f"m-{k}",
                sent_at=now,
                created_at=now,
                metadata={"from": "test", "n": [1, 2]},
                arrived_blocked=True,
            )
            for k in (1, 2)
        ],
        [Notice(recipient=agent, kind=Notice.Kind.CUSTOMER_WROTE, ticket=ticket, created=now) for _ in range(2)],
    ]


def test_each_row_is_the_row_bulk_create_writes(channel, agent):
    for ours, orms in _pairs(channel, agent):
        insert_rows([ours])
        type(orms).objects.bulk_create([orms])
        assert ours.pk is not None and not ours._state.adding
        model = type(ours)
        assert _stored(model, ours.pk) == _stored(model, orms.pk), model.__name__
        for name in _stamped(model):
            ours_at, orms_at = (model.objects.values_list(name, flat=True).get(pk=o.pk) for o in (ours, orms))
            assert ours_at is not None and abs(ours_at - orms_at).total_seconds() < 5, (model.__name__, name)
            # The object holds the time it was stored with.
            assert getattr(ours, name) == ours_at, (model.__name__, name)


def test_many_rows_in_one_statement_get_their_own_keys_in_order(channel):
    contacts = [Contact(name=f"Person {k}") for k in range(5)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(contacts)
    assert len(queries) == 1
    assert [Contact.objects.get(pk=c.pk).name for c in contacts] == [f"Person {k}" for k in range(5)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="UNNEST of one array per column is PostgreSQL's")
def test_on_postgresql_any_number_of_rows_is_one_prepared_statement(channel):
    for n in range(2, 8):  # six runs of one text: prepared after the fifth (DATABASE_PREPARED_STATEMENTS)
        insert_rows([Contact(name=f"Person {n}.{k}", email=f"p{n}.{k}@example.com") for k in range(n)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%UNNEST%"])
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert [s for s in prepared if s.startswith('INSERT INTO "contacts_contact"')]
    assert Contact.objects.filter(name__startswith="Person ").count() == sum(range(2, 8))


def test_rows_past_the_databases_batch_size_go_in_several_statements(channel, monkeypatch):
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    contacts = [Contact(name=f"Person {k}") for k in range(5)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(contacts)
    assert len(queries) == 3
    assert sorted(Contact.objects.filter(pk__in=[c.pk for c in contacts]).values_list("name", flat=True)) == [
        f"Person {k}" for k in range(5)
    ]


def test_no_rows_is_no_statement():
    with CaptureQueriesContext(connection) as queries:
        insert_rows([])
    assert len(queries) == 0


def test_a_model_whose_key_is_not_generated_is_refused():
    with pytest.raises(TypeError, match="primary key the database generates"):
        insert_rows([Session(session_key="x" * 32, session_data="", expire_date=timezone.now())])
    assert not Session.objects.exists()


def _customer_message(ticket, external_id: str, now, **values) -> Message:
    """An unsaved customer message in the ticket (itself saved or not)."""
    return Message(
        ticket=ticket,
        channel=ticket.channel,
        direction=Message.Direction.IN,
        external_id=external_id,
        sent_at=now,
        created_at=now,
        **values,
    )


def test_several_messages_keep_their_own_values(channel, agent):
    ticket = factories.TicketFactory(channel=channel)
    now = timezone.now()
    messages = [
        _customer_message(
            ticket, f"several-{k}", now, body=f"body {k}", metadata={"k": k} if k else {}, arrived_blocked=bool(k % 2)
        )
        for k in range(3)
    ]
    insert_rows(messages)
    stored = Message.objects.filter(pk__in=[m.pk for m in messages]).order_by("pk")
    assert [(m.pk, m.body, m.metadata, m.arrived_blocked) for m in stored] == [
        (messages[k].pk, f"body {k}", {"k": k} if k else {}, bool(k % 2)) for k in range(3)
    ]


@pytest.mark.parametrize("rows", [1, 2])
def test_values_the_orm_converts_are_stored_as_bulk_create_stores_them(channel, rows):
    """Values sent as they are must not skip the ORM's conversion of the others: a lazy translation, a naive time,
    a TextChoices member; and text the driver must escape, in one row and in arrays of several."""
    naive = datetime(2026, 12, 1, 9, 30)
    odd = 'a "quoted" {brace}, back\\slash, NULL, comma; ünïcode'

    def ticket(contact):
        return Ticket(
            contact=contact,
            channel=channel,
            status=TicketStatus.BLOCKED,
            last_message_at=naive,
            last_message_preview=odd,
        )

    ours = [ticket(Contact.objects.create(name=f"ours {k}")) for k in range(rows)]
    orms = [ticket(Contact.objects.create(name=f"orm {k}")) for k in range(rows)]
    contacts = [Contact(name=gettext_lazy("Blocked"), note=odd) for _ in range(rows)]
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        insert_rows(ours, contacts)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        Ticket.objects.bulk_create(orms)
    for mine, theirs in zip(ours, orms, strict=True):
        assert _stored(Ticket, mine.pk) == _stored(Ticket, theirs.pk)
    stored = Ticket.objects.get(pk=ours[0].pk)
    assert (stored.status, stored.last_message_preview) == (TicketStatus.BLOCKED, odd)
    assert stored.last_message_at == timezone.make_aware(naive)
    assert [(c.name, c.note) for c in Contact.objects.filter(pk__in=[c.pk for c in contacts])] == [
        ("Blocked", odd)
    ] * rows


def _conversation(channel, *, contacts: int, tag: str = "a", now=None):
    """New contacts, each with its identity, ticket and first message, all unsaved and pointing at each other."""
    now = now or timezone.now()
    people = [Contact(name=f"Person {k}") for k in range(contacts)]
    identities = [
        ContactIdentity(contact=p, channel=channel, external_id=f"+62813{tag}{k}") for k, p in enumerate(people)
    ]
    tickets = [Ticket(contact=p, channel=channel, status=TicketStatus.UNASSIGNED, last_message_at=now) for p in people]
    messages = [
        _customer_message(ticket, f"first-{tag}{k}", now, body=f"first {k}", metadata={"k": k})
        for k, ticket in enumerate(tickets)
    ]
    return people, identities, tickets, messages


def _linked_as_given(people, identities, tickets, messages) -> None:
    for person, identity, ticket, message in zip(people, identities, tickets, messages, strict=True):
        assert (identity.contact_id, ticket.contact_id, message.ticket_id) == (person.pk, person.pk, ticket.pk)
        stored = Message.objects.select_related("ticket__contact").get(pk=message.pk)
        assert (stored.ticket_id, stored.ticket.contact_id, stored.body) == (ticket.pk, person.pk, message.body)
        assert ContactIdentity.objects.get(pk=identity.pk).contact_id == person.pk


@pytest.mark.parametrize("contacts", [1, 3])
def test_groups_pointing_at_earlier_groups_get_their_keys(channel, contacts):
    people, identities, tickets, messages = _conversation(channel, contacts=contacts)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(people, identities, tickets, messages)
    # One row a group on PostgreSQL: one statement of four WITH queries; otherwise one statement a group.
    assert len(queries) == (1 if contacts == 1 and connection.vendor == "postgresql" else 4)
    _linked_as_given(people, identities, tickets, messages)
    with CaptureQueriesContext(connection) as queries:
        assert [m.ticket.contact for m in messages] == people  # the objects given, not read again
    assert len(queries) == 0


def test_a_linked_row_is_the_row_bulk_create_writes(channel):
    now = timezone.now()
    ours = _conversation(channel, contacts=1, now=now)
    insert_rows(*ours)
    orms = _conversation(channel, contacts=1, tag="b", now=now)
    for objs in orms:
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        type(objs[0]).objects.bulk_create(objs)
    for mine, theirs in zip(ours, orms, strict=True):
        model = type(mine[0])
        uncompared = {"ticket_id"}
        assert {k: v for k, v in _stored(model, mine[0].pk).items() if k not in uncompared} == {
            k: v for k, v in _stored(model, theirs[0].pk).items() if k not in uncompared
        }, model.__name__


def _message_to(ticket, external_id: str, now) -> Message:
    return _customer_message(ticket, external_id, now, body="after", metadata={"a": [1]}, arrived_blocked=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a data-modifying WITH query is PostgreSQL's")
def test_a_row_inserted_after_a_statement_takes_its_key_from_the_answer(channel):
    ticket, now = factories.TicketFactory(channel=channel), timezone.now()
    touch = 'UPDATE "tickets_ticket" SET "message_count" = "message_count" + 1 WHERE "id" = %s RETURNING "id"'
    ours, orms = _message_to(ticket, "after-1", now), _message_to(ticket, "after-2", now)
    with CaptureQueriesContext(connection) as queries:
        assert insert_after(touch, [ticket.pk], ours, key="ticket")
    assert len(queries) == 1
    Message.objects.bulk_create([orms])
    assert _stored(Message, ours.pk) == _stored(Message, orms.pk)
    ticket.refresh_from_db()
    assert ticket.message_count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a data-modifying WITH query is PostgreSQL's")
def test_nothing_is_inserted_when_the_statement_before_answers_nothing(channel):
    ticket, now = factories.TicketFactory(channel=channel), timezone.now()
    touch = 'UPDATE "tickets_ticket" SET "message_count" = "message_count" + 1 WHERE "id" = %s RETURNING "id"'
    message = _message_to(ticket, "after-none", now)
    assert not insert_after(touch, [ticket.pk + 1000], message, key="ticket")
    assert message.pk is None and message._state.adding
    assert not Message.objects.filter(external_id="after-none").exists()
