"""Unblock All waiting for the contact lock while another person unblocks and blocks the contact again (PostgreSQL).

Unblock reads the open block and locks the contact in one statement. The block
it read before the wait has been lifted by the time it holds the lock, and a
new block is open: it must lift the new one and leave the first as the other
person lifted it.
"""

import threading

import pytest
from django.db import connection, transaction

from contacts.blocking import block_contact, unblock_contact
from contacts.models import Block, Contact, UnblockChoice
from tests.lock_waits import in_thread, until, waiting_for_locks

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent row-locking writers"),
    pytest.mark.django_db(transaction=True),
]


def test_unblock_waiting_behind_an_unblock_and_a_new_block_lifts_the_new_block(supervisor, blocking_on):
    assert supervisor.has_perm("contacts.unblock_contact")  # warm the permission cache the threads share
    contact = Contact.objects.create(name="Rina", phone="+628555000333")
    first = block_contact(actor=supervisor, contact=contact, reason="spam")
    holding, release = threading.Event(), threading.Event()
    failures = []

    def unblock_and_block_again() -> None:
        with transaction.atomic():
            unblock_contact(actor=supervisor, contact=contact, choice=UnblockChoice.DELETE_ALL)
            block_contact(actor=supervisor, contact=contact, reason="abuse")
            holding.set()
            assert release.wait(timeout=10)

    other = in_thread(unblock_and_block_again, failures, holding)
    assert holding.wait(timeout=10)
    waiting = in_thread(
        lambda: unblock_contact(actor=supervisor, contact=contact, choice=UnblockChoice.UNBLOCK_ALL), failures, holding
    )
    until(lambda: waiting_for_locks() >= 1)
    release.set()
    other.join(timeout=10)
    waiting.join(timeout=10)

    assert not failures, failures[0]
    first.refresh_from_db()
    second = Block.objects.exclude(pk=first.pk).get(contact=contact)
    assert (first.reason, first.lifted_with) == ("spam", UnblockChoice.DELETE_ALL)
    assert (second.reason, second.lifted_with) == ("abuse", UnblockChoice.UNBLOCK_ALL)
    contact.refresh_from_db()
    assert not contact.is_blocked
