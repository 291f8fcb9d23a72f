"""Blocked ticket retention: the setting, the sweep that deletes quiet blocked tickets, its audit and its memory."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from blockdesk import errors
from contacts.blocking import RETENTION_ACTOR, block_contact, delete_quiet_blocked_tickets
from contacts.models import AuditEntry, Contact
from settings_app.retention import RETENTION_INVALID, retention_days, update_retention
from tests.inbound import deliver
from tickets.models import DeletedMessage, Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC"))


def _blocked_ticket(channel, actor, address: str, *, at: datetime) -> Ticket:
    with freeze_time(at):
        contact = deliver(channel, address, "hello").contact
        block_contact(actor=actor, contact=contact, reason="spam")
        return deliver(channel, address, "spam", message_id=f"spam-{address}").ticket


def test_off_by_default_nothing_is_deleted(channel, supervisor, blocking_on):
    ticket = _blocked_ticket(channel, supervisor, "+628111", at=START)
    assert retention_days() is None
    assert delete_quiet_blocked_tickets(now=START + timedelta(days=3650)) == 0
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_quiet_blocked_tickets_past_retention_go_as_by_delete_all(channel, supervisor, administrator, blocking_on):
    old = _blocked_ticket(channel, supervisor, "+628111", at=START)
    recent = _blocked_ticket(channel, supervisor, "+628222", at=START + timedelta(days=20))
    update_retention(actor=administrator, days=30)

    assert delete_quiet_blocked_tickets(now=START + timedelta(days=30, seconds=1)) == 1

    assert not Ticket.objects.filter(pk=old.pk).exists()
    assert not Message.objects.filter(ticket_id=old.pk).exists()
    assert Ticket.objects.get(pk=recent.pk).status == TicketStatus.BLOCKED
    assert Contact.objects.get(pk=old.contact_id).is_blocked  # the contact stays blocked
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RETENTION_DELETED)
    assert (entry.contact_id, entry.who, entry.tickets, entry.messages) == (old.contact_id, RETENTION_ACTOR, 1, 1)
    assert DeletedMessage.objects.filter(external_id="spam-+628111").exists()
    assert delete_quiet_blocked_tickets(now=START + timedelta(days=30, seconds=2)) == 0  # idempotent


def test_a_redelivery_of_a_deleted_message_stays_deleted(channel, supervisor, administrator, blocking_on):
    old = _blocked_ticket(channel, supervisor, "+628111", at=START)
    update_retention(actor=administrator, days=1)
    delete_quiet_blocked_tickets(now=START + timedelta(days=2))
    again = deliver(channel, "+628111", "spam", message_id="spam-+628111")
    assert again.duplicate and again.ticket is None
    assert not Ticket.objects.filter(contact_id=old.contact_id, status=TicketStatus.BLOCKED).exists()


def test_a_new_message_keeps_a_blocked_ticket(channel, supervisor, administrator, blocking_on):
    ticket = _blocked_ticket(channel, supervisor, "+628111", at=START)
    update_retention(actor=administrator, days=7)
    with freeze_time(START + timedelta(days=6)):
        deliver(channel, "+628111", "more spam")
    assert delete_quiet_blocked_tickets(now=START + timedelta(days=8)) == 0
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_only_administrators_change_it_and_each_change_is_audited(supervisor, administrator):
    with pytest.raises(errors.Forbidden):
        update_retention(actor=supervisor, days=30)
    update_retention(actor=administrator, days=30)
    update_retention(actor=administrator, days=30)  # no change, no row
    update_retention(actor=administrator, days=None)
    rows = AuditEntry.objects.filter(action=AuditEntry.Action.SWITCH_CHANGED, actor=administrator).order_by("id")
    changes = list(rows.values_list("subject", "change"))
    assert changes == [("Blocked ticket retention", "off → 30 days"), ("Blocked ticket retention", "30 days → off")]


@pytest.mark.parametrize("days", [0, -1, 3651, True, "30", 1.5])
def test_a_wrong_number_of_days_is_refused(administrator, days):
    with pytest.raises(errors.Invalid) as refused:
        update_retention(actor=administrator, days=days)
    assert refused.value.detail == RETENTION_INVALID
    assert retention_days() is None
