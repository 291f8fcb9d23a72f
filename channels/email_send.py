"""The `email` channel's sender (a reply over SMTP, threaded into the customer's mail) and its set-up test.

SMTP has no delivery receipt: a reply the SMTP server accepted is `sent`,
and stays so (a delivery status notification would come back as a bounce,
which the poller skips). The server's 4xx answers, a refused connection and
a timeout are tried again; its 5xx answers fail at once, with its words.
"""

import smtplib
import socket
import ssl
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from contacts.models import ContactIdentity
from tickets.models import Message
from tickets.outbox import PermanentSendError, SendResult, TransientSendError

from .email_models import EmailChannel, Security
from .email_poll import IMAP_ERRORS, MailboxError, close_imap, open_imap, select_folder
from .email_thread import our_message_id, reply_subject, thread_headers
from .setup import SetupCheckFailed

NO_MAILBOX = "This e-mail channel has no mailbox settings; an administrator sets them on the channel."
NO_ADDRESS = "The contact has no e-mail address on this channel."
SMTP_REFUSED = "The SMTP server refused the mail: {code} {text}"
SMTP_UNAVAILABLE = "The SMTP server answered {code} {text}; trying again later."
SMTP_UNREACHABLE = "The SMTP server could not be reached: {error}"
SMTP_LOGIN_FAILED = "The SMTP server refused the login: {code} {text}"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def smtp_connection(mailbox: EmailChannel):
    return get_connection(
        SMTP_BACKEND,
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_user,
        password=mailbox.smtp_password,
        use_tls=mailbox.smtp_security == Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Security.SSL,
        timeout=settings.DELIVERY_TIMEOUT_SECONDS,
        fail_silently=False,
    )


def recipient(message: Message) -> str:
    address = (
        ContactIdentity.objects.filter(contact_id=message.ticket.contact_id, channel_id=message.channel_id)
        .order_by("id")
        .values_list("external_id", flat=True)
        .first()
    )
    return address if address and "@" in address else (message.ticket.contact.email or "")


def build_reply(message: Message, mailbox: EmailChannel, to: str) -> EmailMessage:
    subject, in_reply_to, references = thread_headers(message)
    headers = {"Message-ID": our_message_id(message, mailbox.domain)}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    return EmailMessage(
        subject=reply_subject(subject, message.ticket_id),
        body=message.body,
        from_email=formataddr((message.channel.name, mailbox.address)),
        to=[to],
        reply_to=[mailbox.address],
        headers=headers,
    )


def send_email_reply(message: Message) -> SendResult:
    mailbox = EmailChannel.objects.filter(channel_id=message.channel_id).first()
    if mailbox is None:
        raise PermanentSendError(NO_MAILBOX)
    to = recipient(message)
    if not to:
        raise PermanentSendError(NO_ADDRESS)
    mail = build_reply(message, mailbox, to)
    try:
        smtp_connection(mailbox).send_messages([mail])
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _by_code(code, text) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentSendError(SMTP_LOGIN_FAILED.format(code=exc.smtp_code, text=_text(exc.smtp_error))) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, any other coded answer
        raise _by_code(exc.smtp_code, exc.smtp_error) from None
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS failed, disconnected
        raise TransientSendError(SMTP_UNREACHABLE.format(error=_error(exc))) from None
    return SendResult(provider_message_id=mail.extra_headers["Message-ID"])


def _text(raw) -> str:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:200]


def _error(exc: Exception) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _by_code(code: int, text) -> Exception:
    if 400 <= code < 500:
        return TransientSendError(SMTP_UNAVAILABLE.format(code=code, text=_text(text)))
    return PermanentSendError(SMTP_REFUSED.format(code=code, text=_text(text)))


def _smtp_check(mailbox: EmailChannel) -> str:
    timeout = settings.DELIVERY_TIMEOUT_SECONDS
    host, port = mailbox.smtp_host, mailbox.smtp_port
    try:
        if mailbox.smtp_security == Security.SSL:
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if mailbox.smtp_security == Security.STARTTLS:
                smtp.starttls(context=ssl.create_default_context())
            done = f"SMTP: connected to {host}:{port}"
            if mailbox.smtp_user:
                smtp.login(mailbox.smtp_user, mailbox.smtp_password)
                done += f", logged in as {mailbox.smtp_user}"
            code, _ = smtp.noop()
            return f"{done}, NOOP answered {code}."
    except smtplib.SMTPResponseException as exc:
        raise SetupCheckFailed(f"SMTP: {host}:{port} answered {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SetupCheckFailed(f"SMTP: {host}:{port} failed: {_error(exc)}") from None


def _imap_check(mailbox: EmailChannel) -> str:
    try:
        imap = open_imap(mailbox)
    except MailboxError as exc:
        raise SetupCheckFailed(f"IMAP: {exc}") from None
    try:
        _, count = select_folder(imap, mailbox.imap_folder)
    except MailboxError as exc:
        raise SetupCheckFailed(f"IMAP: logged in as {mailbox.imap_user}, but {exc}") from None
    except IMAP_ERRORS as exc:
        raise SetupCheckFailed(f"IMAP: the connection failed: {_error(exc)}") from None
    finally:
        close_imap(imap)
    mails = "1 mail" if count == 1 else f"{count} mails"
    return f"IMAP: logged in as {mailbox.imap_user}; folder {mailbox.imap_folder} holds {mails}."


def send_test(channel) -> str:
    """Log in to IMAP and open the folder; connect to SMTP, log in and NOOP. Say what worked, or raise with both."""
    mailbox = EmailChannel.objects.filter(channel=channel).first()
    if mailbox is None:
        raise SetupCheckFailed(NO_MAILBOX)
    answers, failed = [], False
    for check in (_imap_check, _smtp_check):
        try:
            answers.append(check(mailbox))
        except SetupCheckFailed as exc:
            answers.append(exc.reason)
            failed = True
    if failed:
        raise SetupCheckFailed(" ".join(answers))
    return " ".join(answers)
