"""What BlockDesk reads from one raw e-mail (RFC 5322 bytes): who, which thread, the text, the attachments.

Nothing here touches the database or the network, and nothing a sender
writes makes it raise: a mail too broken to read a sender from is
`unreadable`; one that says it was written by a machine (auto-reply, bounce,
bulk) is `automatic`, with the reason.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

# The longest text stored for one mail; the rest is cut with a note (the API takes 10,000 characters too).
MAX_TEXT = 10_000
CUT_NOTE = "\n\n[… the rest of this e-mail was cut]"
EMPTY_TEXT = "(an e-mail without text)"
# How many References a stored mail keeps (and our replies repeat): the thread's first and last ones.
MAX_REFERENCES = 20
# The external id of a mail without a usable Message-ID: a hash of its raw headers, stable on every poll.
HASH_PREFIX = "sha256:"
MAX_MESSAGE_ID = 255

# Senders that are mail systems, not people (RFC 3834 and common practice).
SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster"})
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Attachment:
    name: str
    size: int
    content_type: str

    def as_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "type": self.content_type}


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    sender: str  # the From address, lower case; "" if none could be read
    sender_name: str
    subject: str
    text: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    # Why no ticket may open from this mail (an auto-reply, a bounce, bulk mail), else "".
    automatic: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, nearest first: In-Reply-To, then References from the last."""
        seen, ids = set(), []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.add(mid)
                ids.append(mid)
        return ids


def parse_email(raw: bytes) -> ParsedEmail:
    """Read one mail; never raises on what the mail contains."""
    mail = message_from_bytes(raw, policy=policy.default)
    name, sender = _sender(mail)
    text, attachments = _text_and_attachments(mail)
    return ParsedEmail(
        message_id=_message_id(mail, raw),
        sender=sender,
        sender_name=printable(name),
        subject=printable(_header(mail, "Subject"))[:998],
        text=_with_attachment_line(text, attachments),
        in_reply_to=message_ids(_header(mail, "In-Reply-To"))[:1],
        references=_trimmed(message_ids(_header(mail, "References"))),
        attachments=attachments,
        automatic=automatic_reason(mail, sender),
    )


def _header(mail: EmailMessage, name: str) -> str:
    """A header as text, "" if it is missing or cannot be decoded."""
    try:
        value = mail.get(name)
    except Exception:  # the header parser chokes on some malformed headers: treat as missing
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _raw_header(mail: EmailMessage, name: str) -> str:
    for key, value in mail.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def printable(text: str) -> str:
    """Text without control characters (PostgreSQL stores no NUL, and nobody reads the others)."""
    return "".join(c for c in text if c.isprintable())


def message_ids(text: str) -> list[str]:
    """The <…> ids in a Message-ID, In-Reply-To or References header, in order."""
    return [mid for mid in _MESSAGE_ID.findall(printable(text or "")) if len(mid) <= MAX_MESSAGE_ID]


def _trimmed(ids: list[str]) -> list[str]:
    # RFC 5322 §3.6.4: keep the first (the thread's root) and the latest ones.
    return ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


def _message_id(mail: EmailMessage, raw: bytes) -> str:
    ids = message_ids(_raw_header(mail, "Message-ID"))
    if ids:
        return ids[0]
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return HASH_PREFIX + hashlib.sha256(head).hexdigest()


def _sender(mail: EmailMessage) -> tuple[str, str]:
    name, address = parseaddr(_raw_header(mail, "From").replace("\n", " ").replace("\r", " "))
    address = printable(address).strip().lower()
    if "@" not in address or any(c.isspace() for c in address) or len(address) > 254:
        return "", ""
    try:
        [(decoded_name, _)] = getaddresses([_header(mail, "From")]) or [("", "")]
    except ValueError:
        decoded_name = name
    return (decoded_name or name).strip()[:200], address


def automatic_reason(mail: EmailMessage, sender: str) -> str:
    """Why this mail was written by a machine (and so must open no ticket and get no answer), else ""."""
    auto_submitted = _header(mail, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    if _header(mail, "X-Autoreply") or _header(mail, "X-Autorespond"):
        return "an auto-reply header (X-Autoreply / X-Autorespond)"
    precedence = _header(mail, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _header(mail, "List-Id"):
        return "a mailing list (List-Id)"
    if mail.get_content_type() == "multipart/report":
        return "a delivery or read report (multipart/report)"
    if sender and sender.partition("@")[0] in SYSTEM_SENDERS:
        return f"a mail system's sender ({sender})"
    if _raw_header(mail, "Return-Path").strip() == "<>":
        return "a bounce (empty Return-Path)"
    return ""


def _text_and_attachments(mail: EmailMessage) -> tuple[str, list[Attachment]]:
    try:
        body = mail.get_body(preferencelist=("plain", "html"))
    except Exception:
        body = None
    text = ""
    if body is not None:
        content = _content(body)
        text = html_to_text(content) if body.get_content_subtype() == "html" else content
    attachments = []
    for part in mail.walk():
        if part is body or part.is_multipart():
            continue
        try:
            filename = part.get_filename()
            disposition = part.get_content_disposition()
        except Exception:
            filename, disposition = None, None
        if disposition == "attachment" or filename:
            payload = part.get_payload(decode=True)
            attachments.append(
                Attachment(
                    name=printable(" ".join(str(filename or "(no name)").split()))[:255] or "(no name)",
                    size=len(payload) if isinstance(payload, bytes) else 0,
                    content_type=printable(part.get_content_type())[:255],
                )
            )
    return _tidy(text), attachments


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except Exception:  # an unknown charset or a broken transfer encoding: decode what is there
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    text = "".join(c for c in text if c in "\n\t" or c.isprintable())
    return text[:MAX_TEXT] + CUT_NOTE if len(text) > MAX_TEXT else text


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _with_attachment_line(text: str, attachments: list[Attachment]) -> str:
    if not attachments:
        return text or EMPTY_TEXT
    listed = ", ".join(f"{a.name} ({size_text(a.size)})" for a in attachments)
    line = f"Attachments: {listed}"
    return f"{text}\n\n{line}" if text else line


# Elements whose content is never text a person reads.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"})
# Elements that start a new line.
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr"}
)


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "li" and not self.hidden:
            self.parts.append("- ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """The text a person reads in an HTML mail: no scripts, styles or markup; one line per block."""
    parser = _TextOf()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; keep whatever it read before giving up
        pass
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
