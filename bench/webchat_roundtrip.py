"""Web chat round trip over HTTP: visitor sends → agent's timeline poll sees it; agent replies → visitor's poll sees it.

    .venv/bin/python -m bench.webchat_roundtrip               # 50 round trips, gunicorn (2 workers) + the worker

On a throwaway PostgreSQL database, gunicorn serves BlockDesk on a loopback
port and `manage.py run_worker` runs beside it with its default interval.
A visitor (a requests session, as the chat page's htmx does) opens the hosted
chat page and writes; an agent signs in and takes the ticket. Each round:
the visitor sends a message and the agent polls the ticket timeline every
POLL_S until it shows it; the agent replies (the console's reply form) and the
visitor polls the chat every POLL_S until the reply shows. The reply leg
includes the worker's pick-up. The pages themselves poll less often (the
console every 5 s, the chat every 1 s): a person waits up to that period more.
Prints p50 and p95 of both legs; a JSON summary on its last line.
"""

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import requests

from .delivery_run import Worker, throwaway_database
from .load_race import drop_database, free_port, percentile, start_gunicorn, stop_gunicorn

POLL_S = 0.02
TIMEOUT_S = 30
PASSWORD = "bench-agent-password"


def setup_chat() -> str:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts import roles
    from channels.webchat_models import WebchatChannel
    from contacts.models import Channel

    channel = Channel.objects.create(name="Bench chat", kind=Channel.Kind.WEBCHAT)
    chat = WebchatChannel.objects.create(channel=channel, messages_per_visitor=10_000, messages_per_address=10_000)
    agent = get_user_model().objects.create_user(username="bench-agent", password=PASSWORD)
    agent.groups.add(Group.objects.get(name=roles.AGENTS))
    return str(chat.public_id)


def take_ticket() -> int:
    from django.contrib.auth import get_user_model

    from tickets import queue
    from tickets.models import Ticket

    agent = get_user_model().objects.get(username="bench-agent")
    ticket = Ticket.objects.get()
    return queue.take_ticket(actor=agent, ticket=ticket).pk


class Visitor:
    def __init__(self, base: str, public_id: str):
        self.base = base
        self.chat = f"{base}/chat/{public_id}/"
        self.session = requests.Session()
        page = self.session.get(self.chat, timeout=10)
        page.raise_for_status()
        self.token = re.search(r'name="token" value="([^"]+)"', page.text)[1]
        self.after = 0
        self.headers = {"HX-Request": "true", "X-Chat-Token": self.token, "Origin": base}

    def send(self, text: str) -> None:
        self.session.post(f"{self.chat}messages/", {"text": text}, headers=self.headers, timeout=10).raise_for_status()

    def poll(self) -> str:
        response = self.session.post(
            f"{self.chat}poll/?after={self.after}", {"visible": "1"}, headers=self.headers, timeout=10
        )
        response.raise_for_status()
        self.after = int(re.search(r"poll/\?after=(\d+)", response.text)[1])
        return response.text


class Agent:
    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()
        self.session.get(f"{base}/login/", timeout=10)
        self.session.post(
            f"{base}/login/",
            {"username": "bench-agent", "password": PASSWORD, "csrfmiddlewaretoken": self._csrf()},
            timeout=10,
        ).raise_for_status()
        self.ticket = 0
        self.after = 0

    def _csrf(self) -> str:
        return self.session.cookies["csrftoken"]

    def poll(self) -> str:
        response = self.session.get(
            f"{self.base}/tickets/{self.ticket}/timeline/",
            params={"after": self.after, "seen": "assigned"},
            headers={"HX-Request": "true"},
            timeout=10,
        )
        response.raise_for_status()
        self.after = int(re.search(r"timeline/\?after=(\d+)", response.text)[1])
        return response.text

    def reply(self, text: str) -> None:
        self.session.post(
            f"{self.base}/tickets/{self.ticket}/reply/",
            {"reply-text": text},
            headers={"X-CSRFToken": self._csrf(), "HX-Request": "true"},
            timeout=10,
        ).raise_for_status()


def wait_for(poll, text: str) -> None:
    """Poll until `text` shows."""
    started = time.perf_counter()
    while time.perf_counter() - started < TIMEOUT_S:
        if text in poll():
            return
        time.sleep(POLL_S)
    raise SystemExit(f"{text!r} did not show within {TIMEOUT_S} s")


def round_trips(base: str, public_id: str, rounds: int) -> dict:
    visitor = Visitor(base, public_id)
    visitor.send("Hello, anyone there?")
    agent = Agent(base)
    agent.ticket = take_ticket()
    agent.poll()
    visitor.poll()
    to_agent, to_visitor = [], []
    for i in range(rounds):
        started = time.perf_counter()
        visitor.send(f"question {i} ?")
        wait_for(agent.poll, f"question {i} ?")
        to_agent.append(time.perf_counter() - started)
        started = time.perf_counter()
        agent.reply(f"answer {i} !")
        wait_for(visitor.poll, f"answer {i} !")
        to_visitor.append(time.perf_counter() - started)
    return {
        "visitor_to_agent_ms": _stats(to_agent),
        "agent_to_visitor_ms": _stats(to_visitor),
    }


def _stats(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1), "max": round(max(ms), 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = p.parse_args()
    name = f"bd_webchat_roundtrip_{random.randrange(10**6)}"
    tmp = Path(tempfile.mkdtemp(prefix="bd-chat-"))
    server = worker = None
    try:
        # bench.settings: plain static files storage, so pages render without collectstatic.
        env = throwaway_database(name, DJANGO_SETTINGS_MODULE="bench.settings")
        public_id = setup_chat()
        port = free_port()
        server = start_gunicorn(env, port, args.workers, tmp / "gunicorn.log")
        worker = Worker(env, tmp / "worker.log", interval=0.5)
        worker.start()
        summary = {"rounds": args.rounds, **round_trips(f"http://127.0.0.1:{port}", public_id, args.rounds)}
    finally:
        if worker is not None:
            worker.stop()
        if server is not None:
            stop_gunicorn(server)
        from django.db import connections

        connections.close_all()
        drop_database(name)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
