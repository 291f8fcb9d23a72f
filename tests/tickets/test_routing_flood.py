"""The flood guard in routing: counted with the contact lock, flagged once, or blocked by itself with auto-block."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import AuditEntry, Contact, FloodFlag, FloodStatus
from settings_app.switches import current_switches
from tests.inbound import deliver
from tests.tickets.rule_rows import add_rule
from tickets.models import Message, Notice, Ticket, TicketStatus
from tickets.routing import InboundMessage, route_inbound_batch, route_inbound_message
from tickets.routing_sql import RecentWindow, look_back_and_lock, look_back_lock_and_read_switches

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_flood(set_switches):
    """A flood is more than 3 messages within 5 minutes."""
    set_switches(flood_guard_enabled=True, flood_messages=3, flood_minutes=5)


def test_the_message_past_the_limit_flags_the_contact_once(channel, small_flood):
    results = [deliver(channel, "+628111", f"m{n}") for n in range(5)]

    contact = Contact.objects.get(pk=results[0].contact.pk)
    flag = FloodFlag.objects.get()
    assert (flag.contact_id, flag.status, flag.messages, flag.window_minutes) == (contact.pk, FloodStatus.OPEN, 4, 5)
    assert contact.suspected_at == flag.flagged_at and not contact.is_blocked
    entry = AuditEntry.objects.get(action=AuditEntry.Action.FLOOD_FLAGGED)
    assert (entry.who, entry.change) == ("flood guard", "4 messages in 5 min")
    assert {r.status for r in results} == {TicketStatus.UNASSIGNED}  # flagged, not blocked


@pytest.mark.parametrize("auto_block", [False, True])
def test_with_a_limit_of_none_a_new_customers_first_message_is_a_flood(channel, set_switches, auto_block):
    """The first message of a new address must save its contact before the guard flags or blocks it."""
    set_switches(flood_guard_enabled=True, flood_messages=0, block_contacts_enabled=True, flood_auto_block=auto_block)

    routed = deliver(channel, "+628111", "first")

    contact = Contact.objects.get(pk=routed.contact.pk)
    flag = FloodFlag.objects.get()
    assert (flag.contact_id, flag.messages) == (contact.pk, 1)
    assert (contact.is_blocked, routed.status) == (
        (True, TicketStatus.BLOCKED) if auto_block else (False, TicketStatus.UNASSIGNED)
    )
    assert Message.objects.get().ticket_id == routed.ticket.pk


@pytest.mark.django_db(transaction=True)
def test_a_flag_and_an_auto_block_each_tell_the_supervisors_once(channel, supervisor, agent, set_switches):
    set_switches(flood_guard_enabled=True, flood_messages=3, flood_minutes=5, block_contacts_enabled=True)
    for n in range(5):
        deliver(channel, "+628111", f"m{n}")
    set_switches(flood_auto_block=True)
    for n in range(4):
        deliver(channel, "+628222", f"m{n}")

    notices = Notice.objects.filter(kind=Notice.Kind.SUSPECTED_SPAM)
    assert sorted((n.recipient_id, n.flood_flag.status) for n in notices) == [
        (supervisor.pk, FloodStatus.AUTO_BLOCKED),
        (supervisor.pk, FloodStatus.OPEN),
    ]


def test_a_flagged_contact_costs_routing_no_statement_more(channel, small_flood):
    for n in range(4):
        deliver(channel, "+628111", f"m{n}")
    deliver(channel, "+628222", "warm up")

    def statements(address):
        with CaptureQueriesContext(connection) as queries:
            deliver(channel, address, "again")
        return len(queries)

    assert statements("+628111") == statements("+628222")


def test_auto_block_blocks_as_the_flood_guard_and_the_message_lands_in_the_blocked_list(
    channel, small_flood, blocking_on, set_switches
):
    set_switches(flood_auto_block=True)
    early = [deliver(channel, "+628111", f"m{n}") for n in range(3)]

    tipping = deliver(channel, "+628111", "m3")

    contact = Contact.objects.get(pk=tipping.contact.pk)
    assert (contact.is_blocked, contact.blocked_by_name, contact.blocked_by_id) == (True, "flood guard", None)
    assert Ticket.objects.get(pk=early[0].ticket.pk).status == TicketStatus.RESOLVED
    assert tipping.status == TicketStatus.BLOCKED and Message.objects.get(body="m3").arrived_blocked
    assert FloodFlag.objects.get().status == FloodStatus.AUTO_BLOCKED
    assert AuditEntry.objects.get(action=AuditEntry.Action.BLOCKED).who == "flood guard"


def test_auto_block_only_flags_while_blocking_is_switched_off(channel, small_flood, set_switches):
    set_switches(flood_auto_block=True, block_contacts_enabled=False)

    for n in range(4):
        deliver(channel, "+628111", f"m{n}")

    assert not Contact.objects.get().is_blocked
    assert FloodFlag.objects.get().status == FloodStatus.OPEN


def test_messages_sent_before_the_window_do_not_count(channel, small_flood):
    old = timezone.now() - timedelta(minutes=6)
    for n in range(3):
        route_inbound_message(channel=channel, inbound=InboundMessage(f"old-{n}", "+628111", "backlog", sent_at=old))

    for n in range(3):
        deliver(channel, "+628111", f"now {n}")

    assert not FloodFlag.objects.exists()
    deliver(channel, "+628111", "one more")
    assert FloodFlag.objects.get().messages == 4


def test_after_a_dismissal_the_guard_counts_afresh(channel, small_flood):
    for n in range(3):
        deliver(channel, "+628111", f"m{n}")
    Contact.objects.update(flood_counted_from=timezone.now())

    for n in range(3):
        deliver(channel, "+628111", f"again {n}")

    assert not FloodFlag.objects.exists()


def test_one_batch_past_the_limit_flags_its_contact(channel, small_flood):
    route_inbound_batch(channel=channel, inbounds=[InboundMessage(f"b{n}", "+628111", "x") for n in range(5)])

    assert FloodFlag.objects.get().messages == 5


def test_an_allow_rule_spares_the_contact_from_the_guard(channel, small_flood):
    add_rule("phone_prefix", "+62811", "allow")

    for n in range(6):
        deliver(channel, "+628111", f"m{n}")

    assert not FloodFlag.objects.exists()


def test_the_guard_switched_off_counts_nothing(channel, set_switches):
    set_switches(flood_guard_enabled=False, flood_messages=2)

    for n in range(5):
        deliver(channel, "+628111", f"m{n}")

    assert not FloodFlag.objects.exists()


def test_the_count_in_the_contact_lock_is_the_orms_count_up_to_the_cap(channel, small_flood):
    ticket = deliver(channel, "+628111", "one").ticket
    deliver(channel, "+628111", "two")
    now = timezone.now()
    Message.objects.filter(ticket=ticket, body="one").update(sent_at=now - timedelta(minutes=10))

    found = look_back_and_lock(
        channel, ["none"], {"+628111"}, window=RecentWindow(since=now - timedelta(minutes=5), cap=4)
    )
    assert found.recent == {ticket.contact_id: 1}
    for n in range(6):
        deliver(channel, "+628111", f"more {n}")
    capped = look_back_and_lock(
        channel, ["none"], {"+628111"}, window=RecentWindow(since=now - timedelta(minutes=5), cap=4)
    )
    assert capped.recent == {ticket.contact_id: 4}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the switches are read in the lock on PostgreSQL only")
def test_the_lock_that_reads_the_switches_counts_with_their_window(channel, small_flood, set_switches):
    ticket = deliver(channel, "+628111", "one").ticket
    deliver(channel, "+628111", "two")
    now = timezone.now()
    Message.objects.filter(ticket=ticket, body="one").update(sent_at=now - timedelta(minutes=10))
    switches = current_switches()
    window = RecentWindow(since=now - timedelta(minutes=switches.flood_minutes), cap=switches.flood_messages + 1)

    found = look_back_lock_and_read_switches(channel, ["none"], {"+628111"}, now=now)
    asked = look_back_and_lock(channel, ["none"], {"+628111"}, window=window)
    assert found.switches == switches
    assert found.recent == asked.recent == {ticket.contact_id: 1}
    assert (found.contacts, found.tickets) == (asked.contacts, asked.tickets)

    set_switches(flood_guard_enabled=False, bot_enabled=True)
    off = look_back_lock_and_read_switches(channel, ["none"], {"+628111"}, now=now)
    assert (off.switches.flood_guard_enabled, off.switches.bot_enabled) == (False, True)
    assert off.recent == {ticket.contact_id: 0}
