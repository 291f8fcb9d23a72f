"""A real IMAP server for tests: Dovecot (Debian's dovecot-imapd) with its own config, on 127.0.0.1 and a free port.

Everything lives in one temporary directory (config, base_dir, maildirs,
log); one user with a password from a passwd-file; no TLS (loopback only).
Run as root, Dovecot's processes take its own users (dovecot, dovenull) and
the mail belongs to the dovecot user; run as anyone else, all is theirs.
Test mail goes in by IMAP APPEND of raw RFC 5322 bytes, as a mail server
would drop it. One server serves a whole test session; each test gets a
mail user of its own (next_user), so UIDs start at 1 in every test. The
users are all written at start: Dovecot reads a changed passwd-file at
most once a second, too late for a user added just before its login.
"""

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "imap-test-password"
# Mail users made at start, one for each test that asks for a mailbox.
USERS = 500

CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = {base}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def installed() -> bool:
    return os.access(DOVECOT, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="bd-dovecot-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._names = [f"support{n}" for n in range(USERS)]
        self._unused = iter(self._names)

    def start(self) -> "Dovecot":
        self.base.chmod(0o755)  # the login and mail processes run as other users when we are root
        if os.getuid() == 0:
            mail_user = pwd.getpwnam("dovecot")
            internal, login = "dovecot", "dovenull"
            internal_group = "dovecot"
        else:
            mail_user = pwd.getpwuid(os.getuid())
            internal = login = mail_user.pw_name
            internal_group = str(os.getgid())
        mail = self.base / "mail"
        mail.mkdir()
        if os.getuid() == 0:
            os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        (self.base / "passwd").write_text(
            "".join(
                f"{name}:{{PLAIN}}{PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::{mail}/{name}\n"
                for name in self._names
            )
        )
        (self.base / "dovecot.conf").write_text(
            CONFIG.format(
                base=self.base,
                port=self.port,
                internal_user=internal,
                internal_group=internal_group,
                login_user=login,
            )
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.base / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot did not start: {self.process.stderr.read().decode()} {self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def next_user(self) -> "MailUser":
        """A mailbox no test has used yet."""
        return MailUser(self, next(self._unused))


class MailUser:
    """One mailbox on the server, and what tests do to it as a mail server or a mail client would."""

    def __init__(self, server: Dovecot, user: str):
        self.server = server
        self.port = server.port
        self.user = user
        self.password = PASSWORD

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        imap = self.client()
        try:
            imap.create(f'"{folder}"')
            typ, data = imap.append(f'"{folder}"', None, None, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        imap = self.client()
        try:
            typ, _ = imap.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            _, [found] = imap.uid("SEARCH", None, criteria)
            return [int(x) for x in found.split()]
        finally:
            imap.logout()
