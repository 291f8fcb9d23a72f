"""Staff API for the system switches."""

import json

import pytest

from blockdesk import errors
from settings_app.switches import current_switches

from .conftest import API

pytestmark = pytest.mark.django_db

# The waiting alert the switches' answers carry, untouched by these tests (the default).
FLOOD_DEFAULTS = {"flood_guard_enabled": True, "flood_messages": 30, "flood_minutes": 5, "flood_auto_block": False}
ALERT = {"waiting_alert_minutes": 15, "blocked_ticket_retention_days": None, **FLOOD_DEFAULTS}


def patch(client, body):
    return client.patch(f"{API}/settings", json.dumps(body), content_type="application/json")


def test_missing_token_answers_401(client):
    assert client.get(f"{API}/settings").status_code == 401
    assert patch(client, {"bot_enabled": True}).status_code == 401


def test_anyone_signed_in_reads_the_switches(as_user, agent, blocking_on):
    response = as_user(agent).get(f"{API}/settings")

    assert response.status_code == 200
    assert response.json() == {"block_contacts_enabled": True, "bot_enabled": False, "bot_answerer": "nobody", **ALERT}


def test_administrator_changes_one_switch(as_user, administrator):
    response = patch(as_user(administrator), {"block_contacts_enabled": True})

    assert response.status_code == 200
    assert response.json() == {"block_contacts_enabled": True, "bot_enabled": False, "bot_answerer": "nobody", **ALERT}
    assert current_switches().block_contacts_enabled is True


def test_null_or_missing_keeps_a_switch(as_user, administrator, bot_on):
    response = patch(as_user(administrator), {"block_contacts_enabled": True, "bot_enabled": None})

    assert response.json() == {"block_contacts_enabled": True, "bot_enabled": True, "bot_answerer": "nobody", **ALERT}


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_others_cannot_change_the_switches(as_user, request, persona):
    response = patch(as_user(request.getfixturevalue(persona)), {"bot_enabled": True})

    assert response.status_code == 403
    assert response.json() == {"detail": errors.NO_PERMISSION_SETTINGS}
    assert current_switches().bot_enabled is False


def test_bad_values_answer_422(as_user, administrator):
    response = patch(as_user(administrator), {"bot_enabled": "sometimes"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "bot_enabled"


def test_a_body_that_is_not_json_answers_400(as_user, administrator):
    response = as_user(administrator).patch(f"{API}/settings", "on", content_type="application/json")

    assert response.status_code == 400


def test_post_is_not_allowed(as_user, administrator):
    assert as_user(administrator).post(f"{API}/settings").status_code == 405


def test_a_body_over_djangos_upload_limit_answers_413(as_user, administrator, settings):
    body = '{"bot_enabled": true, "padding": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'

    response = as_user(administrator).patch(f"{API}/settings", body, content_type="application/json")

    assert response.status_code == 413
    assert "detail" in response.json()
    assert current_switches().bot_enabled is False
