"""The flood guard's domain functions: flag, auto-block, dismiss, block a flag — states, audit rows, permissions."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from blockdesk import errors
from contacts.blocking import block_contact
from contacts.flood_guard import (
    FLAG_NOT_OPEN,
    FLOOD_GUARD,
    NO_PERMISSION_FLOOD,
    auto_block_flood,
    block_flagged,
    dismiss_flag,
    flag_flood,
    flood_guard_refusal,
)
from contacts.models import AuditEntry, BlockReason, Contact, FloodFlag, FloodStatus
from tests import factories
from tests.spam.flood_helpers import flagged
from tickets.models import TicketStatus

Action = AuditEntry.Action


def test_flag_flood_opens_one_flag_and_audits_it(channel):
    flag = flagged(channel)
    assert flag.status == FloodStatus.OPEN
    assert (flag.messages, flag.window_minutes, flag.channel) == (31, 5, channel)
    entry = AuditEntry.objects.get(action=Action.FLOOD_FLAGGED)
    assert (entry.contact, entry.actor, entry.actor_name, entry.change) == (
        flag.contact,
        None,
        FLOOD_GUARD,
        "31 messages in 5 min",
    )


def test_a_second_flag_while_one_is_open_writes_nothing(channel):
    first = flagged(channel)
    assert flagged(channel, first.contact, messages=60) is None
    assert FloodFlag.objects.filter(contact=first.contact).count() == 1
    assert AuditEntry.objects.filter(action=Action.FLOOD_FLAGGED).count() == 1


def test_the_database_keeps_one_open_flag_even_when_the_look_misses_it(channel, monkeypatch):
    """A caller that read "no open flag" too early: the constraint refuses, flag_flood answers None, the
    caller's transaction lives on."""
    first = flagged(channel)
    monkeypatch.setattr(FloodFlag.objects, "filter", lambda **kw: FloodFlag.objects.none())
    with transaction.atomic():
        assert flag_flood(first.contact, channel=channel, messages=40, window_minutes=5, now=timezone.now()) is None
        assert Contact.objects.filter(pk=first.contact_id).exists()  # the transaction still works
    monkeypatch.undo()
    assert FloodFlag.objects.filter(contact=first.contact).count() == 1
    assert AuditEntry.objects.filter(action=Action.FLOOD_FLAGGED).count() == 1


def test_auto_block_blocks_as_the_flood_guard_and_resolves_open_tickets(channel):
    contact = factories.ContactFactory()
    ticket = factories.TicketFactory(contact=contact, channel=channel)
    now = timezone.now()
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        block = auto_block_flood(locked, channel=channel, messages=31, window_minutes=5, now=now)
    contact.refresh_from_db()
    assert contact.is_blocked and contact.blocked_by_name == FLOOD_GUARD and contact.blocked_by is None
    assert (block.reason, block.note, block.actor_name) == (BlockReason.SPAM, "31 messages in 5 min", FLOOD_GUARD)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    flag = FloodFlag.objects.get(contact=contact)
    assert (flag.status, flag.resolved_at) == (FloodStatus.AUTO_BLOCKED, now)
    entry = AuditEntry.objects.get(action=Action.BLOCKED)
    assert (entry.actor_name, entry.block) == (FLOOD_GUARD, block)


def test_auto_block_turns_an_open_flag_into_the_guards_block(channel):
    open_flag = flagged(channel)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=open_flag.contact_id)
        auto_block_flood(locked, channel=channel, messages=45, window_minutes=5, now=timezone.now())
    open_flag.refresh_from_db()
    assert (open_flag.status, open_flag.messages) == (FloodStatus.AUTO_BLOCKED, 45)
    assert FloodFlag.objects.filter(contact=open_flag.contact).count() == 1


def test_dismiss_closes_the_flag_and_restarts_the_count(channel, supervisor):
    flag = flagged(channel)
    before = timezone.now()
    dismiss_flag(actor=supervisor, flag=flag)
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == (FloodStatus.DISMISSED, supervisor)
    contact = Contact.objects.get(pk=flag.contact_id)
    assert contact.flood_counted_from >= before
    entry = AuditEntry.objects.get(action=Action.FLOOD_DISMISSED)
    assert (entry.actor, entry.contact, entry.change) == (supervisor, contact, "31 messages in 5 min")


def test_dismissing_twice_is_a_conflict_and_changes_nothing(channel, supervisor, administrator):
    flag = flagged(channel)
    dismiss_flag(actor=supervisor, flag=flag)
    with pytest.raises(errors.Conflict) as refused:
        dismiss_flag(actor=administrator, flag=flag)
    assert refused.value.detail == FLAG_NOT_OPEN.format(status="dismissed")
    flag.refresh_from_db()
    assert flag.resolved_by == supervisor
    assert AuditEntry.objects.filter(action=Action.FLOOD_DISMISSED).count() == 1


@pytest.mark.parametrize("persona", ["agent", "contact_viewer_user"])
def test_only_supervisors_dismiss_or_block(channel, persona, request, blocking_on):
    user = request.getfixturevalue(persona) if persona == "agent" else factories.UserFactory()
    flag = flagged(channel)
    assert flood_guard_refusal(user) == NO_PERMISSION_FLOOD
    with pytest.raises(errors.Forbidden):
        dismiss_flag(actor=user, flag=flag)
    with pytest.raises(errors.Forbidden):
        block_flagged(actor=user, flag=flag, reason=BlockReason.SPAM)
    flag.refresh_from_db()
    assert flag.status == FloodStatus.OPEN


def test_supervisors_and_administrators_may(supervisor, administrator):
    assert flood_guard_refusal(supervisor) is None
    assert flood_guard_refusal(administrator) is None


def test_block_flagged_blocks_and_closes_the_flag(channel, supervisor, blocking_on):
    flag = flagged(channel)
    until = timezone.now() + timedelta(days=1)
    block = block_flagged(actor=supervisor, flag=flag, reason=BlockReason.ABUSE, note="flooding", until=until)
    contact = Contact.objects.get(pk=flag.contact_id)
    assert contact.is_blocked and contact.blocked_by == supervisor
    assert (block.reason, block.note, block.ends_at) == (BlockReason.ABUSE, "flooding", until)
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == (FloodStatus.BLOCKED, supervisor)
    assert AuditEntry.objects.filter(action=Action.BLOCKED, actor=supervisor, contact=contact).count() == 1


def test_block_flagged_with_blocking_switched_off_is_refused(channel, supervisor):
    flag = flagged(channel)
    with pytest.raises(errors.FeatureDisabled):
        block_flagged(actor=supervisor, flag=flag, reason=BlockReason.SPAM)
    flag.refresh_from_db()
    assert flag.status == FloodStatus.OPEN
    assert not Contact.objects.get(pk=flag.contact_id).is_blocked


def test_block_flagged_on_a_handled_flag_is_a_conflict(channel, supervisor, blocking_on):
    flag = flagged(channel)
    dismiss_flag(actor=supervisor, flag=flag)
    with pytest.raises(errors.Conflict) as refused:
        block_flagged(actor=supervisor, flag=flag, reason=BlockReason.SPAM)
    assert refused.value.detail == FLAG_NOT_OPEN.format(status="dismissed")
    assert not Contact.objects.get(pk=flag.contact_id).is_blocked


def test_blocking_the_contact_anywhere_closes_its_open_flag(channel, agent, blocking_on):
    """block_locked_contact closes the flag: the Suspected list never shows a blocked contact."""
    flag = flagged(channel)
    block_contact(actor=agent, contact=flag.contact, reason=BlockReason.SPAM)
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == (FloodStatus.BLOCKED, agent)


def test_a_contact_blocked_meanwhile_closes_the_flag_and_answers_already_blocked(
    channel, agent, supervisor, blocking_on
):
    flag = flagged(channel)
    block_contact(actor=agent, contact=flag.contact, reason=BlockReason.SPAM)
    # A flag left open by a block made before the guard closed flags (or by hand).
    FloodFlag.objects.filter(pk=flag.pk).update(status=FloodStatus.OPEN, resolved_by=None, resolved_at=None)
    with pytest.raises(errors.Conflict) as refused:
        block_flagged(actor=supervisor, flag=flag, reason=BlockReason.SPAM)
    assert refused.value.detail == errors.ALREADY_BLOCKED
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == (FloodStatus.BLOCKED, agent)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_dismiss_and_block_racing_leave_one_outcome(channel, supervisor, administrator, blocking_on):
    flag = flagged(channel)
    outcomes = []

    def run(act):
        try:
            act()
            outcomes.append("done")
        except errors.Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: dismiss_flag(actor=supervisor, flag=flag),)),
        threading.Thread(
            target=run, args=(lambda: block_flagged(actor=administrator, flag=flag, reason=BlockReason.SPAM),)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "done"]
    flag.refresh_from_db()
    contact = Contact.objects.get(pk=flag.contact_id)
    assert (flag.status == FloodStatus.BLOCKED) == contact.is_blocked
