"""Inbound messages racing with block, Unblock All and Delete All, on real PostgreSQL transactions.

Several threads deliver messages for one contact (new ids, repeats of their
own and of each other's ids) while another thread blocks the contact and
unblocks it again, alternating Unblock All and Delete All. Afterwards the
database must show that nothing was lost, nothing stored twice, and every
message sits where the routing rule put it at the moment it was stored.

Message ids come from a sequence taken while the contact row is locked, and
every block, unblock and delivery for the contact holds that lock, so the
order of message ids is the order in which those transactions happened.
"""

import random
import threading
import traceback
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.models import Count, F, Sum

from contacts.blocking import block_contact, unblock_contact
from contacts.models import Block, Contact, ContactIdentity, UnblockChoice
from tests.inbound import deliver
from tickets.models import OPEN_STATUSES, Message, Ticket, TicketStatus
from tickets.routing import DELETED

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent row-locking writers"),
    pytest.mark.django_db(transaction=True),
]

ADDRESS = "+628555000111"
DELIVERERS = 4
MAX_MESSAGES_PER_DELIVERER = 400
ROUNDS = 8  # block, then unblock with Unblock All and Delete All in turn
REPEAT_CHANCE = 0.25


@dataclass(frozen=True)
class Outcome:
    external_id: str
    message_pk: int | None
    duplicate: bool
    contact_was_blocked: bool  # as the locked contact row said when the message was routed
    reported_status: str


def test_deliveries_racing_block_and_unblock_are_never_lost_or_duplicated(channel, supervisor, blocking_on):
    # Warm the permission cache the blocker thread shares.
    assert supervisor.has_perm("contacts.block_contact") and supervisor.has_perm("contacts.unblock_contact")
    outcomes: list[Outcome] = []
    failures: list[str] = []  # tracebacks, so a failure shows where it happened
    first_stored = threading.Event()
    stop = threading.Event()

    def deliverer(n: int) -> None:
        rng = random.Random(n)
        try:
            for i in range(MAX_MESSAGES_PER_DELIVERER):
                if stop.is_set():
                    break
                ids = [f"m-{n}-{i}"]
                if i and rng.random() < REPEAT_CHANCE:
                    # A repeat of an earlier id, ours or another thread's (maybe being stored right now).
                    ids.append(f"m-{rng.randrange(DELIVERERS)}-{rng.randrange(i)}")
                for external_id in ids:
                    routed = deliver(channel, ADDRESS, f"text of {external_id}", message_id=external_id)
                    outcomes.append(
                        Outcome(
                            external_id=external_id,
                            message_pk=routed.message.pk if routed.message else None,
                            duplicate=routed.duplicate,
                            contact_was_blocked=routed.contact.is_blocked,
                            reported_status=routed.status,
                        )
                    )
                    first_stored.set()
        except BaseException:  # noqa: B036 - reported by the main thread
            failures.append(traceback.format_exc())
        finally:
            connection.close()

    def blocker() -> None:
        try:
            assert first_stored.wait(timeout=10)
            contact = ContactIdentity.objects.get(channel=channel, external_id=ADDRESS).contact
            for round_ in range(ROUNDS):
                stop.wait(0.05)
                block_contact(actor=supervisor, contact=contact, reason="spam")
                stop.wait(0.1)
                choice = UnblockChoice.UNBLOCK_ALL if round_ % 2 == 0 else UnblockChoice.DELETE_ALL
                unblock_contact(actor=supervisor, contact=contact, choice=choice)
        except BaseException:  # noqa: B036 - reported by the main thread
            failures.append(traceback.format_exc())
        finally:
            stop.wait(0.03)
            stop.set()
            connection.close()

    threads = [threading.Thread(target=deliverer, args=(n,)) for n in range(DELIVERERS)]
    threads.append(threading.Thread(target=blocker))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []

    contact = Contact.objects.get()
    accepted = [o for o in outcomes if not o.duplicate]
    accepted_pks = {o.message_pk for o in accepted}
    stored = dict(
        Message.objects.filter(direction=Message.Direction.IN).values_list("pk", "external_id"),
    )
    deleted = accepted_pks - set(stored)
    blocks = Block.objects.filter(contact=contact)
    report = {
        "delivered": len(outcomes),
        "accepted": len(accepted),
        "duplicates": len(outcomes) - len(accepted),
        "stored": len(stored),
        "deleted": len(deleted),
        "blocked while routing": sum(o.contact_was_blocked for o in accepted),
    }
    print(f"\nconcurrency: {report}")

    # The contact was blocked and unblocked every round, and messages raced with it.
    assert blocks.count() == ROUNDS and not blocks.filter(lifted_at__isnull=True).exists()
    assert not contact.is_blocked
    assert report["blocked while routing"] > 0 and report["deleted"] > 0 and report["duplicates"] > 0

    # Each delivery that stored a message stored its own row; a repeat answers with a row that was stored.
    assert len(accepted_pks) == len(accepted)
    assert {o.message_pk for o in outcomes if o.duplicate and o.message_pk} <= accepted_pks
    # Nothing stored that no delivery was told about, and no message id stored twice.
    assert set(stored) <= accepted_pks
    assert len(set(stored.values())) == len(stored)
    # An id is stored at most once, ever: a repeat of one that Delete All removed answers "deleted".
    assert len({o.external_id for o in accepted}) == len(accepted)
    deleted_ids = {o.external_id for o in accepted if o.message_pk in deleted}
    assert {o.external_id for o in outcomes if o.reported_status == DELETED} <= deleted_ids

    # Everything missing was deleted by Delete All, and the Block rows account for exactly that.
    deleted_counts = blocks.aggregate(tickets=Sum("tickets_deleted"), messages=Sum("messages_deleted"))
    assert deleted_counts["messages"] == len(deleted)
    # Only messages that arrived while the contact was blocked can have been deleted.
    assert [o for o in accepted if o.message_pk in deleted and not o.contact_was_blocked] == []

    # Every surviving message sits where the rule put it: in a ticket that was blocked at that
    # moment (it carries a later Unblock All note) exactly when the contact was blocked.
    # A ticket is blocked at most once (it opens blocked, and once released it never blocks again).
    release_notes = dict(
        Message.objects.filter(direction=Message.Direction.NOTE, body__endswith="(Unblock All)").values_list(
            "ticket_id", "id"
        )
    )
    in_ticket = dict(Message.objects.filter(pk__in=list(stored)).values_list("pk", "ticket_id"))
    for o in accepted:
        if o.message_pk in stored:
            note = release_notes.get(in_ticket[o.message_pk])
            released_later = note is not None and note > o.message_pk
            assert released_later == o.contact_was_blocked, o
    # And the answer each delivery got said so.
    assert [o for o in accepted if (o.reported_status == TicketStatus.BLOCKED) != o.contact_was_blocked] == []

    # The ticket invariants: one open ticket at a time, no blocked ticket left, counters right.
    assert Ticket.objects.filter(status__in=OPEN_STATUSES).count() <= 1
    assert not Ticket.objects.filter(status=TicketStatus.BLOCKED).exists()
    assert not Ticket.objects.annotate(n=Count("messages")).exclude(message_count=F("n")).exists()
