"""A local Telegram Bot API that speaks the documented contract, for tests: API calls in, webhook calls out.

In: `POST /bot<token>/<method>` with JSON (or form / query) parameters;
getMe, sendMessage, setWebhook, getWebhookInfo and deleteWebhook answer as
Telegram does (`{"ok": true, "result": …}`), a wrong token gets 401
`{"ok": false, "error_code": 401, "description": "Unauthorized"}`, an unknown
method 404. A chat in `blocked_by` answers sendMessage with 403 "Forbidden:
bot was blocked by the user"; `answers` scripts the next responses (status,
body), e.g. a 429 with parameters.retry_after. Every call is recorded.

Out: after setWebhook, `push(update)` POSTs an update to the webhook URL with
the X-Telegram-Bot-Api-Secret-Token header set to the secret token it was given,
as Telegram does. Telegram takes only HTTPS webhook URLs; this peer also takes
http on loopback, where the test server runs.
"""

import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import requests

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")


def error(code: int, description: str, **parameters) -> tuple[int, dict]:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


BLOCKED = error(403, "Forbidden: bot was blocked by the user")


def too_many_requests(retry_after: int) -> tuple[int, dict]:
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class BotApiPeer:
    def __init__(self, token: str = TOKEN, *, username: str = "blockdesk_test_bot"):
        self.token = token
        self.username = username
        self.calls: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        self.blocked_by: set[int] = set()
        self.webhook_url = ""
        self.secret_token = ""
        self.allowed_updates: list[str] | None = None
        self.lock = threading.Lock()
        self._message_ids = itertools.count(500)
        self._update_ids = itertools.count(10_000)
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "BotApiPeer":
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, reply = peer.handle(self.path, self.headers.get("Content-Type", ""), body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- In: the Bot API ---------------------------------------------------------------------

    def calls_of(self, method: str) -> list[dict]:
        return [call["params"] for call in self.calls if call["method"] == method]

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict]:
        parts = urlsplit(path)
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", parts.path)
        params = dict(parse_qsl(parts.query))
        if body and content_type.startswith("application/json"):
            params |= json.loads(body)
        elif body:
            params |= dict(parse_qsl(body.decode()))
        with self.lock:
            if match is None:
                return error(404, "Not Found")
            token, method = match.groups()
            self.calls.append({"method": method, "params": params, "token": token})
            if token != self.token:
                return error(401, "Unauthorized")
            if self.answers:
                return self.answers.pop(0)
            answer = getattr(self, f"_{method}", None)
            return answer(params) if answer else error(404, "Not Found")

    def _getMe(self, params):
        bot_id = int(self.token.split(":")[0])
        return 200, {
            "ok": True,
            "result": {"id": bot_id, "is_bot": True, "first_name": "BlockDesk Test", "username": self.username},
        }

    def _sendMessage(self, params):
        text = params.get("text")
        try:
            chat_id = int(params.get("chat_id"))
        except (TypeError, ValueError):
            return error(400, "Bad Request: chat not found")
        if not isinstance(text, str) or not text.strip():
            return error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return error(400, "Bad Request: message is too long")
        if chat_id in self.blocked_by:
            return BLOCKED
        result = {
            "message_id": next(self._message_ids),
            "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "BlockDesk Test"},
            "chat": {"id": chat_id, "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        return 200, {"ok": True, "result": result}

    def _setWebhook(self, params):
        url = params.get("url", "")
        secret = params.get("secret_token", "")
        parts = urlsplit(url)
        loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
        if url and parts.scheme != "https" and not loopback:
            return error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret and not SECRET_TOKEN_CHARS.fullmatch(secret):
            return error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook_url, self.secret_token = url, secret
        self.allowed_updates = params.get("allowed_updates")
        return 200, {"ok": True, "result": True, "description": "Webhook was set" if url else "Webhook was deleted"}

    def _deleteWebhook(self, params):
        self.webhook_url = self.secret_token = ""
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def _getWebhookInfo(self, params):
        return 200, {"ok": True, "result": {"url": self.webhook_url, "pending_update_count": 0}}

    # --- Out: the webhook --------------------------------------------------------------------

    def push(self, update: dict, *, secret: str | None = None) -> requests.Response:
        """Deliver an update to the webhook set with setWebhook, as Telegram does."""
        headers = {"Content-Type": "application/json"}
        secret = self.secret_token if secret is None else secret
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return requests.post(self.webhook_url, data=json.dumps(update), headers=headers, timeout=10)

    def next_update_id(self) -> int:
        return next(self._update_ids)


# --- Updates as Telegram sends them --------------------------------------------------------------

USER = {"id": 777000111, "is_bot": False, "first_name": "Budi", "last_name": "Santoso", "username": "budis"}


def private_chat(user: dict = USER) -> dict:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"], "username": user.get("username")}


def message_update(update_id: int, text: str | None = "Hello", *, message_id: int = 1, user=USER, **content) -> dict:
    message = {"message_id": message_id, "from": user, "chat": private_chat(user), "date": 1764590400, **content}
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def edited_update(update_id: int, text: str, *, message_id: int = 1, edit_date: int = 1764590500, user=USER) -> dict:
    message = {
        "message_id": message_id,
        "from": user,
        "chat": private_chat(user),
        "date": 1764590400,
        "edit_date": edit_date,
        "text": text,
    }
    return {"update_id": update_id, "edited_message": message}


def member_update(update_id: int, status: str, *, user=USER) -> dict:
    old = "member" if status == "kicked" else "kicked"
    bot = {"id": 123456789, "is_bot": True, "first_name": "BlockDesk Test", "username": "blockdesk_test_bot"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": private_chat(user),
            "from": user,
            "date": 1764590600,
            "old_chat_member": {"user": bot, "status": old},
            "new_chat_member": {"user": bot, "status": status, **({"until_date": 0} if status == "kicked" else {})},
        },
    }
