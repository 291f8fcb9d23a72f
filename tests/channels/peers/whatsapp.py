"""A loopback WhatsApp Cloud API (Graph API) that speaks Meta's documented contract, and Meta's webhook side.

GraphAPI serves, under /<version>/:
  POST   /{phone-number-id}/messages     a text message → {"messaging_product", "contacts", "messages": [{"id"}]}
  GET    /{phone-number-id}              → {"display_phone_number", "verified_name", "id"}
  POST   /{phone-number-id}/block_users  block → {"block_users": {"added_users": [...]}}
  DELETE /{phone-number-id}/block_users  unblock → {"block_users": {"removed_users": [...]}}
It checks `Authorization: Bearer <token>` (401, error code 190, as Meta does), the
phone number id, and the message's shape (400, code 100); it records every
request, and `answers` scripts the next ones (status, error body, Retry-After).

notification(), text_message(), status() and signed() build the webhooks
Meta posts, signed as Meta signs them (X-Hub-Signature-256).
"""

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from bench.receiver import QuietServer

VERSION = "v21.0"
DISPLAY_NUMBER = "+1 555-0100"
VERIFIED_NAME = "BlockDesk Demo"


def meta_error(message: str, code: int, *, kind: str = "OAuthException", details: str = "") -> dict:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


class GraphAPI:
    def __init__(self, *, token: str, phone_number_id: str):
        self.token = token
        self.phone_number_id = phone_number_id
        self.requests: list[dict] = []
        # Scripted answers for the next requests: (status, body dict, Retry-After or None).
        self.answers: list[tuple[int, dict, str | None]] = []
        self.blocked: set[str] = set()
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: QuietServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def start(self) -> "GraphAPI":
        graph = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                status, reply, retry_after = graph.handle(self.command, self.path, self.headers, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, *args):
                pass

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, method: str, raw_path: str, headers, body: bytes) -> tuple[int, dict, str | None]:
        parts = urlsplit(raw_path)
        path = parts.path.strip("/").split("/")
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        with self.lock:
            self.requests.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "headers": dict(headers),
                    "json": payload,
                }
            )
            if self.answers:
                return self.answers.pop(0)
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, meta_error("Error validating access token: the session is invalid.", 190), None
            if len(path) < 2 or path[0] != VERSION:
                return 404, meta_error("Unknown path components", 2500), None
            if path[1] != self.phone_number_id:
                return 400, meta_error(f"Unsupported get request. Object with ID '{path[1]}' does not exist", 100), None
            route = (method, tuple(path[2:]))
            if route == ("GET", ()):
                number = {"display_phone_number": DISPLAY_NUMBER, "verified_name": VERIFIED_NAME}
                return 200, {**number, "id": self.phone_number_id}, None
            if route == ("POST", ("messages",)):
                return self._message(payload)
            if route in (("POST", ("block_users",)), ("DELETE", ("block_users",))):
                return self._block(method, payload)
            return 400, meta_error("Unsupported request", 100), None

    def _message(self, payload) -> tuple[int, dict, None]:
        ok = (
            isinstance(payload, dict)
            and payload.get("messaging_product") == "whatsapp"
            and payload.get("type") == "text"
            and isinstance(payload.get("to"), str)
            and payload["to"].isdigit()
            and isinstance(payload.get("text"), dict)
            and isinstance(payload["text"].get("body"), str)
        )
        if not ok:
            return 400, meta_error("(#100) Invalid parameter", 100), None
        wamid = f"wamid.GRAPH{next(self._ids)}"
        contacts = [{"input": payload["to"], "wa_id": payload["to"]}]
        return 200, {"messaging_product": "whatsapp", "contacts": contacts, "messages": [{"id": wamid}]}, None

    def _block(self, method: str, payload) -> tuple[int, dict, None]:
        users = payload.get("block_users") if isinstance(payload, dict) else None
        if not isinstance(users, list) or payload.get("messaging_product") != "whatsapp":
            return 400, meta_error("(#100) Invalid parameter", 100), None
        done = [{"input": u["user"], "wa_id": u["user"]} for u in users]
        for user in done:
            (self.blocked.add if method == "POST" else self.blocked.discard)(user["wa_id"])
        key = "added_users" if method == "POST" else "removed_users"
        return 200, {"messaging_product": "whatsapp", "block_users": {key: done}}, None

    def sent(self) -> list[dict]:
        """The text messages Meta accepted (request bodies)."""
        return [r["json"] for r in self.requests if r["method"] == "POST" and r["path"].endswith("/messages")]


# --- Meta's webhook side -------------------------------------------------------------------------------------

_wamids = itertools.count(1)


def wamid() -> str:
    return f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYIDQ{next(_wamids):08d}"


def text_message(wa_id: str, body: str, *, id: str | None = None, at: float | None = None) -> dict:
    return {
        "from": wa_id,
        "id": id or wamid(),
        "timestamp": str(int(at if at is not None else time.time())),
        "type": "text",
        "text": {"body": body},
    }


def typed_message(wa_id: str, kind: str, content, *, id: str | None = None) -> dict:
    return {"from": wa_id, "id": id or wamid(), "timestamp": str(int(time.time())), "type": kind, kind: content}


def status(id: str, state: str, wa_id: str, *, errors: list | None = None) -> dict:
    found = {"id": id, "status": state, "timestamp": str(int(time.time())), "recipient_id": wa_id}
    if errors is not None:
        found["errors"] = errors
    return found


def notification(phone_number_id: str, *, messages=(), statuses=(), names: dict | None = None) -> dict:
    """A `messages` field notification for one business number, as Meta posts it."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100", "phone_number_id": phone_number_id},
    }
    if names:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id} for wa_id, name in names.items()]
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def signed(app_secret: str, payload) -> tuple[bytes, dict]:
    """The body and headers of Meta's POST: JSON, signed with the app secret."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def post_notification(url: str, app_secret: str, payload, *, timeout: float = 10):
    """POST a notification to a webhook over real HTTP, signed as Meta signs it; the requests Response."""
    import requests

    body, headers = signed(app_secret, payload)
    return requests.post(url, data=body, headers=headers, timeout=timeout)


def verify_webhook(url: str, verify_token: str, challenge: str = "1158201444", *, timeout: float = 10):
    """Meta's verification request (GET hub.mode=subscribe…) over real HTTP; the requests Response."""
    import requests

    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    return requests.get(url, params=params, timeout=timeout)
