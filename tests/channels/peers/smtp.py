"""A small SMTP server for tests (RFC 5321 over a real socket on 127.0.0.1), recording what it is sent.

It speaks what a client needs to hand over mail: EHLO/HELO, AUTH PLAIN and
LOGIN (any password unless `password` is set), MAIL, RCPT, DATA (with dot
unstuffing), RSET, NOOP, QUIT. `refuse` scripts an answer for the next
command of a verb ({"RCPT": (550, "No such user")}), for tests of how a
sender maps 4xx and 5xx. Stands in for aiosmtpd, which is not installed here.
"""

import base64
import socketserver
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes
    user: str

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPPeer:
    def __init__(self, *, user: str = "", password: str = ""):
        self.user = user
        self.password = password
        self.received: list[Received] = []
        self.commands: list[str] = []
        self.refuse: dict[str, tuple[int, str]] = {}
        self.lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "SMTPPeer":
        peer = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 10

            def reply(self, code: int, text: str, *more: str) -> None:
                lines = [text, *more]
                out = "".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{line}\r\n" for i, line in enumerate(lines))
                self.wfile.write(out.encode())

            def scripted(self, verb: str) -> bool:
                with peer.lock:
                    answer = peer.refuse.pop(verb, None)
                if answer:
                    self.reply(*answer)
                return bool(answer)

            def handle(self):
                self.reply(220, "peer.test ESMTP ready")
                mail_from, rcpt, user = None, [], ""
                while True:
                    line = self.rfile.readline(4096)
                    if not line:
                        return
                    command = line.decode("utf-8", "replace").rstrip("\r\n")
                    verb, _, arg = command.partition(" ")
                    verb = verb.upper()
                    with peer.lock:
                        peer.commands.append(verb)
                    if self.scripted(verb):
                        continue
                    if verb == "EHLO":
                        self.reply(250, "peer.test", "8BITMIME", "AUTH PLAIN LOGIN", "SIZE 10485760")
                    elif verb == "HELO":
                        self.reply(250, "peer.test")
                    elif verb == "AUTH":
                        user = self.auth(arg)
                        if user is None:
                            return
                    elif verb == "MAIL":
                        mail_from, rcpt = arg.partition(":")[2].split(" ")[0].strip("<>"), []
                        self.reply(250, "OK")
                    elif verb == "RCPT":
                        if mail_from is None:
                            self.reply(503, "MAIL first")
                            continue
                        rcpt.append(arg.partition(":")[2].strip().strip("<>"))
                        self.reply(250, "OK")
                    elif verb == "DATA":
                        if not rcpt:
                            self.reply(503, "RCPT first")
                            continue
                        self.reply(354, "End data with <CR><LF>.<CR><LF>")
                        data = self.data()
                        if self.scripted("DATA-END"):
                            continue
                        with peer.lock:
                            peer.received.append(Received(mail_from, rcpt, data, user))
                        self.reply(250, f"OK queued as q{len(peer.received)}")
                        mail_from, rcpt = None, []
                    elif verb == "RSET":
                        mail_from, rcpt = None, []
                        self.reply(250, "OK")
                    elif verb == "NOOP":
                        self.reply(250, "OK")
                    elif verb == "QUIT":
                        self.reply(221, "Bye")
                        return
                    else:
                        self.reply(502, "Command not implemented")

            def auth(self, arg: str) -> str | None:
                mechanism, _, initial = arg.partition(" ")
                if mechanism.upper() == "PLAIN":
                    if not initial:
                        self.reply(334, "")
                        initial = self.rfile.readline().decode().strip()
                    _, name, secret = base64.b64decode(initial).decode().split("\0")
                elif mechanism.upper() == "LOGIN":
                    self.reply(334, base64.b64encode(b"Username:").decode())
                    name = base64.b64decode(self.rfile.readline().strip()).decode()
                    self.reply(334, base64.b64encode(b"Password:").decode())
                    secret = base64.b64decode(self.rfile.readline().strip()).decode()
                else:
                    self.reply(504, "Unrecognized authentication type")
                    return ""
                if (peer.user and name != peer.user) or (peer.password and secret != peer.password):
                    self.reply(535, "5.7.8 Authentication credentials invalid")
                    return ""
                self.reply(235, "2.7.0 Authentication successful")
                return name

            def data(self) -> bytes:
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        return b"".join(lines)
                    lines.append(line[1:] if line.startswith(b"..") else line)

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
