"""Routing's hand-written SQL reads and writes exactly what the ORM would (both SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from contacts.blocking import block_contact
from contacts.models import Channel, Contact, ContactIdentity
from settings_app.models import SystemSettings
from settings_app.switches import current_switches, forget_switches
from tests import factories
from tests.inbound import deliver
from tickets.models import DeletedMessage, Ticket, TicketStatus
from tickets.routing import new_ticket_status
from tickets.routing_sql import (
    TicketAddition,
    add_to_tickets,
    lock_people,
    look_back_and_lock,
)

pytestmark = pytest.mark.django_db


def lock_contacts_with_open_tickets(channel, addresses):
    """The contact locks of look_back_and_lock, for message ids nobody delivered."""
    found = look_back_and_lock(channel, ["never-delivered"], addresses)
    assert (found.stored, found.deleted) == ([], {})
    return found.contacts, found.tickets


def previous_deliveries(channel, message_ids):
    """The earlier deliveries of look_back_and_lock, for an address nobody has."""
    found = look_back_and_lock(channel, message_ids, {"+62000000000"})
    assert (found.contacts, found.tickets) == ({}, {})
    return found.stored, found.deleted


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_lock_returns_the_contacts_and_open_tickets_as_the_orm_loads_them(channel, supervisor, blocking_on):
    blocked = deliver(channel, "+628111")
    block_contact(actor=supervisor, contact=blocked.contact, reason="spam")  # sets blocked_at, blocked_by, is_blocked
    deliver(channel, "+628111")  # opens the blocked ticket
    open_ = deliver(channel, "+628222")

    contacts, tickets = lock_contacts_with_open_tickets(channel, {"+628111", "+628222"})

    assert set(contacts) == {"+628111", "+628222"}
    for address, routed in (("+628111", blocked), ("+628222", open_)):
        contact = contacts[address]
        assert _fields(contact) == _fields(Contact.objects.get(pk=routed.contact.pk))
        assert _fields(tickets[contact.pk]) == _fields(Ticket.objects.open().get(contact=contact))
    contact = contacts["+628111"]
    assert contact.blocked_at.tzinfo is not None and contact.is_blocked is True
    assert not contact._state.adding and model_to_dict(tickets[contact.pk])["status"] == "blocked"
    assert list(tickets) == sorted(tickets)  # locked in contact id order


def test_lock_without_open_ticket_or_contact(channel):
    first = deliver(channel, "+628111")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.RESOLVED)

    assert lock_contacts_with_open_tickets(channel, {"+628111", "+628999"}) == ({"+628111": first.contact}, {})
    assert lock_contacts_with_open_tickets(channel, {"+628999"}) == ({}, {})
    assert lock_contacts_with_open_tickets(channel, set()) == ({}, {})


def test_lock_gives_each_address_of_a_contact_the_contacts_one_open_ticket(channel):
    first = deliver(channel, "+628111")
    ContactIdentity.objects.create(contact=first.contact, channel=channel, external_id="+628112")

    contacts, tickets = lock_contacts_with_open_tickets(channel, {"+628111", "+628112"})

    assert contacts == {"+628111": first.contact, "+628112": first.contact}
    assert tickets == {first.contact.pk: first.ticket}


def test_previous_deliveries_finds_stored_and_deleted_ids(channel):
    stored = deliver(channel, "+628111", message_id="wamid.1")
    DeletedMessage.objects.create(
        channel=channel, external_id="wamid.2", contact=stored.contact, deleted_at=stored.message.sent_at
    )

    assert previous_deliveries(channel, ["wamid.1", "wamid.2", "wamid.3"]) == (
        [stored.message.pk],
        {"wamid.2": stored.contact.pk},
    )
    assert previous_deliveries(channel, ["wamid.1"]) == ([stored.message.pk], {})
    assert previous_deliveries(channel, ["wamid.2"]) == ([], {"wamid.2": stored.contact.pk})
    assert previous_deliveries(channel, ["wamid.3"]) == ([], {})
    assert previous_deliveries(channel, []) == ([], {})


def test_look_back_and_lock_reads_earlier_deliveries_and_locks_contacts_in_one_statement(
    channel, django_assert_num_queries
):
    first = deliver(channel, "+628111", message_id="wamid.1")
    other = deliver(channel, "+628222", message_id="wamid.2")
    DeletedMessage.objects.create(
        channel=channel, external_id="wamid.3", contact=other.contact, deleted_at=other.message.sent_at
    )

    with django_assert_num_queries(1):
        found = look_back_and_lock(channel, ["wamid.1", "wamid.3", "wamid.9"], {"+628111", "+628222", "+628999"})

    assert found.stored == [first.message.pk]
    assert found.deleted == {"wamid.3": other.contact.pk}
    assert found.contacts == {"+628111": first.contact, "+628222": other.contact}
    assert found.tickets == {first.contact.pk: first.ticket, other.contact.pk: other.ticket}
    for address, routed in (("+628111", first), ("+628222", other)):
        assert _fields(found.contacts[address]) == _fields(Contact.objects.get(pk=routed.contact.pk))
        assert _fields(found.tickets[routed.contact.pk]) == _fields(Ticket.objects.get(pk=routed.ticket.pk))


def test_add_to_tickets_writes_what_an_orm_update_writes_where_the_status_is_still_the_one_read(channel):
    kept, changed = deliver(channel, "+628111").ticket, deliver(channel, "+628222").ticket
    Ticket.objects.filter(pk=changed.pk).update(status=TicketStatus.RESOLVED)  # after `changed` was read
    before = _fields(Ticket.objects.get(pk=kept.pk))
    now = timezone.now() + timedelta(minutes=5)

    updated = add_to_tickets([TicketAddition(kept, 3, "last of three"), TicketAddition(changed, 1, "one")], now=now)

    assert updated == {kept.pk}
    after = _fields(Ticket.objects.get(pk=kept.pk))
    assert after == before | {
        "message_count": 4,
        "last_message_preview": "last of three",
        "last_message_at": now,
        "updated_at": now,
    }
    resolved = Ticket.objects.get(pk=changed.pk)
    assert (resolved.message_count, resolved.last_message_preview) == (1, changed.last_message_preview)
    assert add_to_tickets([], now=now) == set()


def test_lock_people_finds_phones_and_e_mails_as_the_orm_does(channel, supervisor, blocking_on):
    mailbox = factories.ChannelFactory(kind=Channel.Kind.EMAIL)
    telegram = factories.ChannelFactory(kind=Channel.Kind.TELEGRAM)
    by_identity = deliver(channel, "+6281234567890")  # has an open ticket on `channel`
    block_contact(actor=supervisor, contact=by_identity.contact, reason="spam")
    deliver(channel, "+6281234567890")  # opens the blocked ticket
    by_mail = deliver(mailbox, "ani@example.com").contact
    by_field = factories.ContactFactory(phone="+6281234567890", email="Ani@Example.com")  # written by hand
    ContactIdentity.objects.create(contact=factories.ContactFactory(), channel=telegram, external_id="+6281234567890")

    rows = lock_people(channel, phones=["+6281234567890", "+6289999999999"], emails=[])

    assert [(key, contact.pk) for key, contact, _, _ in rows] == [
        ("+6281234567890", by_identity.contact.pk),
        ("+6281234567890", by_field.pk),
    ]
    (_, contact, ticket, _), (_, other, no_ticket, _) = rows
    assert _fields(contact) == _fields(Contact.objects.get(pk=by_identity.contact.pk))
    assert _fields(ticket) == _fields(Ticket.objects.open().get(contact=contact))
    assert _fields(other) == _fields(Contact.objects.get(pk=by_field.pk))
    assert no_ticket is None
    emails = lock_people(mailbox, phones=[], emails=["ani@example.com"])
    assert sorted((key, c.pk) for key, c, _, _ in emails) == sorted(
        [("ani@example.com", by_field.pk), ("ani@example.com", by_mail.pk)]
    )
    assert lock_people(channel, phones=[], emails=[]) == []


def test_routing_without_a_switches_row_creates_it_and_routes_by_its_defaults(channel):
    SystemSettings.objects.all().delete()
    forget_switches()

    routed = deliver(channel, "+628111")

    assert routed.status == new_ticket_status(routed.contact, current_switches())
    assert SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).exists()
