"""One truth for every process: nothing a request depends on is kept past it (DESIGN.md).

The inbound API finds the channel by its token, reads the switches and counts the
request against the channel's limits in one statement on every request, so a
channel switched off, a token rotated, a signing secret changed or a switch
flipped holds for the very next request. And the request itself costs only that
statement and the routing statements: no middleware (sessions, auth, messages,
axes, CSP) touches the database for a bearer-token call.

The same with real processes (4 gunicorn workers, two gunicorn masters) is in
test_one_truth_processes.py.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tokens import revoke_api_token
from blockdesk.api_auth import BAD_CHANNEL_TOKEN, BAD_PERSONAL_TOKEN, MISSING_TIMESTAMP
from contacts.channels import deactivate_channel, reactivate_channel, rotate_channel_token
from contacts.models import Channel
from settings_app.models import BotAnswerer
from settings_app.switches import update_switches
from tests.perf.test_query_counts import HOT_PATH, NEW_CONTACT

from .conftest import API, bearer, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, channel_token):
    def send(message_id: str, *, token=channel_token, contact_id="+6281234567890", headers=None):
        return client.post(
            f"{API}/inbound/messages",
            json.dumps(message(message_id=message_id, contact_id=contact_id)),
            content_type="application/json",
            headers=bearer(token) | (headers or {}),
        )

    return send


def _statements(action) -> tuple:
    with CaptureQueriesContext(connection) as captured:
        response = action()
    return response, [q["sql"] for q in captured.captured_queries]


def test_a_request_costs_the_token_lookup_and_the_routing_statements(post):
    post("m1")

    response, statements = _statements(lambda: post("m2"))

    assert response.status_code == 201
    # BEGIN … COMMIT (SAVEPOINT … RELEASE in a test): routing; before it, the one statement that finds the
    # channel, counts the request and reads the switches.
    assert len(statements) == HOT_PATH + 1
    lookup = statements[0]
    assert "contacts_channel" in lookup and "settings_app_systemsettings" in lookup
    assert not [s for s in statements[1:] if "contacts_channel" in s or "settings_app_systemsettings" in s]
    assert not [s for s in statements if "django_session" in s or "auth_user" in s]


def test_a_new_contacts_ticket_reads_no_switches_of_its_own(post, set_switches):
    set_switches(bot_enabled=True)

    response, statements = _statements(lambda: post("m1", contact_id="chat-1"))

    assert response.status_code == 201
    assert response.json()["status"] == "bot"
    assert len(statements) == NEW_CONTACT + 1
    assert sum("settings_app_systemsettings" in s for s in statements) == 1


def test_the_bot_switch_holds_for_the_very_next_request(post, administrator):
    assert post("m1", contact_id="chat-1").json()["status"] == "unassigned"

    update_switches(actor=administrator, bot_enabled=True)
    assert post("m2", contact_id="chat-2").json()["status"] == "bot"

    update_switches(actor=administrator, bot_enabled=False)
    assert post("m3", contact_id="chat-3").json()["status"] == "unassigned"


def test_who_answers_the_bot_is_read_with_the_switches(post, set_switches, django_capture_on_commit_callbacks):
    set_switches(bot_enabled=True, bot_answerer=BotAnswerer.BUILTIN)
    with django_capture_on_commit_callbacks() as callbacks:
        response, statements = _statements(lambda: post("m1", contact_id="chat-1"))

    assert response.json()["status"] == "bot"
    assert callbacks  # the built-in bot's task is queued after commit
    assert sum("settings_app_systemsettings" in s for s in statements) == 1


def test_a_switched_off_channel_stops_at_the_next_request(post, channel, administrator):
    assert post("m1").status_code == 201

    deactivate_channel(actor=administrator, channel=channel)
    response = post("m2")
    assert (response.status_code, response.json()) == (401, {"detail": BAD_CHANNEL_TOKEN})

    reactivate_channel(actor=administrator, channel=channel)
    assert post("m3").status_code == 201


def test_a_rotated_token_stops_at_the_next_request(post, channel, administrator):
    assert post("m1").status_code == 201

    new = rotate_channel_token(actor=administrator, channel=channel)

    assert post("m2").status_code == 401
    assert post("m3", token=new).status_code == 201


def test_a_new_signing_secret_holds_at_the_next_request(post, channel):
    assert post("m1").status_code == 201

    Channel.objects.filter(pk=channel.pk).update(signing_secret="s" * 32)

    response = post("m2")
    assert (response.status_code, response.json()) == (401, {"detail": MISSING_TIMESTAMP})


def test_a_revoked_personal_token_stops_at_the_next_request(client, agent, token_for):
    raw = token_for(agent)
    assert client.get(f"{API}/tickets", headers=bearer(raw)).status_code == 200
    from accounts.models import ApiToken

    revoke_api_token(actor=agent, token=ApiToken.objects.get(user=agent))

    response = client.get(f"{API}/tickets", headers=bearer(raw))
    assert (response.status_code, response.json()) == (401, {"detail": BAD_PERSONAL_TOKEN})


def test_unknown_tokens_count_nothing(post, channel):
    assert post("m1", token="bdc_unknown").status_code == 401
    channel.refresh_from_db()
    assert (channel.minute_requests, channel.minute_messages) == (0, 0)
