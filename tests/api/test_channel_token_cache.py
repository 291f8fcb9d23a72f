"""The inbound API keeps the channel of a bearer token for CHANNEL_TOKEN_CACHE_SECONDS: no query per request.

And the request itself costs only the routing statements: no middleware
(sessions, auth, messages, axes, CSP) touches the database for a bearer-token call.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blockdesk.api_auth import BAD_CHANNEL_TOKEN
from contacts import models as contact_models
from contacts.models import Channel, forget_channel_tokens
from settings_app.switches import current_switches
from tests.perf.test_query_counts import HOT_PATH

from .conftest import API, bearer, message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    forget_channel_tokens()
    yield
    forget_channel_tokens()


@pytest.fixture
def post(client, channel_token):
    def send(message_id: str, *, token=channel_token):
        return client.post(
            f"{API}/inbound/messages",
            json.dumps(message(message_id=message_id)),
            content_type="application/json",
            headers=bearer(token),
        )

    return send


def _statements(action) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = action()
    return response, [q["sql"] for q in captured.captured_queries]


def test_second_request_costs_only_the_routing_statements(post):
    current_switches()
    post("m1")

    response, statements = _statements(lambda: post("m2"))

    assert response.status_code == 201
    assert len(statements) == HOT_PATH  # BEGIN … COMMIT (SAVEPOINT … RELEASE in a test): routing, nothing else
    assert not [s for s in statements if "contacts_channel" in s or "django_session" in s or "auth_user" in s]


def test_a_switched_off_channel_stops_working_within_the_cache_time(post, channel, settings, monkeypatch):
    settings.CHANNEL_TOKEN_CACHE_SECONDS = 30
    clock = [1000.0]
    monkeypatch.setattr(contact_models.time, "monotonic", lambda: clock[0])
    assert post("m1").status_code == 201
    Channel.objects.filter(pk=channel.pk).update(is_active=False)

    clock[0] += 29
    assert post("m2").status_code == 201  # still cached in this process
    clock[0] += 2
    response = post("m3")

    assert response.status_code == 401
    assert response.json() == {"detail": BAD_CHANNEL_TOKEN}


def test_a_rotated_token_stops_working_within_the_cache_time(post, channel, settings, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(contact_models.time, "monotonic", lambda: clock[0])
    assert post("m1").status_code == 201
    new = channel.set_new_token()
    channel.save()

    assert post("m2", token=new).status_code == 201  # the new token works at once
    clock[0] += settings.CHANNEL_TOKEN_CACHE_SECONDS
    assert post("m3").status_code == 401


def test_zero_turns_the_cache_off(post, channel, settings):
    settings.CHANNEL_TOKEN_CACHE_SECONDS = 0
    assert post("m1").status_code == 201
    Channel.objects.filter(pk=channel.pk).update(is_active=False)

    assert post("m2").status_code == 401


def test_unknown_tokens_are_not_cached(post):
    assert post("m1", token="bdc_unknown").status_code == 401
    assert contact_models._channels_by_token == {}
