"""One truth with real processes: 4 gunicorn workers, and two gunicorn masters on one PostgreSQL database.

Every change is made between requests (by this test process, as an administrator
on another process would, or through one instance's API), and the very next
requests, spread over every worker (the access log names the worker of each),
must obey it. Inbound limits are counted once for all workers and instances, in
the database and in Redis. PostgreSQL only: the SQLite test database lives in
this process's memory.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from django.core.cache import caches
from django.db import connection

from accounts.models import ApiToken
from accounts.tokens import revoke_api_token
from bench.instances import AppInstance
from contacts.channels import deactivate_channel, reactivate_channel, rotate_channel_token
from contacts.inbound_limits import WINDOW_SECONDS
from contacts.models import Channel
from settings_app.models import SystemSettings
from settings_app.switches import update_switches
from tests import factories

from .conftest import API, bearer, message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn workers need a shared PostgreSQL database"),
]

WORKERS = 4
# Requests after each change: enough that every worker answers some (checked against the access log).
AFTER_EACH_CHANGE = 24
REDIS_URL = "redis://127.0.0.1:6379/11"


def _env(**extra) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="blockdesk.settings_test", LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def _spread(calls) -> list:
    """Run the calls from 4 threads at once (each on its own connection), answers in order."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda call: call(), calls))


class Inbound:
    """Posts inbound messages with fresh contact addresses to an instance."""

    counter = iter(range(1, 1_000_000))
    lock = threading.Lock()

    def __init__(self, token: str):
        self.token = token

    def post(self, base: str, *, token: str | None = None, headers=None) -> requests.Response:
        with self.lock:
            n = next(self.counter)
        body = message(message_id=f"p-{n}", contact_id=f"chat-{n}")
        return requests.post(
            f"{base}{API}/inbound/messages",
            json=body,
            headers=bearer(token or self.token) | (headers or {}) | {"Connection": "close"},
            timeout=30,
        )

    def burst(self, base: str, n: int = AFTER_EACH_CHANGE, **kwargs) -> list[requests.Response]:
        return _spread([lambda: self.post(base, **kwargs)] * n)


def _statuses(responses) -> set:
    return {r.status_code for r in responses}


def _ticket_statuses(responses) -> set:
    return {r.json()["status"] for r in responses}


def _all_workers_answered(app: AppInstance, since: int) -> bool:
    return len(set(app.served_by()[since:])) == app.workers


def _obeyed_on_every_worker(app: AppInstance, call, check) -> None:
    """Send bursts until every worker answered since the change; each answer must pass `check`."""
    since = len(app.served_by())
    for _ in range(6):
        answers = call()
        assert all(check(answer) for answer in answers), [(a.status_code, a.text[:120]) for a in answers]
        time.sleep(0.2)  # the access log is written after the answer
        if _all_workers_answered(app, since):
            return
    pytest.fail(f"the requests reached only workers {set(app.served_by()[since:])}")


@pytest.fixture
def channel_and_token(db):
    channel = factories.ChannelFactory(name="WhatsApp")
    raw = channel.set_new_token()
    channel.save()
    return channel, raw


@pytest.fixture
def app():
    with AppInstance(_env(), workers=WORKERS) as instance:
        yield instance


def _wait_for_a_fresh_minute(needed_s: float = 25.0) -> None:
    """Limits count per calendar minute: start a counting test with enough of the minute left."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < needed_s:
        time.sleep(left + 0.5)


def test_four_workers_obey_every_change_at_the_next_request(app, channel_and_token, administrator, supervisor):
    channel, token = channel_and_token
    inbound = Inbound(token)

    def status_is(expected):
        return lambda r: r.status_code == 201 and r.json()["status"] == expected

    # Every worker has served (and, were there a cache, would remember) the channel and the switches.
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base), status_is("unassigned"))

    update_switches(actor=administrator, bot_enabled=True)
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base), status_is("bot"))
    update_switches(actor=administrator, bot_enabled=False)
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base), status_is("unassigned"))

    deactivate_channel(actor=administrator, channel=channel)
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base), lambda r: r.status_code == 401)
    reactivate_channel(actor=administrator, channel=channel)
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base), lambda r: r.status_code == 201)

    new = rotate_channel_token(actor=administrator, channel=channel)
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base), lambda r: r.status_code == 401)
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base, token=new), lambda r: r.status_code == 201)

    Channel.objects.filter(pk=channel.pk).update(signing_secret="s" * 32)
    _obeyed_on_every_worker(app, lambda: inbound.burst(app.base, token=new), lambda r: r.status_code == 401)

    # Blocking switched off: no worker accepts a block.
    _, staff = ApiToken.issue(user=supervisor)
    contacts = iter(factories.ContactFactory.create_batch(6 * AFTER_EACH_CHANGE * 2))

    def block(contact):
        return requests.post(
            f"{app.base}{API}/contacts/{contact.pk}/block",
            json={"reason": "spam"},
            headers=bearer(staff) | {"Connection": "close"},
            timeout=30,
        )

    def block_all():
        batch = [next(contacts) for _ in range(AFTER_EACH_CHANGE)]
        return _spread([lambda c=c: block(c) for c in batch])

    update_switches(actor=administrator, block_contacts_enabled=True)
    _obeyed_on_every_worker(app, block_all, lambda r: r.status_code == 200)
    update_switches(actor=administrator, block_contacts_enabled=False)
    _obeyed_on_every_worker(app, block_all, lambda r: r.status_code == 403)

    # A revoked personal token stops on every worker.
    def list_tickets():
        return _spread(
            [
                lambda: requests.get(f"{app.base}{API}/tickets", headers=bearer(staff) | {"Connection": "close"})
                for _ in range(AFTER_EACH_CHANGE)
            ]
        )

    _obeyed_on_every_worker(app, list_tickets, lambda r: r.status_code == 200)
    revoke_api_token(actor=supervisor, token=ApiToken.objects.get(user=supervisor))
    _obeyed_on_every_worker(app, list_tickets, lambda r: r.status_code == 401)


def test_four_workers_share_the_channels_limit_in_the_database(app, channel_and_token):
    channel, token = channel_and_token
    Channel.objects.filter(pk=channel.pk).update(requests_per_minute=30)
    _wait_for_a_fresh_minute()
    since = len(app.served_by())

    answers = Inbound(token).burst(app.base, 60)

    assert sorted(r.status_code for r in answers) == [201] * 30 + [429] * 30
    refused = next(r for r in answers if r.status_code == 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW_SECONDS
    assert "30 requests a minute" in refused.json()["detail"]
    assert channel.tickets.count() == 30  # nothing stored for the refused ones
    time.sleep(0.2)
    assert _all_workers_answered(app, since)


def test_two_instances_obey_a_change_made_through_the_other(channel_and_token, administrator):
    channel, token = channel_and_token
    _, admin_token = ApiToken.issue(user=administrator)
    inbound = Inbound(token)
    with AppInstance(_env(), workers=2) as one, AppInstance(_env(), workers=2) as two:

        def flip(on: bool):
            response = requests.patch(
                f"{one.base}{API}/settings", json={"bot_enabled": on}, headers=bearer(admin_token), timeout=30
            )
            assert response.status_code == 200, response.text

        assert _ticket_statuses(inbound.burst(two.base, 8)) == {"unassigned"}
        for on in (True, False, True):
            flip(on)
            # The very next request on the other instance, with no pause.
            assert _ticket_statuses(inbound.burst(two.base, 8)) == {"bot" if on else "unassigned"}
            assert _ticket_statuses(inbound.burst(one.base, 8)) == {"bot" if on else "unassigned"}

        deactivate_channel(actor=administrator, channel=channel)
        assert _statuses(inbound.burst(one.base, 4) + inbound.burst(two.base, 4)) == {401}


@pytest.mark.parametrize("counts_in", ["database", "redis"])
def test_two_instances_share_the_channels_limits(channel_and_token, counts_in):
    channel, token = channel_and_token
    Channel.objects.filter(pk=channel.pk).update(messages_per_minute=40)
    extra = {}
    if counts_in == "redis":
        extra["CACHE_URL"] = REDIS_URL.replace("redis://", "rediscache://")
        client = redis.Redis.from_url(REDIS_URL)
        for minute in range(int(time.time() // WINDOW_SECONDS), int(time.time() // WINDOW_SECONDS) + 3):
            client.delete(caches["default"].make_key(f"inbound-limit:{channel.pk}:{minute}"))
    _wait_for_a_fresh_minute()
    inbound = Inbound(token)
    with AppInstance(_env(**extra), workers=2) as one, AppInstance(_env(**extra), workers=2) as two:
        answers = _spread([lambda base=(one.base if k % 2 else two.base): inbound.post(base) for k in range(80)])

    assert sorted(r.status_code for r in answers) == [201] * 40 + [429] * 40
    assert "40 messages a minute" in next(r for r in answers if r.status_code == 429).json()["detail"]
    channel.refresh_from_db()
    if counts_in == "database":
        assert (channel.minute_requests, channel.minute_messages) == (80, 80)
    else:
        assert (channel.minute_requests, channel.minute_messages) == (0, 0)  # Redis kept them
    assert SystemSettings.objects.count() == 1
