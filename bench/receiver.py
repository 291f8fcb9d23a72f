"""A loopback receiver that speaks the api channel's contract (tests, reliability runs, bench).

It checks X-BlockDesk-Signature when it knows the secret, answers 200 with
{"id": "r-<n>"}, and counts what it got by X-BlockDesk-Delivery, so a copy
of a message already received shows as a duplicate. `answers` scripts the
next responses (status, Retry-After) for tests of retries; a None in it
answers that request as usual. `answer_seconds` makes each answer take that
long, as a receiver across a network does.
"""

import hashlib
import hmac
import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that dies mid-connection (a killed worker) is expected here; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Receiver:
    def __init__(self, secret: str = "", port: int = 0):
        self.secret = secret
        self.port = port
        self.received: list[dict] = []
        self.deliveries: Counter[str] = Counter()
        self.answers: list[tuple[int, str | None] | None] = []
        self.answer_seconds = 0.0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm the body waits for the
            # client's delayed ACK (~40 ms), which would cap a kept-alive connection at ~25 requests/s.
            disable_nagle_algorithm = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.answer_seconds)
                status, retry_after, reply = receiver.handle(self.headers, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = QuietServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, headers, body: bytes) -> tuple[int, str | None, dict]:
        with self.lock:
            scripted = self.answers.pop(0) if self.answers else None
            if scripted is not None:
                status, retry_after = scripted
                return status, retry_after, {"error": "scripted"}
            timestamp = headers.get("X-BlockDesk-Timestamp", "")
            if self.secret:
                digest = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
                expected = f"sha256={digest}"
                if not hmac.compare_digest(expected, headers.get("X-BlockDesk-Signature", "")):
                    return 401, None, {"error": "bad signature"}
            delivery = headers.get("X-BlockDesk-Delivery", "")
            self.deliveries[delivery] += 1
            self.received.append({"delivery": delivery, "headers": dict(headers), "body": json.loads(body)})
            return 200, None, {"id": f"r-{len(self.received)}"}

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.deliveries.values())
