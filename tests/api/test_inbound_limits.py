"""Inbound limits per channel: requests and messages a minute; over either, 429 with Retry-After, nothing stored.

Counted in the database (the token look-up's own statement) unless CACHE_URL is
Redis; the Redis case runs here against the local Redis. With several processes
and two instances: test_one_truth_processes.py.
"""

import json
import uuid

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from blockdesk.api_auth import BAD_SIGNATURE, signature_for
from contacts import inbound_limits
from contacts.inbound_limits import (
    TOO_MANY_MESSAGES,
    TOO_MANY_REQUESTS,
    WINDOW_SECONDS,
    counts_in_redis,
    inbound_limit_retry_after,
)
from contacts.models import DEFAULT_MESSAGES_PER_MINUTE, DEFAULT_REQUESTS_PER_MINUTE, Channel
from tests import factories
from tickets.models import Message

from .conftest import API, bearer, message

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/11"
# 30 s into a minute: 30 s left.
NOW = 1_800_000_000.0 - 1_800_000_000.0 % WINDOW_SECONDS + 30


def _redis_runs() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["database", "redis"])
def counts_in(request):
    """Each test runs with the counts in the database, then in Redis (skipped when no Redis runs here)."""
    if request.param == "database":
        yield "database"
        return
    if not _redis_runs():
        pytest.skip(f"No Redis at {REDIS_URL}")
    cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # each test its own counts
    }
    with override_settings(CACHES={"default": cache}):
        assert counts_in_redis()
        yield "redis"


@pytest.fixture
def clock(monkeypatch):
    now = [NOW]
    monkeypatch.setattr(inbound_limits.time, "time", lambda: now[0])
    return now


@pytest.fixture
def limited(make_channel):
    def make(**limits) -> tuple[Channel, str]:
        return make_channel(name="Limited", **limits)

    return make


def _post(client, token, message_id, **extra):
    return client.post(
        f"{API}/inbound/messages",
        json.dumps(message(message_id=message_id, contact_id="+6281234567890")),
        content_type="application/json",
        headers=bearer(token) | extra,
    )


def _batch(client, token, ids):
    body = {"messages": [message(message_id=i, contact_id="+6281234567890") for i in ids]}
    return client.post(
        f"{API}/inbound/messages/batch", json.dumps(body), content_type="application/json", headers=bearer(token)
    )


def test_channels_start_with_sane_limits(make_channel):
    channel, _ = make_channel()
    assert (channel.requests_per_minute, channel.messages_per_minute) == (1200, 6000)
    assert (DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_MESSAGES_PER_MINUTE) == (1200, 6000)


def test_over_the_requests_limit_answers_429_and_stores_nothing(client, limited, clock, counts_in):
    channel, token = limited(requests_per_minute=3)

    answers = [_post(client, token, f"m{k}") for k in range(5)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    refused = answers[3]
    assert refused["Retry-After"] == "30"
    assert refused.json() == {"detail": TOO_MANY_REQUESTS.format(limit=3, seconds=30)}
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["m0", "m1", "m2"]


def test_the_next_minute_counts_afresh(client, limited, clock, counts_in):
    channel, token = limited(requests_per_minute=1)
    assert _post(client, token, "m1").status_code == 201
    assert _post(client, token, "m2").status_code == 429

    clock[0] += 30  # the next minute
    assert _post(client, token, "m3").status_code == 201
    clock[0] += 59
    refused = _post(client, token, "m4")
    assert (refused.status_code, refused["Retry-After"]) == (429, "1")


def test_a_batch_counts_each_of_its_messages(client, limited, clock, counts_in):
    channel, token = limited(messages_per_minute=5)

    assert _batch(client, token, ["a1", "a2", "a3"]).status_code == 201
    refused = _batch(client, token, ["b1", "b2", "b3"])

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert refused.json() == {"detail": TOO_MANY_MESSAGES.format(limit=5, seconds=30)}
    assert Message.objects.count() == 3
    # Single messages count too, against the same budget.
    assert _post(client, token, "c1").status_code == 429


def test_zero_means_no_limit(client, limited, clock, counts_in):
    channel, token = limited(requests_per_minute=0, messages_per_minute=0)
    assert {_post(client, token, f"m{k}").status_code for k in range(10)} == {201}


def test_the_limit_of_one_channel_leaves_the_others_alone(client, limited, make_channel, clock, counts_in):
    _, token = limited(requests_per_minute=1)
    _, other = make_channel(name="Other")
    assert _post(client, token, "m1").status_code == 201
    assert _post(client, token, "m2").status_code == 429
    assert _post(client, other, "m3").status_code == 201


def test_a_bad_signature_is_a_401_even_over_the_limit(client, limited, clock):
    _, token = limited(requests_per_minute=1, signing_secret="s" * 32)
    body = json.dumps(message(message_id="m1")).encode()
    timestamp = str(int(NOW))
    good = {"X-BlockDesk-Timestamp": timestamp, "X-BlockDesk-Signature": signature_for("s" * 32, timestamp, body)}
    bad = good | {"X-BlockDesk-Signature": "sha256=" + "0" * 64}

    def post(headers):
        return client.post(
            f"{API}/inbound/messages", body, content_type="application/json", headers=bearer(token) | headers
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("blockdesk.api_auth.time.time", lambda: NOW)
        assert post(good).status_code == 201
        refused = post(bad)
        assert (refused.status_code, refused.json()["detail"]) == (401, BAD_SIGNATURE)
        assert post(good).status_code == 429


def test_a_refused_request_costs_one_statement(client, limited, clock):
    _, token = limited(requests_per_minute=1)
    _post(client, token, "m1")

    with CaptureQueriesContext(connection) as captured:
        assert _post(client, token, "m2").status_code == 429

    assert len(captured.captured_queries) == 1  # the token look-up that counted it


def test_with_redis_the_lookup_only_reads_and_the_row_keeps_no_counts(client, limited, clock, counts_in):
    channel, token = limited(requests_per_minute=2)
    with CaptureQueriesContext(connection) as captured:
        _post(client, token, "m1")
    lookup = captured.captured_queries[0]["sql"]
    channel.refresh_from_db()

    if counts_in == "redis":
        assert lookup.lstrip().upper().startswith("SELECT")
        assert (channel.minute_requests, channel.minute_messages) == (0, 0)
    else:
        assert lookup.lstrip().upper().startswith("UPDATE")
        assert (channel.minute_requests, channel.minute_messages) == (1, 1)


def test_other_doors_call_one_function(limited, clock, counts_in):
    """Native webhooks: once per request, with the number of messages it carries, before storing anything."""
    channel, _ = limited(requests_per_minute=2, messages_per_minute=10)

    assert inbound_limit_retry_after(channel, 4) is None
    assert inbound_limit_retry_after(channel, 6) is None
    assert inbound_limit_retry_after(channel, 1) == 30  # the 11th message (and the 3rd request)

    other = factories.ChannelFactory(requests_per_minute=1)
    assert inbound_limit_retry_after(other, 1) is None
    assert inbound_limit_retry_after(other, 0) == 30


def test_administrators_set_the_limits_in_django_admin(admin_client, channel):
    from django.urls import reverse

    url = reverse("admin:contacts_channel_change", args=[channel.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="requests_per_minute"' in page and 'name="messages_per_minute"' in page

    form = {"name": channel.name, "kind": channel.kind, "is_active": "on", "signing_secret": ""}
    admin_client.post(url, {**form, "requests_per_minute": "60", "messages_per_minute": "600"})
    channel.refresh_from_db()
    assert (channel.requests_per_minute, channel.messages_per_minute) == (60, 600)

    admin_client.post(url, form)  # left empty: kept
    channel.refresh_from_db()
    assert (channel.requests_per_minute, channel.messages_per_minute) == (60, 600)
