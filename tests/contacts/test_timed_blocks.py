"""Timed blocks: the block's end, routing's exact view of it, the sweep and its audit row (a controlled clock)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from freezegun import freeze_time

from blockdesk import errors
from contacts.block_ends import block_end
from contacts.blocking import EXPIRY_ACTOR, block_contact, lift_ended_blocks, unblock_contact
from contacts.models import AuditEntry, Block, Contact, LiftedWith
from tests.inbound import deliver
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC"))


def _blocked_for(channel, actor, duration: str, *, address="+628111"):
    contact = deliver(channel, address, "hello").contact
    block_contact(actor=actor, contact=contact, reason="spam", until=block_end(duration))
    blocked = deliver(channel, address, "spam").ticket
    assert blocked.status == TicketStatus.BLOCKED
    return Contact.objects.get(pk=contact.pk), blocked


@pytest.mark.parametrize(("duration", "length"), [("1h", 1 / 24), ("1d", 1), ("7d", 7), ("30d", 30)])
def test_each_duration_ends_that_long_after_the_block(duration, length):
    assert block_end(duration, now=START) == START + timedelta(days=length)


def test_forever_has_no_end_and_until_a_date_lasts_through_that_day(settings):
    assert block_end("forever", now=START) is None
    settings.TIME_ZONE = "Asia/Jakarta"
    with timezone.override("Asia/Jakarta"):
        end = block_end("date", date(2026, 12, 24), now=START)
    assert end == datetime(2026, 12, 25, 0, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


@pytest.mark.parametrize(
    ("duration", "until", "refusal"),
    [
        ("date", None, errors.BLOCK_DATE_MISSING),
        ("date", date(2026, 11, 30), errors.BLOCK_END_PAST),
        ("2w", None, errors.BLOCK_DURATION_INVALID),
    ],
)
def test_a_bad_end_is_refused(duration, until, refusal):
    with pytest.raises(errors.Invalid) as refused:
        block_end(duration, until, now=START)
    assert refused.value.detail == refusal


def test_a_block_ending_in_the_past_is_refused_and_changes_nothing(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111", "hello").contact
    with pytest.raises(errors.Invalid) as refused:
        block_contact(actor=supervisor, contact=contact, reason="spam", until=timezone.now() - timedelta(seconds=1))
    assert refused.value.detail == errors.BLOCK_END_PAST
    assert not Contact.objects.get(pk=contact.pk).is_blocked
    assert not Block.objects.exists()


def test_the_block_and_the_contact_carry_the_end(channel, supervisor, blocking_on):
    with freeze_time(START):
        contact, _ = _blocked_for(channel, supervisor, "1d")
    assert contact.blocked_until == START + timedelta(days=1)
    assert Block.objects.get(contact=contact).ends_at == START + timedelta(days=1)


def test_before_its_end_a_timed_block_holds(channel, supervisor, blocking_on):
    with freeze_time(START):
        contact, blocked = _blocked_for(channel, supervisor, "1h")
    with freeze_time(START + timedelta(minutes=59)):
        assert deliver(channel, "+628111", "still spam").ticket.pk == blocked.pk
        assert lift_ended_blocks() == 0
    assert Contact.objects.get(pk=contact.pk).is_blocked


def test_routing_treats_an_ended_block_as_lifted_before_any_sweep(channel, supervisor, blocking_on):
    with freeze_time(START):
        contact, blocked = _blocked_for(channel, supervisor, "1h")
    with freeze_time(START + timedelta(hours=1)):
        routed = deliver(channel, "+628111", "hello again")
    # The blocked ticket went back to the queues as by Unblock All, and the message joined it there.
    assert routed.ticket.pk == blocked.pk
    assert routed.ticket.status == TicketStatus.UNASSIGNED
    assert Ticket.objects.get(pk=blocked.pk).status == TicketStatus.UNASSIGNED
    contact.refresh_from_db()
    assert not contact.is_blocked and contact.blocked_until is None
    block = Block.objects.get(contact=contact)
    assert (block.lifted_with, block.lifted_at, block.lifted_by) == (
        LiftedWith.EXPIRED,
        START + timedelta(hours=1),
        None,
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BLOCK_EXPIRED)
    assert (entry.contact_id, entry.who, entry.tickets) == (contact.pk, EXPIRY_ACTOR, 1)
    assert lift_ended_blocks(now=START + timedelta(hours=2)) == 0  # nothing left for the sweep


def test_with_the_bot_on_an_ended_blocks_tickets_go_to_the_bot(channel, supervisor, blocking_on, set_switches):
    with freeze_time(START):
        _, blocked = _blocked_for(channel, supervisor, "1h")
    set_switches(bot_enabled=True)
    with freeze_time(START + timedelta(hours=2)):
        assert deliver(channel, "+628111", "hi").ticket.status == TicketStatus.BOT
    assert Ticket.objects.get(pk=blocked.pk).status == TicketStatus.BOT


def test_the_sweep_lifts_ended_blocks_as_unblock_all_and_says_so(channel, supervisor, blocking_on):
    with freeze_time(START):
        ended, ended_ticket = _blocked_for(channel, supervisor, "1h", address="+628111")
        running, running_ticket = _blocked_for(channel, supervisor, "1d", address="+628222")
        forever = deliver(channel, "+628333", "hi").contact
        block_contact(actor=supervisor, contact=forever, reason="abuse")

    assert lift_ended_blocks(now=START + timedelta(hours=1, seconds=1)) == 1

    assert Ticket.objects.get(pk=ended_ticket.pk).status == TicketStatus.UNASSIGNED
    assert Message.objects.filter(ticket=ended_ticket, body="Block ended at expiry (Unblock All)").exists()
    assert not Contact.objects.get(pk=ended.pk).is_blocked
    assert Ticket.objects.get(pk=running_ticket.pk).status == TicketStatus.BLOCKED
    assert Contact.objects.get(pk=running.pk).is_blocked
    assert Contact.objects.get(pk=forever.pk).is_blocked
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.BLOCK_EXPIRED)
    assert [(e.contact_id, e.who, str(e.get_action_display())) for e in entries] == [
        (ended.pk, EXPIRY_ACTOR, "Block lifted at expiry")
    ]
    assert lift_ended_blocks(now=START + timedelta(hours=1, seconds=2)) == 0  # idempotent


def test_a_person_who_unblocks_first_leaves_the_sweep_nothing(channel, supervisor, blocking_on):
    with freeze_time(START):
        contact, _ = _blocked_for(channel, supervisor, "1h")
        unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")
    assert lift_ended_blocks(now=START + timedelta(hours=2)) == 0
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.BLOCK_EXPIRED).exists()


def test_blocking_again_after_the_end_lifts_the_old_block_first(channel, supervisor, blocking_on):
    with freeze_time(START):
        contact, _ = _blocked_for(channel, supervisor, "1h")
    with freeze_time(START + timedelta(hours=3)):
        block_contact(actor=supervisor, contact=contact, reason="abuse")
    blocks = list(Block.objects.filter(contact=contact).order_by("blocked_at"))
    assert [(b.lifted_with, b.ends_at) for b in blocks] == [
        (LiftedWith.EXPIRED, START + timedelta(hours=1)),
        ("", None),
    ]
    assert Contact.objects.get(pk=contact.pk).blocked_until is None


def test_a_running_timed_block_cannot_be_blocked_again(channel, supervisor, blocking_on):
    contact, _ = _blocked_for(channel, supervisor, "7d")
    with pytest.raises(errors.Conflict):
        block_contact(actor=supervisor, contact=contact, reason="abuse")


def test_the_worker_runs_the_sweep(channel, supervisor, blocking_on):
    from blockdesk.periodic import periodic_jobs

    assert "lift ended blocks" in {job.name for job in periodic_jobs()}
    with freeze_time(START):
        contact, _ = _blocked_for(channel, supervisor, "1h")
    job = next(job for job in periodic_jobs() if job.name == "lift ended blocks")
    with freeze_time(START + timedelta(hours=1)):
        assert job.run() == 1
    assert not Contact.objects.get(pk=contact.pk).is_blocked
