"""Mail in, against a real Dovecot: a mail opens a ticket once, however often it is polled; machines open none."""

import pytest
from django.utils import timezone

from blockdesk import periodic
from channels import email_poll
from channels.email_models import EmailChannel, ProcessedAction
from channels.email_poll import MailboxError, poll_mailbox, poll_mailboxes
from contacts.blocking import block_contact
from contacts.models import BlockReason, Contact
from tests.channels.mail.conftest import CUSTOMER, raw_mail
from tests.channels.peers.dovecot import free_port
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def _poll(mailbox):
    return poll_mailbox(EmailChannel.objects.get(pk=mailbox.pk))


def test_a_mail_becomes_a_ticket_of_its_sender(mailbox, dovecot):
    dovecot.append(raw_mail("Where is my order?", message_id="<first@customer.example>"))

    result = _poll(mailbox)

    assert (result.stored, result.duplicates, result.automatic) == (1, 0, 0)
    [ticket] = Ticket.objects.all()
    assert (ticket.status, ticket.channel_id) == (TicketStatus.UNASSIGNED, mailbox.channel_id)
    assert (ticket.contact.name, ticket.contact.email) == ("Budi Santoso", CUSTOMER)
    assert list(ticket.contact.identities.values_list("external_id", flat=True)) == [CUSTOMER]
    [message] = ticket.messages.all()
    assert (message.body, message.external_id) == ("Where is my order?", "<first@customer.example>")
    assert message.metadata["email"]["subject"] == "Order 1234"
    assert message.metadata["email"]["imap_uid"] == 1
    assert message.metadata["attachments"] == []


def test_processed_mail_is_flagged_seen_and_the_last_uid_remembered(mailbox, dovecot):
    dovecot.append(raw_mail())
    dovecot.append(raw_mail())

    _poll(mailbox)

    assert dovecot.uids(criteria="SEEN") == [1, 2]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2
    assert mailbox.uid_validity
    assert (mailbox.last_poll_error, mailbox.polling_until) == ("", None)
    assert mailbox.last_polled_at is not None


def test_a_repoll_stores_nothing_twice_and_reads_only_new_mail(mailbox, dovecot):
    dovecot.append(raw_mail("one"))
    _poll(mailbox)
    dovecot.append(raw_mail("two"))

    result = _poll(mailbox)

    assert (result.stored, result.duplicates) == (1, 0)
    assert list(Message.objects.values_list("body", flat=True)) == ["one", "two"]
    assert Ticket.objects.count() == 1
    assert _poll(mailbox).stored == 0


def test_a_new_uidvalidity_reads_the_folder_again_and_message_ids_dedupe(mailbox, dovecot):
    dovecot.append(raw_mail("one"))
    dovecot.append(raw_mail(message_id=None))  # deduped by the hash of its headers
    _poll(mailbox)
    EmailChannel.objects.filter(pk=mailbox.pk).update(uid_validity=1)

    result = _poll(mailbox)

    assert (result.stored, result.duplicates) == (0, 2)
    assert Message.objects.count() == 2
    mailbox.refresh_from_db()
    assert (mailbox.uid_validity != 1, mailbox.last_uid) == (True, 2)


def test_a_worker_that_died_before_flagging_leaves_the_mail_to_the_next_poll_which_stores_it_once(mailbox, dovecot):
    dovecot.append(raw_mail("one"))
    _poll(mailbox)
    EmailChannel.objects.filter(pk=mailbox.pk).update(last_uid=0)

    assert _poll(mailbox).duplicates == 1
    assert Message.objects.count() == 1


def test_processed_mail_can_be_moved_to_a_folder(mailbox, dovecot):
    EmailChannel.objects.filter(pk=mailbox.pk).update(processed_action=ProcessedAction.MOVE, processed_folder="Done")
    dovecot.append(raw_mail("one"))
    dovecot.append(raw_mail("Out of office", headers={"Auto-Submitted": "auto-replied"}))

    _poll(mailbox)

    assert dovecot.uids() == []
    assert len(dovecot.uids("Done")) == 2
    assert Message.objects.count() == 1


AUTOMATIC = [
    {"Auto-Submitted": "auto-replied"},
    {"X-Autoreply": "yes"},
    {"Precedence": "bulk"},
    {"List-Id": "<news.shop.example>"},
]


@pytest.mark.parametrize("headers", AUTOMATIC)
def test_auto_replies_and_bulk_mail_open_no_ticket_and_are_flagged_and_counted(mailbox, dovecot, smtp_peer, headers):
    dovecot.append(raw_mail("I am away until Monday", headers=headers))

    result = _poll(mailbox)

    assert (result.stored, result.automatic) == (0, 1)
    assert not Ticket.objects.exists() and not Contact.objects.exists()
    assert dovecot.uids(criteria="SEEN") == [1]
    mailbox.refresh_from_db()
    assert (mailbox.automatic_skipped, mailbox.last_uid) == (1, 1)
    assert smtp_peer.received == []


def test_a_bounce_opens_no_ticket(mailbox, dovecot):
    dovecot.append(raw_mail("Delivery failed", sender="MAILER-DAEMON@mx.customer.example"))
    dovecot.append(raw_mail("Undeliverable", sender="postmaster@mx.customer.example"))

    assert _poll(mailbox).automatic == 2
    assert not Ticket.objects.exists()


def test_mail_from_our_own_address_opens_no_ticket(mailbox, dovecot):
    dovecot.append(raw_mail(sender=f"Shop <{mailbox.address}>"))

    assert _poll(mailbox).automatic == 1
    assert not Ticket.objects.exists()


def test_mail_without_a_usable_sender_is_skipped_and_counted(mailbox, dovecot):
    dovecot.append(raw_mail(sender="undisclosed-recipients:;"))

    assert _poll(mailbox).unreadable == 1
    mailbox.refresh_from_db()
    assert (mailbox.unreadable_skipped, mailbox.last_uid) == (1, 1)


def test_a_blocked_contacts_mail_lands_in_the_blocked_list(mailbox, dovecot, supervisor, blocking_on):
    dovecot.append(raw_mail("first"))
    _poll(mailbox)
    contact = Contact.objects.get()
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)
    dovecot.append(raw_mail("spam again"))

    _poll(mailbox)

    blocked = Ticket.objects.get(status=TicketStatus.BLOCKED)
    assert blocked.contact == contact
    assert list(blocked.messages.values_list("body", flat=True)) == ["spam again"]


def test_a_known_customers_mail_joins_their_contact_by_email(mailbox, dovecot):
    known = Contact.objects.create(name="Budi", email=CUSTOMER.upper())
    dovecot.append(raw_mail())

    _poll(mailbox)

    assert Ticket.objects.get().contact == known


def test_html_only_mail_is_stored_as_text(mailbox, dovecot):
    dovecot.append(raw_mail(None, html="<style>x{}</style><p>Hello <b>team</b></p><script>evil()</script>"))

    _poll(mailbox)

    assert Message.objects.get().body == "Hello team"


def test_attachments_are_listed_in_the_metadata_and_the_text(mailbox, dovecot):
    dovecot.append(raw_mail("Photo of the damage", attachments=[("damage.jpg", b"\xff\xd8" * 1536, "image/jpeg")]))

    _poll(mailbox)

    message = Message.objects.get()
    assert message.metadata["attachments"] == [{"name": "damage.jpg", "size": 3072, "type": "image/jpeg"}]
    assert message.body == "Photo of the damage\n\nAttachments: damage.jpg (3 KB)"


def test_a_wrong_password_is_an_error_on_the_mailbox_and_stops_no_other(mailbox, dovecot, db):
    broken = EmailChannel.objects.get(pk=mailbox.pk)
    broken.pk = None
    broken.channel = type(mailbox.channel).objects.create(
        name="Broken", kind="email", token_hash="b" * 64, token_prefix="bdc_b"
    )
    broken.imap_password = "wrong"
    broken.save()
    dovecot.append(raw_mail())

    totals = poll_mailboxes()

    assert totals == {"mailboxes": 1, "stored": 1, "automatic": 0, "failed": 1}
    broken.refresh_from_db()
    assert broken.last_poll_error.startswith("IMAP login failed")
    assert broken.polling_until is None
    with pytest.raises(MailboxError, match="IMAP login failed"):
        poll_mailbox(broken)


def test_an_unreachable_server_is_an_error_not_a_crash(mailbox):
    EmailChannel.objects.filter(pk=mailbox.pk).update(imap_port=free_port())

    with pytest.raises(MailboxError, match="IMAP connection failed"):
        _poll(mailbox)

    mailbox.refresh_from_db()
    assert "IMAP connection failed" in mailbox.last_poll_error


def test_a_missing_folder_is_an_error(mailbox, dovecot):
    EmailChannel.objects.filter(pk=mailbox.pk).update(imap_folder="Nope")

    with pytest.raises(MailboxError, match="select 'Nope'"):
        _poll(mailbox)


def test_a_mailbox_another_worker_polls_is_left_alone(mailbox, dovecot):
    EmailChannel.objects.filter(pk=mailbox.pk).update(polling_until=timezone.now() + timezone.timedelta(minutes=5))
    dovecot.append(raw_mail())

    assert _poll(mailbox) is None
    assert not Message.objects.exists()


def test_an_inactive_channel_is_not_polled(mailbox, dovecot):
    type(mailbox.channel).objects.filter(pk=mailbox.channel_id).update(is_active=False)
    dovecot.append(raw_mail())

    assert poll_mailboxes()["mailboxes"] == 0
    assert not Message.objects.exists()


def test_the_worker_polls_the_mailboxes_as_a_periodic_job(mailbox, dovecot):
    dovecot.append(raw_mail())

    results = periodic.run_due_jobs()

    assert results["poll_mailboxes"]["stored"] == 1


def test_a_full_mailbox_is_read_in_batches_and_a_few_hundred_a_poll(mailbox, dovecot, monkeypatch):
    monkeypatch.setattr(email_poll, "FETCH_BATCH", 2)
    monkeypatch.setattr(email_poll, "MAX_PER_POLL", 3)
    for n in range(5):
        dovecot.append(raw_mail(f"mail {n}"))

    assert _poll(mailbox).stored == 3
    assert EmailChannel.objects.get(pk=mailbox.pk).last_uid == 3
    assert dovecot.uids(criteria="SEEN") == [1, 2, 3]
    assert _poll(mailbox).stored == 2
    assert Message.objects.count() == 5
