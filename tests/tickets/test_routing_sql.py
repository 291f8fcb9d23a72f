"""The hot path's hand-written reads return exactly what the ORM would load (both SQLite and PostgreSQL)."""

import pytest
from django.forms.models import model_to_dict

from contacts.blocking import block_contact
from contacts.models import Contact
from tests.inbound import deliver
from tickets.models import DeletedMessage, Ticket
from tickets.routing import InboundMessage, _lock_contact_with_open_ticket, _previous_delivery

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_lock_returns_the_contact_and_open_ticket_as_the_orm_loads_them(channel, supervisor, blocking_on):
    first = deliver(channel, "+628111")
    block_contact(actor=supervisor, contact=first.contact, reason="spam")  # sets blocked_at, blocked_by, is_blocked
    deliver(channel, "+628111")  # opens the blocked ticket

    contact, ticket = _lock_contact_with_open_ticket(channel, InboundMessage("m", "+628111", "hi"))

    assert _fields(contact) == _fields(Contact.objects.get(pk=first.contact.pk))
    assert _fields(ticket) == _fields(Ticket.objects.get(contact=contact, status="blocked"))
    assert contact.blocked_at.tzinfo is not None and contact.is_blocked is True
    assert not contact._state.adding and model_to_dict(ticket)["status"] == "blocked"


def test_lock_without_open_ticket_or_contact(channel):
    first = deliver(channel, "+628111")
    Ticket.objects.filter(pk=first.ticket.pk).update(status="resolved")

    assert _lock_contact_with_open_ticket(channel, InboundMessage("m", "+628111", "hi")) == (first.contact, None)
    assert _lock_contact_with_open_ticket(channel, InboundMessage("m", "+628999", "hi")) == (None, None)


def test_previous_delivery_finds_stored_and_deleted_ids(channel):
    stored = deliver(channel, "+628111", message_id="wamid.1")
    DeletedMessage.objects.create(
        channel=channel, external_id="wamid.2", contact=stored.contact, deleted_at=stored.message.sent_at
    )

    assert _previous_delivery(channel, "wamid.1") == (stored.message.pk, None)
    assert _previous_delivery(channel, "wamid.2") == (None, stored.contact.pk)
    assert _previous_delivery(channel, "wamid.3") == (None, None)
