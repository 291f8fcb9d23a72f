"""App instances for the multi-process runs: a gunicorn master on a loopback port, and which worker answered.

Each instance logs the pid of the worker that served every request (gunicorn's
access log, `%(p)s`), so a run can show that its requests reached every worker.
Used by bench/multi_node.py and tests/api/test_one_truth_processes.py.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppInstance:
    """`gunicorn -w N` serving BlockDesk with this environment; `with` starts and stops it."""

    def __init__(self, env: dict, *, workers: int = 4, worker_class: str = "sync"):
        self.env = env
        self.workers = workers
        self.worker_class = worker_class
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="blockdesk-instance-")
        self.access_log = Path(self._dir.name) / "access.log"
        self.error_log = Path(self._dir.name) / "error.log"

    def __enter__(self) -> "AppInstance":
        command = [sys.executable, "-m", "gunicorn", "blockdesk.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
        command += ["--worker-class", self.worker_class, "--timeout", "60"]
        command += ["--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(s)s"]
        command += ["--error-logfile", str(self.error_log), "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.errors()}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not come up: {self.errors()}")

    def __exit__(self, *exc) -> bool:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._dir.cleanup()
        return False

    def errors(self) -> str:
        return self.error_log.read_text()[-2000:] if self.error_log.exists() else ""

    def served_by(self) -> list[str]:
        """The pid of the worker that answered each request so far, in order."""
        if not self.access_log.exists():
            return []
        return [line.split()[0] for line in self.access_log.read_text().splitlines() if line.strip()]
