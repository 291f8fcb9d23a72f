"""insert_rows writes the rows bulk_create writes, from a statement it keeps (both SQLite and PostgreSQL)."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blockdesk.insert_rows import insert_rows
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


def test_many_rows_in_one_statement_get_their_own_keys_in_order(channel):
    contacts = [Contact(name=f"Person {k}") for k in range(5)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(contacts)
    assert len(queries) == 1
    assert [Contact.objects.get(pk=c.pk).name for c in contacts] == [f"Person {k}" for k in range(5)]


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
