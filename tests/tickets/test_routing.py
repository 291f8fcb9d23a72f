import pytest
from django.db import IntegrityError, OperationalError, transaction

from contacts.blocking import block_contact, release_blocked_tickets, unblock_contact
from contacts.models import Contact, ContactIdentity
from tests import factories
from tests.inbound import deliver
from tickets import routing
from tickets.models import OPEN_STATUSES, Message, Ticket, TicketStatus
from tickets.queue import resolve_ticket
from tickets.routing import DELETED, InboundMessage, _worth_retrying, route_inbound_batch, route_inbound_message

pytestmark = pytest.mark.django_db


def test_first_message_creates_contact_identity_and_unassigned_ticket(channel):
    routed = deliver(channel, "+628111", "Hi there", name="Budi")

    assert not routed.duplicate
    assert routed.contact.name == "Budi"
    assert ContactIdentity.objects.get(channel=channel, external_id="+628111").contact == routed.contact
    assert routed.ticket.status == TicketStatus.UNASSIGNED
    assert routed.ticket.message_count == 1
    assert routed.ticket.last_message_preview == "Hi there"
    assert list(routed.ticket.messages.values_list("body", flat=True)) == ["Hi there"]


def test_bot_on_opens_ticket_with_bot(channel, bot_on):
    assert deliver(channel, "+628111").ticket.status == TicketStatus.BOT


def test_next_message_joins_open_ticket(channel):
    first = deliver(channel, "+628111", "one")
    second = deliver(channel, "+628111", "two")

    assert second.ticket.pk == first.ticket.pk
    ticket = Ticket.objects.get()
    assert ticket.message_count == 2
    assert ticket.last_message_preview == "two"


def test_same_address_on_another_channel_is_another_contact_and_ticket(channel):
    other = factories.ChannelFactory(name="Telegram")
    assert deliver(channel, "+628111").contact != deliver(other, "+628111").contact
    assert Ticket.objects.count() == 2


def test_message_after_resolve_opens_new_ticket(channel, agent):
    first = deliver(channel, "+628111")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)
    resolve_ticket(actor=agent, ticket=first.ticket)

    second = deliver(channel, "+628111")

    assert second.ticket.pk != first.ticket.pk
    assert second.ticket.status == TicketStatus.UNASSIGNED


def test_repeat_delivery_is_stored_once_and_answers_first_result(channel):
    first = deliver(channel, "+628111", message_id="wamid.1")
    repeat = deliver(channel, "+628111", "changed text", message_id="wamid.1")

    assert repeat.duplicate
    assert (repeat.message.pk, repeat.ticket.pk, repeat.contact.pk) == (
        first.message.pk,
        first.ticket.pk,
        first.contact.pk,
    )
    assert Message.objects.count() == 1
    assert Ticket.objects.get().message_count == 1


def test_same_message_id_on_another_channel_is_a_new_message(channel):
    other = factories.ChannelFactory(name="Telegram")
    deliver(channel, "+628111", message_id="m-1")
    assert not deliver(other, "+628111", message_id="m-1").duplicate
    assert Message.objects.count() == 2


def test_blocked_contact_opens_blocked_ticket_and_messages_gather_in_it(channel, supervisor, blocking_on, bot_on):
    first = deliver(channel, "+628111")
    block_contact(actor=supervisor, contact=first.contact, reason="spam")

    spam = [deliver(channel, "+628111", f"spam {n}") for n in range(3)]

    assert {r.ticket.pk for r in spam} == {spam[0].ticket.pk}
    ticket = Ticket.objects.get(pk=spam[0].ticket.pk)
    assert ticket.status == TicketStatus.BLOCKED
    assert ticket.message_count == 3
    assert not Ticket.objects.filter(status=TicketStatus.BOT).exists()


def test_blocked_contact_gets_one_blocked_ticket_per_channel(channel, supervisor, blocking_on):
    other = factories.ChannelFactory(name="Telegram")
    contact = deliver(channel, "+628111").contact
    ContactIdentity.objects.create(contact=contact, channel=other, external_id="tg-1")
    block_contact(actor=supervisor, contact=contact, reason="spam")

    deliver(channel, "+628111")
    deliver(other, "tg-1")
    deliver(other, "tg-1")

    blocked = Ticket.objects.filter(status=TicketStatus.BLOCKED)
    assert sorted(blocked.values_list("channel__name", flat=True)) == ["Telegram", "WhatsApp"]


def test_released_ticket_keeps_receiving_while_contact_stays_blocked(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    blocked = deliver(channel, "+628111").ticket
    release_blocked_tickets(actor=supervisor, ticket_ids=[blocked.pk])

    later = deliver(channel, "+628111", "are you there?")

    assert later.ticket.pk == blocked.pk
    assert Ticket.objects.get(pk=blocked.pk).status == TicketStatus.UNASSIGNED
    assert Contact.objects.get(pk=contact.pk).is_blocked


def test_open_ticket_kept_when_blocking_without_resolving(channel, supervisor, blocking_on):
    first = deliver(channel, "+628111")
    block_contact(actor=supervisor, contact=first.contact, reason="spam", resolve_open_tickets=False)

    assert deliver(channel, "+628111").ticket.pk == first.ticket.pk
    assert Ticket.objects.get(pk=first.ticket.pk).status == TicketStatus.UNASSIGNED


def test_first_message_stores_the_contacts_profile(channel):
    inbound = InboundMessage(
        message_id="wamid.9", contact_id="+628333", text="Hi", contact_name="Siti", phone="+628333", email="s@x.id"
    )

    contact = route_inbound_message(channel=channel, inbound=inbound).contact

    contact.refresh_from_db()
    assert (contact.name, contact.phone, contact.email, contact.is_blocked) == ("Siti", "+628333", "s@x.id", False)


def test_message_after_unblock_all_joins_the_released_ticket(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    blocked = deliver(channel, "+628111", "spam").ticket
    unblock_contact(actor=supervisor, contact=contact, choice="unblock_all")

    later = deliver(channel, "+628111", "sorry about that")

    assert later.ticket.pk == blocked.pk
    assert later.ticket.status == TicketStatus.UNASSIGNED
    assert Ticket.objects.filter(contact=contact, status__in=OPEN_STATUSES).count() == 1


def test_repeat_of_a_message_deleted_by_delete_all_is_not_stored_again(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    deliver(channel, "+628111", "buy now", message_id="spam-1")
    unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    repeat = deliver(channel, "+628111", "buy now", message_id="spam-1")

    assert repeat.duplicate
    assert (repeat.message, repeat.ticket, repeat.status) == (None, None, DELETED)
    assert repeat.contact == contact
    assert not Message.objects.filter(external_id="spam-1").exists()
    assert not Ticket.objects.filter(contact=contact).exclude(status=TicketStatus.RESOLVED).exists()


def test_batch_repeat_of_a_deleted_message_is_answered_deleted(channel, supervisor, blocking_on):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    deliver(channel, "+628111", "buy now", message_id="spam-1")
    unblock_contact(actor=supervisor, contact=contact, choice="delete_all")

    results = route_inbound_batch(
        channel=channel,
        inbounds=[
            InboundMessage(message_id="spam-1", contact_id="+628111", text="buy now"),
            InboundMessage(message_id="fresh-1", contact_id="+628111", text="sorry"),
        ],
    )

    assert [(r.status, r.duplicate) for r in results] == [(DELETED, True), (TicketStatus.UNASSIGNED, False)]
    stored = Message.objects.filter(external_id__in=["spam-1", "fresh-1"]).values_list("external_id", flat=True)
    assert list(stored) == ["fresh-1"]


def test_races_and_deadlocks_are_retried_but_an_outage_is_not():
    class DeadlockCause(Exception):
        sqlstate = "40P01"

    deadlock = OperationalError("deadlock detected")
    deadlock.__cause__ = DeadlockCause()

    assert _worth_retrying(IntegrityError("duplicate key value"))
    assert _worth_retrying(deadlock)
    assert not _worth_retrying(OperationalError("connection refused"))


def _after_the_lock_read(monkeypatch, then):
    """Call then(read) right after routing's contact lock read, whichever statement read it."""

    def wrapped(real):
        def lock_then(channel, message_ids, addresses, **asked):
            read = real(channel, message_ids, addresses, **asked)
            then(read)
            return read

        return lock_then

    # The lock reads the switches too where it can (PostgreSQL, a channel read without them).
    for name in ("look_back_and_lock", "look_back_lock_and_read_switches"):
        monkeypatch.setattr(routing, name, wrapped(getattr(routing, name)))


def _ticket_changes_after_the_lock_read(monkeypatch, **change):
    """Make every open ticket change as a racing resolve or release would, right after routing read it."""
    _after_the_lock_read(
        monkeypatch, lambda read: Ticket.objects.filter(pk__in=[t.pk for t in read.tickets.values()]).update(**change)
    )


def test_message_to_a_ticket_resolved_after_the_lock_read_opens_a_new_ticket(channel, monkeypatch):
    first = deliver(channel, "+628111")
    _ticket_changes_after_the_lock_read(monkeypatch, status=TicketStatus.RESOLVED)

    later = deliver(channel, "+628111", "still there?")

    assert later.ticket.pk != first.ticket.pk
    assert (later.ticket.status, later.ticket.message_count) == (TicketStatus.UNASSIGNED, 1)
    assert Ticket.objects.get(pk=first.ticket.pk).message_count == 1
    assert list(later.ticket.messages.values_list("body", flat=True)) == ["still there?"]


def test_message_whose_ticket_was_replaced_after_the_lock_read_joins_the_new_one_without_a_retry(channel, monkeypatch):
    """The lock read waited while Delete All removed the ticket and the delivery holding the lock opened a new one."""
    first = deliver(channel, "+628111")
    reads = []

    def replace(read):
        reads.append(read)
        if len(reads) == 1:
            Message.objects.filter(ticket=first.ticket).delete()
            Ticket.objects.filter(pk=first.ticket.pk).delete()
            replaced = factories.TicketFactory(contact=first.contact, channel=channel, status=TicketStatus.BOT)
            reads.append(replaced)

    _after_the_lock_read(monkeypatch, replace)
    later = deliver(channel, "+628111", "hello again")

    replaced = reads[1]
    assert len(reads) == 2  # one read: routing did not start again
    assert (later.ticket.pk, later.status) == (replaced.pk, TicketStatus.BOT)
    assert Ticket.objects.get(pk=replaced.pk).last_message_preview == "hello again"
    assert Ticket.objects.filter(contact=first.contact).count() == 1


def test_message_to_a_ticket_released_after_the_lock_read_joins_it_as_it_is_now(
    channel, supervisor, blocking_on, monkeypatch
):
    contact = deliver(channel, "+628111").contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    blocked = deliver(channel, "+628111").ticket
    _ticket_changes_after_the_lock_read(monkeypatch, status=TicketStatus.UNASSIGNED)

    later = deliver(channel, "+628111", "sorry")

    assert (later.ticket.pk, later.ticket.status, later.status) == (blocked.pk, "unassigned", "unassigned")
    ticket = Ticket.objects.get(pk=blocked.pk)
    assert (ticket.message_count, ticket.last_message_preview) == (2, "sorry")


def test_batch_with_one_ticket_changed_after_the_lock_read_keeps_the_others(channel, agent, monkeypatch):
    kept = deliver(channel, "+628111").ticket
    resolved = deliver(channel, "+628222").ticket
    _after_the_lock_read(
        monkeypatch, lambda read: Ticket.objects.filter(pk=resolved.pk).update(status=TicketStatus.RESOLVED)
    )
    results = route_inbound_batch(
        channel=channel,
        inbounds=[InboundMessage(f"b-{n}", address, f"text {n}") for n, address in enumerate(["+628111", "+628222"])],
    )

    assert results[0].ticket.pk == kept.pk
    assert results[1].ticket.pk not in (kept.pk, resolved.pk)
    assert Ticket.objects.get(pk=kept.pk).message_count == 2
    assert Ticket.objects.get(pk=resolved.pk).message_count == 1
    assert Ticket.objects.get(pk=results[1].ticket.pk).message_count == 1


class _Race:
    """Raise `error` from the message insert the first `times` times: a racing delivery that won.

    The insert is insert_rows with messages, or (PostgreSQL) the open ticket's update with its message.
    """

    def __init__(self, monkeypatch, error: Exception, times: int):
        self.calls, self.error, self.times = 0, error, times
        self.insert_rows, self.with_message = routing.insert_rows, routing.add_to_ticket_with_message
        monkeypatch.setattr(routing, "insert_rows", self.insert)
        monkeypatch.setattr(routing, "add_to_ticket_with_message", self.add_with_message)

    def _lose(self) -> None:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error

    def insert(self, *groups):
        if any(objs and isinstance(objs[0], Message) for objs in groups):
            self._lose()
        return self.insert_rows(*groups)

    def add_with_message(self, *args, **kwargs):
        self._lose()
        return self.with_message(*args, **kwargs)


def test_a_lost_race_is_tried_again_from_a_clean_slate(channel, monkeypatch):
    race = _Race(monkeypatch, IntegrityError("duplicate key value"), times=routing.ROUTE_ATTEMPTS - 1)

    routed = deliver(channel, "+628111", "hi")

    assert race.calls == routing.ROUTE_ATTEMPTS
    assert not routed.duplicate and routed.message.body == "hi"
    # The failed tries' contact, identity and ticket rolled back with them.
    assert (Contact.objects.count(), ContactIdentity.objects.count(), Ticket.objects.count()) == (1, 1, 1)


def test_routing_gives_up_after_its_attempts_and_never_retries_an_outage(channel, monkeypatch):
    race = _Race(monkeypatch, IntegrityError("duplicate key value"), times=routing.ROUTE_ATTEMPTS)
    with pytest.raises(IntegrityError):
        deliver(channel, "+628111")
    assert race.calls == routing.ROUTE_ATTEMPTS

    outage = _Race(monkeypatch, OperationalError("connection refused"), times=1)
    with pytest.raises(OperationalError):
        deliver(channel, "+628111")
    assert outage.calls == 1
    assert not Contact.objects.exists()


def test_batch_rolls_a_lost_race_back_to_its_savepoint_and_tries_again(channel, monkeypatch):
    deliver(channel, "+628111", message_id="before")
    race = _Race(monkeypatch, IntegrityError("duplicate key value"), times=1)
    inbounds = [InboundMessage(f"b-{n}", f"+62822{n % 2}", f"text {n}") for n in range(4)]

    with transaction.atomic():  # as the API's batch endpoint
        results = route_inbound_batch(channel=channel, inbounds=inbounds)

    assert race.calls == 2
    assert [r.duplicate for r in results] == [False] * 4
    assert Contact.objects.count() == 3 and Ticket.objects.count() == 3
    assert sorted(Ticket.objects.values_list("message_count", flat=True)) == [1, 2, 2]


def test_batch_still_in_the_way_is_routed_message_by_message(channel, monkeypatch):
    race = _Race(monkeypatch, IntegrityError("duplicate key value"), times=routing.ROUTE_ATTEMPTS - 1)
    inbounds = [InboundMessage(f"b-{n}", "+628111", f"text {n}") for n in range(3)]

    results = route_inbound_batch(channel=channel, inbounds=inbounds)

    assert race.calls == routing.ROUTE_ATTEMPTS - 1 + len(inbounds)  # then one insert per message
    assert len({r.ticket.pk for r in results}) == 1
    assert Ticket.objects.get().message_count == 3
