"""Fixtures and helpers of the e-mail tests: a real Dovecot, the SMTP peer, a mailbox wired to both, raw mail."""

import itertools
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.utils import timezone

from channels.email_models import EmailChannel, Security
from contacts.models import Channel
from tests import factories
from tests.channels.peers import dovecot as dovecot_peer
from tests.channels.peers.smtp import SMTPPeer

ADDRESS = "support@shop.example"
CUSTOMER = "budi@customer.example"
_ids = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot_server():
    if not dovecot_peer.installed():
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)")
    server = dovecot_peer.Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server) -> dovecot_peer.MailUser:
    """A fresh mailbox on the session's Dovecot."""
    return dovecot_server.next_user()


@pytest.fixture
def smtp_peer():
    peer = SMTPPeer(user="support", password="smtp-test-password").start()
    yield peer
    peer.stop()


@pytest.fixture
def mailbox(db, dovecot, smtp_peer) -> EmailChannel:
    channel = factories.ChannelFactory(name="Shop support", kind=Channel.Kind.EMAIL)
    return EmailChannel.objects.create(
        channel=channel,
        address=ADDRESS,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security=Security.NONE,
        imap_user=dovecot.user,
        imap_password=dovecot.password,
        smtp_host="127.0.0.1",
        smtp_port=smtp_peer.port,
        smtp_security=Security.NONE,
        smtp_user="support",
        smtp_password="smtp-test-password",
    )


def raw_mail(
    text: str = "Hello, where is my order?",
    *,
    sender: str = f"Budi Santoso <{CUSTOMER}>",
    subject: str = "Order 1234",
    message_id: str | None = "",
    html: str | None = None,
    headers: dict | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
) -> bytes:
    """An RFC 5322 mail as a customer's client would write it; message_id None leaves the header out."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ADDRESS
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        mail["Message-ID"] = message_id or f"<m{next(_ids)}.{timezone.now().timestamp()}@customer.example>"
    for name, value in (headers or {}).items():
        mail[name] = value
    if html is not None and text is None:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(text)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    for filename, content, mime in attachments:
        maintype, subtype = mime.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()
