"""Replies out over SMTP (a real SMTP server on loopback), threaded so the customer's answer finds its ticket."""

import pytest

from blockdesk import errors
from channels.email_models import EmailChannel, Security
from channels.email_poll import poll_mailbox
from channels.email_send import NO_ADDRESS, SMTP_LOGIN_FAILED, send_test
from channels.email_thread import our_message_pk
from channels.setup import SetupCheckFailed, kind_setup
from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests.channels.mail.conftest import ADDRESS, CUSTOMER, raw_mail
from tests.channels.peers.dovecot import free_port
from tickets.delivery import attempt_delivery
from tickets.models import DeliveryState, Message, Ticket
from tickets.outbox import send_reply

pytestmark = pytest.mark.django_db


def _poll(mailbox):
    return poll_mailbox(EmailChannel.objects.get(pk=mailbox.pk))


@pytest.fixture
def ticket(mailbox, dovecot):
    dovecot.append(
        raw_mail(
            "Where is my order?",
            message_id="<q1@customer.example>",
            headers={"References": "<root@customer.example>"},
        )
    )
    _poll(mailbox)
    return Ticket.objects.get()


def _reply(ticket, supervisor, text="It left today.") -> Message:
    message = send_reply(actor=supervisor, ticket=ticket, text=text)
    attempt_delivery(message.pk, 0)
    return Message.objects.get(pk=message.pk)


def test_a_reply_goes_out_threaded_from_the_mailbox_and_is_sent(ticket, supervisor, smtp_peer):
    message = _reply(ticket, supervisor)

    assert message.delivery_state == DeliveryState.SENT
    [got] = smtp_peer.received
    mail = got.message
    assert (got.mail_from, got.rcpt_to, got.user) == (ADDRESS, [CUSTOMER], "support")
    assert mail["From"] == f"Shop support <{ADDRESS}>"
    assert mail["To"] == CUSTOMER
    assert mail["Reply-To"] == ADDRESS
    assert mail["Subject"] == f"Re: Order 1234 [#{ticket.pk}]"
    assert mail["In-Reply-To"] == "<q1@customer.example>"
    assert mail["References"] == "<root@customer.example> <q1@customer.example>"
    assert mail["Message-ID"] == message.provider_message_id
    assert our_message_pk(message.provider_message_id) == message.pk
    assert mail["Message-ID"].endswith("@shop.example>")
    assert mail.get_content().strip() == "It left today."


def test_a_retry_sends_the_same_message_id(ticket, supervisor, smtp_peer):
    smtp_peer.refuse["MAIL"] = (451, "4.3.0 Try again later")
    message = send_reply(actor=supervisor, ticket=ticket, text="Hi")
    attempt_delivery(message.pk, 0)

    attempt_delivery(message.pk, 1)

    message.refresh_from_db()
    assert message.delivery_state == DeliveryState.SENT
    [got] = smtp_peer.received
    assert got.message["Message-ID"] == message.provider_message_id


def test_the_customers_answer_to_our_reply_comes_back_to_the_same_ticket(
    ticket, supervisor, smtp_peer, dovecot, mailbox
):
    ours = _reply(ticket, supervisor).provider_message_id
    dovecot.append(
        raw_mail(
            "Thanks, got it",
            subject=f"Re: Order 1234 [#{ticket.pk}]",
            headers={"In-Reply-To": ours, "References": f"<root@customer.example> <q1@customer.example> {ours}"},
        )
    )

    _poll(mailbox)

    answer = Message.objects.get(body="Thanks, got it")
    assert answer.ticket_id == ticket.pk
    assert answer.metadata["email"]["thread"] == {"ticket": ticket.pk, "by": "references"}
    assert answer.metadata["email"]["in_reply_to"] == [ours]


def test_a_mail_that_only_carries_the_tag_in_its_subject_is_threaded_by_it(ticket, dovecot, mailbox):
    dovecot.append(raw_mail("New mail, same matter", subject=f"About my order [#{ticket.pk}]"))

    _poll(mailbox)

    answer = Message.objects.get(body="New mail, same matter")
    assert answer.metadata["email"]["thread"] == {"ticket": ticket.pk, "by": "subject"}


def test_a_forged_reference_to_one_of_our_ids_threads_nothing(ticket, dovecot, mailbox):
    dovecot.append(raw_mail("Hi", headers={"In-Reply-To": "<blockdesk.1.00000000000000000000@shop.example>"}))

    _poll(mailbox)

    assert Message.objects.get(body="Hi").metadata["email"]["thread"] is None


def test_nothing_goes_out_to_a_blocked_contact(ticket, supervisor, smtp_peer, blocking_on, dovecot, mailbox):
    block_contact(actor=supervisor, contact=ticket.contact, reason=BlockReason.SPAM)
    dovecot.append(raw_mail("Spam again"))
    _poll(mailbox)
    blocked = Ticket.objects.get(status="blocked")

    with pytest.raises(errors.DomainError):
        send_reply(actor=supervisor, ticket=blocked, text="Hello?")

    assert smtp_peer.received == []
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()


@pytest.mark.parametrize("verb", ["MAIL", "RCPT", "DATA-END"])
def test_a_4xx_answer_is_tried_again(ticket, supervisor, smtp_peer, verb):
    smtp_peer.refuse[verb] = (451, "4.7.1 Greylisted, come back later")

    message = _reply(ticket, supervisor)

    assert message.delivery_state == DeliveryState.QUEUED
    assert message.last_error == "The SMTP server answered 451 4.7.1 Greylisted, come back later; trying again later."
    assert message.next_attempt_at is not None


@pytest.mark.parametrize("verb", ["MAIL", "RCPT", "DATA-END"])
def test_a_5xx_answer_fails_at_once_with_the_servers_words(ticket, supervisor, smtp_peer, verb):
    smtp_peer.refuse[verb] = (550, "5.1.1 No such user here")

    message = _reply(ticket, supervisor)

    assert message.delivery_state == DeliveryState.FAILED
    assert message.last_error == "The SMTP server refused the mail: 550 5.1.1 No such user here"


def test_a_refused_login_fails_with_the_servers_answer(ticket, supervisor, mailbox):
    box = EmailChannel.objects.get(pk=mailbox.pk)
    box.smtp_password = "wrong"
    box.save()

    message = _reply(ticket, supervisor)

    assert message.delivery_state == DeliveryState.FAILED
    assert message.last_error == SMTP_LOGIN_FAILED.format(code=535, text="5.7.8 Authentication credentials invalid")


def test_an_unreachable_server_is_tried_again(ticket, supervisor, mailbox):
    EmailChannel.objects.filter(pk=mailbox.pk).update(smtp_port=free_port())

    message = _reply(ticket, supervisor)

    assert message.delivery_state == DeliveryState.QUEUED
    assert message.last_error.startswith("The SMTP server could not be reached: ConnectionRefusedError")


def test_a_contact_without_an_email_address_fails_at_once(ticket, supervisor):
    ticket.contact.identities.update(external_id="not-an-address")
    type(ticket.contact).objects.filter(pk=ticket.contact_id).update(email="")

    message = _reply(ticket, supervisor)

    assert (message.delivery_state, message.last_error) == (DeliveryState.FAILED, NO_ADDRESS)


def test_the_setup_is_registered_for_the_kind():
    setup = kind_setup("email")

    assert setup.settings_model is EmailChannel
    assert setup.webhook_path is None
    assert setup.send_test is send_test


def test_send_test_logs_in_to_both_servers_and_says_what_worked(mailbox, dovecot, smtp_peer):
    dovecot.append(raw_mail())

    answer = send_test(mailbox.channel)

    assert answer == (
        f"IMAP: logged in as {dovecot.user}; folder INBOX holds 1 mail. "
        f"SMTP: connected to 127.0.0.1:{smtp_peer.port}, logged in as support, NOOP answered 250."
    )
    assert "NOOP" in smtp_peer.commands


def test_send_test_says_which_half_failed(mailbox, smtp_peer):
    box = EmailChannel.objects.get(pk=mailbox.pk)
    box.imap_password = "wrong"
    box.save()

    with pytest.raises(SetupCheckFailed) as failed:
        send_test(mailbox.channel)

    assert failed.value.reason.startswith("IMAP: IMAP login failed: [AUTHENTICATIONFAILED]")
    assert "SMTP: connected to" in failed.value.reason


def test_send_test_reports_an_smtp_server_that_is_not_there(mailbox):
    EmailChannel.objects.filter(pk=mailbox.pk).update(smtp_port=free_port(), smtp_security=Security.STARTTLS)

    with pytest.raises(SetupCheckFailed, match=r"SMTP: 127\.0\.0\.1:\d+ failed: ConnectionRefusedError"):
        send_test(mailbox.channel)
