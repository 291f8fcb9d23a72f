"""A repeat delivery that waits for the contact lock while Delete All removes its message (PostgreSQL).

The delivery's one look-back statement reads the earlier deliveries of its
message id with the snapshot it started with, then waits for the contact row
that Delete All holds. When Delete All commits, the message that snapshot saw
is gone and its id is remembered as deleted: the delivery must answer
"deleted" and store nothing, not take the id for a new message.
"""

import threading

import pytest
from django.db import connection, transaction

from contacts.blocking import block_contact, unblock_contact
from contacts.models import ContactIdentity, UnblockChoice
from tests.inbound import deliver
from tests.lock_waits import in_thread, until, waiting_for_locks
from tickets.models import DeletedMessage, Message
from tickets.routing import DELETED

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent row-locking writers"),
    pytest.mark.django_db(transaction=True),
]

ADDRESS = "+628555000222"


def test_a_repeat_waiting_behind_delete_all_answers_deleted(channel, supervisor, blocking_on):
    assert supervisor.has_perm("contacts.unblock_contact")  # warm the permission cache the thread shares
    deliver(channel, ADDRESS, "first")
    contact = ContactIdentity.objects.get(channel=channel, external_id=ADDRESS).contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    deliver(channel, ADDRESS, "spam", message_id="spam-1")
    holding, release = threading.Event(), threading.Event()
    answers, failures = [], []

    def delete_all() -> None:
        with transaction.atomic():
            unblock_contact(actor=supervisor, contact=contact, choice=UnblockChoice.DELETE_ALL)
            holding.set()
            assert release.wait(timeout=10)

    deleting = in_thread(delete_all, failures, holding)
    assert holding.wait(timeout=10)
    repeating = in_thread(
        lambda: answers.append(deliver(channel, ADDRESS, "spam", message_id="spam-1")), failures, holding
    )
    until(lambda: waiting_for_locks() >= 1)
    release.set()
    deleting.join(timeout=10)
    repeating.join(timeout=10)

    assert not failures, failures[0]
    assert [(a.duplicate, a.message, a.status) for a in answers] == [(True, None, DELETED)]
    assert not Message.objects.filter(external_id="spam-1").exists()
    assert DeletedMessage.objects.filter(external_id="spam-1").count() == 1


def test_a_repeat_whose_first_copy_was_stored_and_deleted_while_it_waited_answers_deleted(
    channel, supervisor, blocking_on
):
    """The repeat's snapshot is older than both the first copy and Delete All: it sees neither."""
    assert supervisor.has_perm("contacts.unblock_contact")  # warm the permission cache the threads share
    deliver(channel, ADDRESS, "first")
    contact = ContactIdentity.objects.get(channel=channel, external_id=ADDRESS).contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    holding, release = threading.Event(), threading.Event()
    answers, failures = [], []

    def first_copy() -> None:
        with transaction.atomic():
            deliver(channel, ADDRESS, "spam", message_id="spam-2")
            holding.set()
            assert release.wait(timeout=10)

    storing = in_thread(first_copy, failures, holding)
    assert holding.wait(timeout=10)
    # Delete All queues for the contact lock first, then the repeat: the first copy's commit lets Delete All
    # in before the repeat, whose look-back snapshot was taken before either committed.
    deleting = in_thread(
        lambda: unblock_contact(actor=supervisor, contact=contact, choice=UnblockChoice.DELETE_ALL), failures, holding
    )
    until(lambda: waiting_for_locks() >= 1)
    repeating = in_thread(
        lambda: answers.append(deliver(channel, ADDRESS, "spam", message_id="spam-2")), failures, holding
    )
    until(lambda: waiting_for_locks() >= 2)
    assert waiting_for_locks() == 2
    release.set()
    for thread in (storing, deleting, repeating):
        thread.join(timeout=10)

    assert not failures, failures[0]
    assert [(a.duplicate, a.message, a.status) for a in answers] == [(True, None, DELETED)]
    assert not Message.objects.filter(external_id="spam-2").exists()
    assert DeletedMessage.objects.filter(external_id="spam-2").count() == 1
