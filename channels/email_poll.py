"""The e-mail poller: each active mailbox's new mail, by IMAP UID, into routing; a periodic job of the worker.

One poll of a mailbox: log in, select the folder, read its UIDVALIDITY, fetch
the mail above the last UID processed (in batches), store each batch through
routing (tickets.routing, the one door for a customer message), then flag
the batch Seen or move it, and only then remember its last UID. A worker
that dies in between leaves the mail to the next poll, which stores nothing
twice: the Message-ID is the message's external id. Auto-replies, bounces
and bulk mail are flagged processed and counted, never stored.
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
_UID = re.compile(rb"\bUID (\d+)")


class MailboxError(Exception):
    """The mailbox could not be read; the reason is shown on the channel's set-up page."""


@dataclass
class PollResult:
    stored: int = 0
    duplicates: int = 0
    automatic: int = 0
    unreadable: int = 0
    tickets: list[int] = field(default_factory=list)


def quoted(folder: str) -> str:
    """A folder name as an IMAP string (imaplib sends arguments as they are)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def open_imap(mailbox: EmailChannel) -> imaplib.IMAP4:
    """A logged-in IMAP connection to the mailbox; raises MailboxError with what failed."""
    try:
        if mailbox.imap_security == Security.SSL:
            imap = imaplib.IMAP4_SSL(
                mailbox.imap_host,
                mailbox.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=IMAP_TIMEOUT_SECONDS,
            )
        else:
            imap = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=IMAP_TIMEOUT_SECONDS)
            if mailbox.imap_security == Security.STARTTLS:
                imap.starttls(ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(IMAP_FAILED.format(step="connection", error=_describe(exc))) from None
    try:
        imap.login(mailbox.imap_user, mailbox.imap_password)
    except (OSError, imaplib.IMAP4.error) as exc:
        close_imap(imap)
        raise MailboxError(IMAP_FAILED.format(step="login", error=_describe(exc))) from None
    return imap


def _describe(exc: Exception) -> str:
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, imaplib.IMAP4.error) else str(text)


def close_imap(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        imap.logout()


def _check(step: str, answer: tuple) -> list:
    typ, data = answer
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise MailboxError(IMAP_FAILED.format(step=step, error=detail or typ))
    return data


def select_folder(imap: imaplib.IMAP4, folder: str) -> int:
    """Select the folder for reading and writing; return its UIDVALIDITY."""
    _check(f"select {folder!r}", imap.select(quoted(folder)))
    _, [value] = imap.response("UIDVALIDITY")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MailboxError(IMAP_FAILED.format(step="select", error="the server sent no UIDVALIDITY")) from None


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
    except (OSError, imaplib.IMAP4.error) as exc:  # the server went away mid-poll
        error = IMAP_FAILED.format(step="poll", error=_describe(exc))
        raise MailboxError(error) from None
    finally:
        EmailChannel.objects.filter(pk=mailbox.pk).update(
            polling_until=None, last_polled_at=timezone.now(), last_poll_error=error
        )


def _poll(mailbox: EmailChannel) -> PollResult:
    result = PollResult()
    imap = open_imap(mailbox)
    try:
        validity = select_folder(imap, mailbox.imap_folder)
        last_uid = mailbox.last_uid if validity == mailbox.uid_validity else 0
        if validity != mailbox.uid_validity:
            EmailChannel.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=0)
            mailbox.uid_validity, mailbox.last_uid = validity, 0
        found = (_check("search", imap.uid("SEARCH", None, f"UID {last_uid + 1}:*")) or [b""])[0] or b""
        # "n:*" always includes the highest UID, even below n: keep only the new ones.
        uids = sorted(u for u in (int(x) for x in found.split()) if u > last_uid)[:MAX_PER_POLL]
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            mails = _fetch(imap, batch)
            _store(mailbox, mails, result)
            _mark_processed(imap, mailbox, batch)
            EmailChannel.objects.filter(pk=mailbox.pk).update(last_uid=batch[-1])
            mailbox.last_uid = batch[-1]
    finally:
        close_imap(imap)
    return result


def _fetch(imap: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
    data = _check("fetch", imap.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])"))
    mails = {}
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            found = _UID.search(item[0])
            if found:
                mails[int(found.group(1))] = item[1]
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


def _mark_processed(imap: imaplib.IMAP4, mailbox: EmailChannel, uids: list[int]) -> None:
    uid_set = ",".join(map(str, uids))
    if mailbox.processed_action == ProcessedAction.MOVE:
        folder = quoted(mailbox.processed_folder)
        imap.create(folder)  # answers NO if it exists: fine
        capabilities = imap.capabilities
        if "MOVE" in capabilities:
            _check("move", imap.uid("MOVE", uid_set, folder))
            return
        _check("copy", imap.uid("COPY", uid_set, folder))
        _check("store", imap.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)"))
        if "UIDPLUS" in capabilities:
            _check("expunge", imap.uid("EXPUNGE", uid_set))
        else:
            _check("expunge", imap.expunge())
        return
    _check("store", imap.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Seen)"))


def register() -> None:
    """Called by channels.apps at start: every worker polls the mailboxes (one at a time, each mailbox once)."""
    register_periodic_job("poll_mailboxes", every_seconds=POLL_EVERY_SECONDS, run=poll_mailboxes)
