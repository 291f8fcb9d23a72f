"""contacts 0005 normalises the stored addresses and merges the contacts whose addresses then collide.

Migrate back to the state before it, make rows with the models of that state,
migrate forward, and read what it made.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from contacts.models import AuditEntry, Block, Contact, ContactIdentity
from tests.test_migrations import _migrate, _to_latest
from tickets.models import Message, Ticket

BEFORE = ("contacts", "0004_identity_address_indexes")
AFTER = ("contacts", "0005_normalise_identity_addresses")
PHONE = "+6281234567890"


@pytest.fixture
def old_models(transactional_db):
    """The models as they were before the migration; the database is fully migrated again afterwards."""
    _migrate([BEFORE])
    loader = MigrationExecutor(connection).loader
    yield loader.project_state(list(loader.applied_migrations)).apps
    _to_latest()


def _contact(apps, name, *, days_old, blocked=False, **fields):
    Contact = apps.get_model("contacts", "Contact")
    now = timezone.now()
    block = {"is_blocked": True, "blocked_reason": "spam", "blocked_at": now} if blocked else {}
    contact = Contact.objects.create(name=name, **block, **fields)
    Contact.objects.filter(pk=contact.pk).update(created_at=now - timedelta(days=days_old))
    return contact


def _ticket(apps, contact, channel, status, *, messages, minutes_ago):
    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    at = timezone.now() - timedelta(minutes=minutes_ago)
    ticket = Ticket.objects.create(
        contact=contact, channel=channel, status=status, last_message_at=at, message_count=len(messages)
    )
    for n, body in enumerate(messages):
        Message.objects.create(
            ticket=ticket,
            channel=channel,
            direction="in",
            body=body,
            external_id=f"{ticket.pk}-{n}",
            sent_at=at - timedelta(seconds=len(messages) - n),
        )
    return ticket


def test_addresses_are_normalised_and_colliding_people_merged(old_models, capsys):
    apps = old_models
    Channel = apps.get_model("contacts", "Channel")
    Identity = apps.get_model("contacts", "ContactIdentity")
    wa1, wa2, mail, telegram = (
        Channel.objects.create(name=name, kind=kind, token_hash=f"{n:064x}", token_prefix="bdc_test")
        for n, (name, kind) in enumerate(
            [("WA 1", "whatsapp"), ("WA 2", "whatsapp"), ("Mail", "email"), ("Telegram", "telegram")]
        )
    )
    # One phone written three ways on two WhatsApp channels: the oldest contact, a blocked one, a third.
    oldest = _contact(apps, "Budi", days_old=30)
    spammer = _contact(apps, "", days_old=10, blocked=True)
    third = _contact(apps, "Budi S", days_old=5, phone="0812 3456 7890")
    Identity.objects.create(contact=oldest, channel=wa1, external_id=" 081234567890")
    Identity.objects.create(contact=spammer, channel=wa2, external_id="+62 812-3456-7890\u200b")
    Identity.objects.create(contact=third, channel=wa1, external_id=PHONE)
    block = apps.get_model("contacts", "Block").objects.create(
        contact=spammer, reason="spam", blocked_at=spammer.blocked_at
    )
    apps.get_model("contacts", "AuditEntry").objects.create(
        action="blocked", contact=spammer, block=block, at=spammer.blocked_at
    )
    older_open = _ticket(apps, oldest, wa1, "unassigned", messages=["one", "two"], minutes_ago=60)
    newer_open = _ticket(apps, third, wa1, "unassigned", messages=["three"], minutes_ago=5)
    blocked_ticket = _ticket(apps, spammer, wa2, "blocked", messages=["spam"], minutes_ago=30)
    # One e-mail address in two cases on the e-mail channel: the older contact survives.
    ani = _contact(apps, "Ani", days_old=20)
    ani_again = _contact(apps, "", days_old=2, email="ani@example.com")
    Identity.objects.create(contact=ani, channel=mail, external_id="Ani@Example.COM")
    Identity.objects.create(contact=ani_again, channel=mail, external_id="ani@example.com ")
    # Only cleaned: a chat id, and a number that is not a valid phone number.
    chat = _contact(apps, "Chat", days_old=1)
    Identity.objects.create(contact=chat, channel=telegram, external_id="\u2003tg-user\u200b")
    Identity.objects.create(contact=chat, channel=wa2, external_id="+628111 ")

    _migrate([AFTER])
    printed = capsys.readouterr().out
    _to_latest()  # read what it made with today's models
    assert (
        "Addresses: 5 identities normalised, 2 duplicates removed; 1 contact phones/e-mails normalised; "
        "3 contacts merged into 2; 1 open tickets joined." in printed
    )
    assert set(ContactIdentity.objects.values_list("channel__name", "external_id", "contact_id")) == {
        ("WA 1", PHONE, spammer.pk),
        ("WA 2", PHONE, spammer.pk),
        ("Mail", "ani@example.com", ani.pk),
        ("Telegram", "tg-user", chat.pk),
        ("WA 2", "+628111", chat.pk),
    }
    assert set(Contact.objects.values_list("pk", flat=True)) == {spammer.pk, ani.pk, chat.pk}
    survivor = Contact.objects.get(pk=spammer.pk)
    # Blocked first, whatever its age; its empty name and phone filled from the contacts merged into it.
    assert survivor.is_blocked
    assert (survivor.name, survivor.phone) == ("Budi", PHONE)
    assert Block.objects.get().contact_id == spammer.pk
    assert AuditEntry.objects.get().contact_id == spammer.pk
    assert Contact.objects.get(pk=ani.pk).email == "ani@example.com"
    # The two open tickets on WA 1 are one: the older keeps its id, with all messages and a note.
    assert set(Ticket.objects.values_list("pk", "contact_id", "status")) == {
        (older_open.pk, spammer.pk, "unassigned"),
        (blocked_ticket.pk, spammer.pk, "blocked"),
    }
    joined = Ticket.objects.get(pk=older_open.pk)
    assert list(joined.messages.values_list("body", flat=True).order_by("sent_at", "id"))[:3] == [
        "one",
        "two",
        "three",
    ]
    note = joined.messages.get(direction=Message.Direction.NOTE)
    assert note.body.startswith(f"Ticket #{newer_open.pk} (1 message) of the same person merged into this one")
    assert joined.message_count == 4
    assert joined.last_message_preview == "three"
    assert joined.last_message_at == newer_open.last_message_at


def test_both_blocked_keep_one_current_block(old_models, capsys):
    apps = old_models
    Channel = apps.get_model("contacts", "Channel")
    Identity = apps.get_model("contacts", "ContactIdentity")
    Block = apps.get_model("contacts", "Block")
    wa1 = Channel.objects.create(name="WA 1", kind="whatsapp", token_hash="1" * 64, token_prefix="bdc_test")
    sms = Channel.objects.create(name="SMS", kind="sms", token_hash="2" * 64, token_prefix="bdc_test")
    first = _contact(apps, "First", days_old=9, blocked=True)
    second = _contact(apps, "Second", days_old=3, blocked=True)
    Identity.objects.create(contact=first, channel=wa1, external_id=PHONE)
    Identity.objects.create(contact=second, channel=sms, external_id="081234567890")
    kept = Block.objects.create(contact=first, reason="spam", blocked_at=first.blocked_at)
    closed = Block.objects.create(contact=second, reason="abuse", blocked_at=second.blocked_at)

    _migrate([AFTER])

    assert "1 contacts merged into 1" in capsys.readouterr().out
    assert list(Contact.objects.values_list("pk", "is_blocked")) == [(first.pk, True)]
    blocks = {b.pk: b for b in Block.objects.all()}
    assert blocks[kept.pk].lifted_at is None
    assert (blocks[closed.pk].contact_id, blocks[closed.pk].lifted_with) == (first.pk, "merged")
    assert blocks[closed.pk].lifted_at is not None
