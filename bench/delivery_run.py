"""What the delivery runs share: a throwaway database, an api channel at the loopback receiver, queued
replies, and `manage.py run_worker` as a subprocess that can be killed and started again.

The bench process itself runs Django (to queue replies and read their state) and the receiver;
the worker is a separate process on the same database, as in production.
"""

import os
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from .load_race import PYTHON, ROOT, app_env, create_database, drop_database

SECRET = "bench-outbound-secret"


def sqlite_path(name: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{name}.sqlite3"


def throwaway_database(name: str, *, engine: str = "postgres", **settings: str) -> dict:
    """Create and migrate the database `name` (PostgreSQL, or an SQLite file), set Django up on it here.

    Return the worker's env.
    """
    import django
    from django.core.management import call_command

    url = f"sqlite:///{sqlite_path(name)}" if engine == "sqlite" else create_database(name)
    env = app_env(url) | settings
    os.environ.update(env)
    django.setup()
    call_command("migrate", verbosity=0)
    return env


def drop_throwaway_database(name: str, *, engine: str = "postgres") -> None:
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path(name)}{suffix}").unlink(missing_ok=True)
    else:
        drop_database(name)


def current_database_env(**settings: str) -> dict:
    """The worker's env for the database this (test) process already uses."""
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **settings}


def api_channel(receiver):
    from contacts.models import Channel

    return Channel.objects.create(
        name="Bench API", kind=Channel.Kind.API, outbound_url=receiver.url, outbound_secret=receiver.secret
    )


def queue_replies(channel, count: int, tickets: int = 10) -> list[int]:
    """`count` replies by one agent spread over `tickets` tickets; return their message ids, in order."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts import roles
    from tickets import queue
    from tickets.outbox import send_reply
    from tickets.routing import InboundMessage, route_inbound_message

    agent = get_user_model().objects.create_user(username=f"bench-agent-{channel.pk}", password=None)
    agent.groups.add(Group.objects.get(name=roles.AGENTS))
    open_tickets = []
    for i in range(tickets):
        inbound = InboundMessage(
            message_id=f"bench-{channel.pk}-{i}", contact_id=f"+628120000{i:04d}", text="Hello?", contact_name=f"C{i}"
        )
        ticket = route_inbound_message(channel=channel, inbound=inbound).ticket
        open_tickets.append(queue.take_ticket(actor=agent, ticket=ticket))
    return [send_reply(actor=agent, ticket=open_tickets[i % tickets], text=f"Reply {i}").pk for i in range(count)]


def states(ids: list[int]) -> Counter:
    from tickets.models import Message

    return Counter(Message.objects.filter(pk__in=ids).values_list("delivery_state", flat=True))


def done(ids: list[int]) -> bool:
    from tickets.models import DeliveryState

    counts = states(ids)
    return counts[DeliveryState.SENT] + counts[DeliveryState.DELIVERED] == len(ids)


class Worker:
    """`manage.py run_worker` in its own process group, logging to `log`; it looks for tasks every `interval` s."""

    def __init__(self, env: dict, log: Path, *, interval: float = 0.1):
        self.env = env
        self.log = log
        self.interval = interval
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [PYTHON, "manage.py", "run_worker", "--interval", str(self.interval)],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL: no chance to finish the reply in hand or record it."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


def wait_until(condition, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
