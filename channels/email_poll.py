"""The e-mail poller: each active mailbox's new mail, by IMAP UID, into routing; a periodic job of the worker.

One poll of a mailbox: log in, select the folder, read its UIDVALIDITY, fetch
the mail above the last UID processed (in batches), store each batch through
routing (tickets.routing, the one door for a customer message), then flag
the batch Seen or move it, and only then remember its last UID. A worker
that dies in between leaves the mail to the next poll, which stores nothing
twice: the Message-ID is the message's external id. Auto-replies, bounces
and bulk mail are flagged processed and counted, never stored. IMAP is
spoken through imap-tools (MailBox, MailBoxStartTls, MailBoxUnencrypted).
"""

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DataError, transaction
from django.db.models import F, Q
from django.utils import timezone
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage, U
from imap_tools.errors import ImapToolsError, MailboxFolderCreateError, UnexpectedCommandStatusError

from blockdesk.errors import DomainError
from blockdesk.periodic import register_periodic_job
from contacts.models import Channel
from tickets.models import Message, Ticket
from tickets.routing import InboundMessage, route_inbound_batch

from .email_models import EmailChannel, ProcessedAction, Security
from .email_parse import ParsedEmail, parse_email
from .email_thread import our_message_pk

logger = logging.getLogger(__name__)

POLL_EVERY_SECONDS = 60
# Mail fetched (and stored in one transaction) at a time, and the most one poll reads (the rest: next poll).
FETCH_BATCH = 50
MAX_PER_POLL = 500
# A poll holds its mailbox this long at most; a worker that died frees it by then.
POLL_LEASE_SECONDS = 600
IMAP_TIMEOUT_SECONDS = 30

IMAP_FAILED = "IMAP {step} failed: {error}"
_SUBJECT_TAG = re.compile(r"\[#(\d{1,18})\]")
# What a conversation with the server can raise: the socket, imaplib's BAD/abort, imap_tools' unexpected answers.
IMAP_ERRORS = (OSError, imaplib.IMAP4.error, ImapToolsError)


class MailboxError(Exception):
    """The mailbox could not be read; the reason is shown on the channel's set-up page."""


@dataclass
class PollResult:
    stored: int = 0
    duplicates: int = 0
    automatic: int = 0
    unreadable: int = 0
    tickets: list[int] = field(default_factory=list)


class RawMail(MailMessage):
    """A fetched mail that keeps the bytes the server sent (parse_email reads them; re-serializing could alter them)."""

    def __init__(self, fetch_data: list) -> None:
        self.raw = self._get_message_data_parts(fetch_data)[0]
        super().__init__(fetch_data)


def open_imap(mailbox: EmailChannel) -> BaseMailBox:
    """A logged-in IMAP connection to the mailbox (no folder selected); raises MailboxError with what failed."""
    try:
        if mailbox.imap_security == Security.SSL:
            box = MailBox(
                mailbox.imap_host,
                mailbox.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=IMAP_TIMEOUT_SECONDS,
            )
        elif mailbox.imap_security == Security.STARTTLS:
            box = MailBoxStartTls(
                mailbox.imap_host,
                mailbox.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=IMAP_TIMEOUT_SECONDS,
            )
        else:
            box = MailBoxUnencrypted(mailbox.imap_host, mailbox.imap_port, timeout=IMAP_TIMEOUT_SECONDS)
    except (*IMAP_ERRORS, ValueError) as exc:  # ValueError: STARTTLS asked on port 993
        raise MailboxError(IMAP_FAILED.format(step="connection", error=_describe(exc))) from None
    box.email_message_class = RawMail
    try:
        box.login(mailbox.imap_user, mailbox.imap_password, initial_folder=None)
    except IMAP_ERRORS as exc:
        close_imap(box)
        raise MailboxError(IMAP_FAILED.format(step="login", error=_describe(exc))) from None
    return box


def _describe(exc: Exception) -> str:
    if isinstance(exc, UnexpectedCommandStatusError):  # the server's own words, e.g. "[AUTHENTICATIONFAILED] ..."
        typ, data = exc.command_result[0], exc.command_result[1]
        words = b" ".join(d for d in data or () if isinstance(d, bytes)).decode(errors="replace")
        return words or str(typ)
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return str(text) if isinstance(exc, imaplib.IMAP4.error) else f"{type(exc).__name__}: {text}"


def close_imap(box: BaseMailBox) -> None:
    with contextlib.suppress(*IMAP_ERRORS):
        box.logout()


def select_folder(box: BaseMailBox, folder: str) -> tuple[int, int]:
    """Select the folder for reading and writing; return its UIDVALIDITY and how many mails it holds."""
    try:
        _, data = box.folder.set(folder)
    except UnexpectedCommandStatusError as exc:
        raise MailboxError(IMAP_FAILED.format(step=f"select {folder!r}", error=_describe(exc))) from None
    try:
        validity = box.folder.status(folder, ["UIDVALIDITY"]).get("UIDVALIDITY")
    except ImapToolsError as exc:
        raise MailboxError(IMAP_FAILED.format(step="status", error=_describe(exc))) from None
    if not validity:
        raise MailboxError(IMAP_FAILED.format(step="select", error="the server sent no UIDVALIDITY"))
    try:
        count = int(data[0])
    except (IndexError, TypeError, ValueError):
        count = 0
    return validity, count


def _claim(mailbox: EmailChannel) -> bool:
    now = timezone.now()
    return bool(
        EmailChannel.objects.filter(Q(polling_until__isnull=True) | Q(polling_until__lt=now), pk=mailbox.pk).update(
            polling_until=now + timedelta(seconds=POLL_LEASE_SECONDS)
        )
    )


def poll_mailboxes() -> dict[str, int]:
    """Poll every active e-mail channel once (the worker's periodic job); one failing mailbox stops no other."""
    totals = {"mailboxes": 0, "stored": 0, "automatic": 0, "failed": 0}
    mailboxes = EmailChannel.objects.select_related("channel").filter(
        channel__is_active=True, channel__kind=Channel.Kind.EMAIL
    )
    for mailbox in mailboxes:
        try:
            result = poll_mailbox(mailbox)
        except MailboxError:
            totals["failed"] += 1
            continue
        except Exception:  # a bug or the database away: log it, and poll the other mailboxes still
            logger.exception("Polling mailbox %s failed", mailbox.pk)
            totals["failed"] += 1
            continue
        if result is not None:
            totals["mailboxes"] += 1
            totals["stored"] += result.stored
            totals["automatic"] += result.automatic
    return totals


def poll_mailbox(mailbox: EmailChannel) -> PollResult | None:
    """Fetch and store the mailbox's new mail; None if another worker is polling it. Raises MailboxError."""
    if not _claim(mailbox):
        return None
    error = ""
    try:
        return _poll(mailbox)
    except MailboxError as exc:
        error = str(exc)
        raise
    except IMAP_ERRORS as exc:  # the server went away or refused a command mid-poll
        error = IMAP_FAILED.format(step="poll", error=_describe(exc))
        raise MailboxError(error) from None
    finally:
        EmailChannel.objects.filter(pk=mailbox.pk).update(
            polling_until=None, last_polled_at=timezone.now(), last_poll_error=error
        )


def _poll(mailbox: EmailChannel) -> PollResult:
    result = PollResult()
    box = open_imap(mailbox)
    try:
        validity, _ = select_folder(box, mailbox.imap_folder)
        last_uid = mailbox.last_uid if validity == mailbox.uid_validity else 0
        if validity != mailbox.uid_validity:
            EmailChannel.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=0)
            mailbox.uid_validity, mailbox.last_uid = validity, 0
        found = box.uids(AND(uid=U(last_uid + 1, "*")), charset=None)  # no CHARSET: some servers refuse one
        # "n:*" always includes the highest UID, even below n: keep only the new ones.
        uids = sorted(u for u in (int(x) for x in found) if u > last_uid)[:MAX_PER_POLL]
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            mails = _fetch(box, batch)
            _store(mailbox, mails, result)
            _mark_processed(box, mailbox, batch)
            EmailChannel.objects.filter(pk=mailbox.pk).update(last_uid=batch[-1])
            mailbox.last_uid = batch[-1]
    finally:
        close_imap(box)
    return result


def _fetch(box: BaseMailBox, uids: list[int]) -> dict[int, bytes]:
    """The batch's raw mail by UID, in one FETCH of BODY.PEEK[] (fetching marks nothing Seen)."""
    mails = {}
    for mail in box.fetch(uid_list=[str(u) for u in uids], mark_seen=False, bulk=True):
        if mail.uid is not None:
            mails[int(mail.uid)] = mail.raw
    return mails


def _store(mailbox: EmailChannel, mails: dict[int, bytes], result: PollResult) -> None:
    inbounds, automatic, unreadable = [], 0, 0
    own_address = mailbox.address.lower()
    for uid, raw in sorted(mails.items()):
        try:
            mail = parse_email(raw)
        except Exception:  # the stdlib parser is lenient; a mail it still cannot read is skipped, not retried forever
            logger.exception("Mailbox %s: mail UID %s could not be read", mailbox.pk, uid)
            unreadable += 1
            continue
        if not mail.sender:
            unreadable += 1
        elif mail.automatic or mail.sender == own_address:
            # Our own address writing to us would be a loop; machines never open a ticket, never get an answer.
            automatic += 1
        else:
            inbounds.append(_inbound(mailbox, mail, uid))
    routed, refused = _route(mailbox, inbounds)
    unreadable += refused
    for r in routed:
        if r.duplicate:
            result.duplicates += 1
        else:
            result.stored += 1
            if r.ticket is not None and r.ticket.pk not in result.tickets:
                result.tickets.append(r.ticket.pk)
    if automatic or unreadable:
        EmailChannel.objects.filter(pk=mailbox.pk).update(
            automatic_skipped=F("automatic_skipped") + automatic,
            unreadable_skipped=F("unreadable_skipped") + unreadable,
        )
    result.automatic += automatic
    result.unreadable += unreadable


def _route(mailbox: EmailChannel, inbounds: list[InboundMessage]) -> tuple[list, int]:
    """Route the batch; if routing refuses what a mail holds, route one by one and skip the mail refused.

    A mail routing cannot store must not hold up the mailbox behind it on every
    poll. Anything else (the database is away) fails the poll, and the next one
    tries again: nothing is flagged processed before it is stored.
    """
    if not inbounds:
        return [], 0
    try:
        with transaction.atomic():
            return route_inbound_batch(channel=mailbox.channel, inbounds=inbounds), 0
    except (DataError, DomainError):
        pass
    routed, refused = [], 0
    for inbound in inbounds:
        try:
            with transaction.atomic():
                routed += route_inbound_batch(channel=mailbox.channel, inbounds=[inbound])
        except (DataError, DomainError):
            logger.warning("Mailbox %s: routing refused mail %s", mailbox.pk, inbound.message_id, exc_info=True)
            refused += 1
    return routed, refused


def _inbound(mailbox: EmailChannel, mail: ParsedEmail, uid: int) -> InboundMessage:
    thread = thread_of(mailbox.channel, mail)
    return InboundMessage(
        message_id=mail.message_id,
        contact_id=mail.sender,
        text=mail.text,
        contact_name=mail.sender_name,
        email=mail.sender,
        metadata={
            "email": {
                "message_id": mail.message_id,
                "subject": mail.subject,
                "from": mail.sender,
                "in_reply_to": mail.in_reply_to,
                "references": mail.references,
                "imap_uid": uid,
                # The ticket this mail answers, found by its headers or the subject's tag (None if none).
                "thread": thread,
            },
            "attachments": [a.as_dict() for a in mail.attachments],
        },
    )


def thread_of(channel: Channel, mail: ParsedEmail) -> dict | None:
    """The earlier ticket of this channel that the mail answers: by In-Reply-To/References, then by "[#id]"."""
    ids = mail.thread_ids
    if ids:
        ours = [pk for mid in ids if (pk := our_message_pk(mid)) is not None]
        found = (
            Message.objects.filter(channel=channel)
            .filter(Q(external_id__in=ids) | Q(pk__in=ours, direction=Message.Direction.OUT))
            .order_by("-pk")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if found is not None:
            return {"ticket": found, "by": "references"}
    tag = _SUBJECT_TAG.search(mail.subject)
    if tag and Ticket.objects.filter(pk=int(tag.group(1)), channel=channel).exists():
        return {"ticket": int(tag.group(1)), "by": "subject"}
    return None


def _mark_processed(box: BaseMailBox, mailbox: EmailChannel, uids: list[int]) -> None:
    uid_list = [str(u) for u in uids]
    if mailbox.processed_action == ProcessedAction.MOVE:
        with contextlib.suppress(MailboxFolderCreateError):  # answers NO if it exists: fine
            box.folder.create(mailbox.processed_folder)
        box.move(uid_list, mailbox.processed_folder)  # MOVE if the server has it, else COPY, delete, EXPUNGE
        return
    # Not box.flag(): it EXPUNGEs the folder after, removing mail someone else only marked deleted.
    box.client.uid("STORE", ",".join(uid_list), "+FLAGS.SILENT", r"(\Seen)")


def register() -> None:
    """Called by channels.apps at start: every worker polls the mailboxes (one at a time, each mailbox once)."""
    register_periodic_job("poll_mailboxes", every_seconds=POLL_EVERY_SECONDS, run=poll_mailboxes)
