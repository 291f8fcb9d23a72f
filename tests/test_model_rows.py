"""unsaved and from_row make the instances Model(**values) and Model.from_db make (blockdesk.model_rows)."""

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.utils import timezone

from blockdesk.model_rows import from_row, unsaved
from contacts.models import Channel, Contact
from tests import factories
from tickets.models import Message, Notice, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def _attributes(obj) -> dict:
    return {name: value for name, value in vars(obj).items() if name != "_state"}


def _state(obj) -> tuple:
    return obj._state.adding, obj._state.db, dict(obj._state.fields_cache)


def test_unsaved_is_the_instance_model_init_makes(channel, agent):
    ticket = factories.TicketFactory(channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    now = timezone.now()
    values = {
        "direction": Message.Direction.IN,
        "body": "Halo",
        "external_id": "m-1",
        "sent_at": now,
        "created_at": now,
    }

    ours = unsaved(Message, related={"ticket": ticket, "channel": channel}, **values)
    orms = Message(ticket=ticket, channel=channel, **values)

    assert _attributes(ours) == _attributes(orms)
    assert _state(ours) == _state(orms) == (True, "default", {"ticket": ticket, "channel": channel})
    assert ours.ticket is ticket and ours.metadata == {} and ours.metadata is not orms.metadata  # a fresh default
    notice = unsaved(Notice, related={"ticket": ticket}, recipient_id=agent.pk, kind=Notice.Kind.CUSTOMER_WROTE)
    expected = Notice(ticket=ticket, recipient_id=agent.pk, kind=Notice.Kind.CUSTOMER_WROTE)
    assert (_attributes(notice), _state(notice)) == (_attributes(expected), _state(expected))


def test_unsaved_links_an_unsaved_object_as_model_init_does(channel):
    contact = Contact(name="New")
    ticket = unsaved(Ticket, related={"contact": contact, "channel": channel}, status=TicketStatus.UNASSIGNED)
    expected = Ticket(contact=Contact(name="New"), channel=channel, status=TicketStatus.UNASSIGNED)

    assert {k: v for k, v in _attributes(ticket).items() if k not in {"created_at", "updated_at"}} == {
        k: v for k, v in _attributes(expected).items() if k not in {"created_at", "updated_at"}
    }
    assert ticket.contact is contact and ticket.contact_id is None
    assert (contact._state.db, ticket._state.db) == ("default", "default")


def test_from_row_is_the_instance_from_db_makes(channel):
    contact = factories.ContactFactory(name="Budi", phone="+6281234567890")
    attnames = tuple(f.attname for f in Contact._meta.concrete_fields)
    row = Contact.objects.values_list(*attnames).get(pk=contact.pk)

    ours, orms = from_row(Contact, "default", attnames, row), Contact.from_db("default", attnames, row)

    assert _attributes(ours) == _attributes(orms)
    assert _state(ours) == _state(orms) == (False, "default", {})
    assert ours == contact and not ours.get_deferred_fields()


def test_a_model_with_an_init_receiver_is_made_by_the_orm(channel):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Channel)
    try:
        attnames = tuple(f.attname for f in Channel._meta.concrete_fields)
        row = Channel.objects.values_list(*attnames).get(pk=channel.pk)
        loaded = from_row(Channel, connection.alias, attnames, row)
        made = unsaved(Channel, name="Chat", kind="telegram")
    finally:
        post_init.disconnect(receiver, sender=Channel)

    assert seen == [loaded, made] and loaded.pk == channel.pk
