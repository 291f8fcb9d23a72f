"""A real SMTP server for tests: aiosmtpd's Controller on 127.0.0.1, recording what it is sent.

aiosmtpd speaks the protocol (EHLO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA,
RSET, NOOP, QUIT); the handler here records each mail (envelope, content and
who logged in) and the verbs it saw. With a `user`, the server requires AUTH
before MAIL and checks the user and password (loopback: no TLS asked for).
`refuse` scripts an answer for the next command of a verb
({"RCPT": (550, "No such user")}; "DATA-END" answers after the content, as a
server that refuses the mail itself), for tests of how a sender maps 4xx and 5xx.
"""

import threading
import warnings
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.channels.peers.dovecot import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes
    user: str

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


class _Handler:
    """aiosmtpd's handler hooks: each records its verb, answers as scripted, or does what the server would."""

    def __init__(self, peer: "SMTPPeer"):
        self.peer = peer

    def scripted(self, verb: str, key: str = "") -> str | None:
        """Record the verb; the answer scripted for it (under `key`, the verb by default), if any."""
        with self.peer.lock:
            self.peer.commands.append(verb)
            answer = self.peer.refuse.pop(key or verb, None)
        return f"{answer[0]} {answer[1]}" if answer else None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.scripted("EHLO")
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if answer := self.scripted("MAIL"):
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if answer := self.scripted("RCPT"):
            return answer
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if answer := self.scripted("DATA", "DATA-END"):  # aiosmtpd calls this hook once the content is in
            return answer
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else b""
        user = login.decode(errors="replace")
        with self.peer.lock:
            self.peer.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, user)
            )
            queued = len(self.peer.received)
        return f"250 OK queued as q{queued}"

    async def handle_NOOP(self, server, session, envelope, arg):
        return self.scripted("NOOP") or "250 OK"

    async def handle_RSET(self, server, session, envelope):
        return self.scripted("RSET") or "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        self.scripted("QUIT")
        return "221 Bye"


class _Controller(Controller):
    def factory(self) -> SMTP:
        with warnings.catch_warnings():  # AUTH without TLS: on loopback, in tests, on purpose
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return super().factory()


class SMTPPeer:
    def __init__(self, *, user: str = "", password: str = ""):
        self.user = user
        self.password = password
        self.received: list[Received] = []
        self.commands: list[str] = []
        self.refuse: dict[str, tuple[int, str]] = {}
        self.lock = threading.Lock()
        self._controller: _Controller | None = None

    @property
    def port(self) -> int:
        return self._controller.port

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        with self.lock:
            self.commands.append("AUTH")
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        name, secret = auth_data.login.decode(errors="replace"), auth_data.password.decode(errors="replace")
        ok = (not self.user or name == self.user) and (not self.password or secret == self.password)
        # On success the session keeps auth_data (who logged in); a failure answers "535 5.7.8 Authentication
        # credentials invalid".
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> "SMTPPeer":
        # The Controller connects to its own port once started, so it needs the number first (port 0 would not do).
        for attempt in range(5):
            controller = _Controller(
                _Handler(self),
                hostname="127.0.0.1",
                port=free_port(),
                server_hostname="peer.test",
                authenticator=self._authenticate,
                auth_required=bool(self.user),
                auth_require_tls=False,
                ready_timeout=10,
            )
            try:
                controller.start()
            except OSError:  # another process took the free port in between
                if attempt == 4:
                    raise
                continue
            self._controller = controller
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
