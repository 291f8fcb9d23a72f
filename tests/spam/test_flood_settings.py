"""The flood guard's settings: update_flood_guard, the System settings page and the settings API."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import ApiToken
from blockdesk import errors
from contacts.models import AuditEntry
from settings_app.flood_settings import (
    FLOOD_MESSAGES_INVALID,
    FLOOD_MINUTES_INVALID,
    FLOOD_SWITCH_INVALID,
    update_flood_guard,
)
from settings_app.models import SystemSettings
from settings_app.switches import current_switches
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(client):
    """api_as(user) → the test client, its requests carrying a fresh personal token of the user."""

    def make(user):
        _, raw = ApiToken.issue(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return make


PAGE = reverse("settings_app:page")
# What the page's form sends besides the flood guard (the other settings as they are by default).
OTHER_FIELDS = {"waiting_alert_minutes": "15", "bot_answerer": "nobody"}


def _row() -> SystemSettings:
    return SystemSettings.load()


def test_update_changes_each_value_with_an_audit_row(administrator):
    switches = update_flood_guard(actor=administrator, enabled=False, messages=100, minutes=10, auto_block=True)
    assert (switches.flood_guard_enabled, switches.flood_messages, switches.flood_minutes) == (False, 100, 10)
    assert switches.flood_auto_block
    rows = {e.subject: e.change for e in AuditEntry.objects.filter(action=AuditEntry.Action.SWITCH_CHANGED)}
    assert rows == {
        "Flood guard": "on → off",
        "Flood guard blocks by itself": "off → on",
        "Flood limit": "30 → 100 messages",
        "Flood window": "5 → 10 min",
    }
    assert _row().updated_by == administrator


def test_update_with_nothing_new_writes_nothing(administrator):
    update_flood_guard(actor=administrator, enabled=True, messages=30, minutes=5, auto_block=False)
    assert not AuditEntry.objects.exists()


def test_the_next_read_sees_the_change(administrator, django_capture_on_commit_callbacks):
    assert current_switches().flood_messages == 30
    with django_capture_on_commit_callbacks(execute=True):
        update_flood_guard(actor=administrator, messages=12)
    assert current_switches().flood_messages == 12


@pytest.mark.parametrize(
    ("values", "detail"),
    [
        ({"messages": 1}, FLOOD_MESSAGES_INVALID),
        ({"messages": 10_001}, FLOOD_MESSAGES_INVALID),
        ({"messages": True}, FLOOD_MESSAGES_INVALID),
        ({"messages": "30"}, FLOOD_MESSAGES_INVALID),
        ({"minutes": 0}, FLOOD_MINUTES_INVALID),
        ({"minutes": 1441}, FLOOD_MINUTES_INVALID),
        ({"enabled": "yes"}, FLOOD_SWITCH_INVALID),
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(administrator, values, detail):
    with pytest.raises(errors.Invalid) as refused:
        update_flood_guard(actor=administrator, **values)
    assert refused.value.detail == detail
    assert (_row().flood_messages, _row().flood_minutes, _row().flood_guard_enabled) == (30, 5, True)


def test_the_edges_are_allowed(administrator):
    update_flood_guard(actor=administrator, messages=2, minutes=1440)
    update_flood_guard(actor=administrator, messages=10_000, minutes=1)
    assert (_row().flood_messages, _row().flood_minutes) == (10_000, 1)


def test_only_administrators(supervisor):
    with pytest.raises(errors.Forbidden):
        update_flood_guard(actor=supervisor, messages=50)
    assert _row().flood_messages == 30


def test_the_page_shows_and_saves_the_flood_guard(client, administrator):
    client.force_login(administrator)
    page = client.get(PAGE).content.decode()
    assert 'name="flood_messages"' in page and 'value="30"' in page and 'name="flood_auto_block"' in page
    assert 'id="id_flood_guard_enabled" name="flood_guard_enabled" checked' in page
    body = {**OTHER_FIELDS, "flood_guard": "on", "flood_messages": "50", "flood_minutes": "2", "flood_auto_block": "on"}
    response = client.post(PAGE, body)
    assert response.status_code == 302
    row = _row()
    assert (row.flood_guard_enabled, row.flood_messages, row.flood_minutes, row.flood_auto_block) == (
        False,
        50,
        2,
        True,
    )
    saved = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert saved.endswith("The flood guard is off.")


def test_the_page_says_what_the_guard_now_does(client, administrator):
    client.force_login(administrator)
    body = {**OTHER_FIELDS, "flood_guard": "on", "flood_guard_enabled": "on", "flood_messages": "40"}
    response = client.post(PAGE, {**body, "flood_minutes": "3"})
    saved = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert saved.endswith("The flood guard flags as suspected spam a contact sending more than 40 messages in 3 min.")


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("flood_messages", "1", FLOOD_MESSAGES_INVALID),
        ("flood_messages", "3e1", FLOOD_MESSAGES_INVALID),
        ("flood_messages", "", FLOOD_MESSAGES_INVALID),
        ("flood_minutes", "1441", FLOOD_MINUTES_INVALID),
        ("flood_minutes", "-5", FLOOD_MINUTES_INVALID),
    ],
)
def test_the_page_refuses_bad_values_and_changes_nothing(client, administrator, field, value, detail):
    client.force_login(administrator)
    body = {**OTHER_FIELDS, "flood_guard": "on", "flood_messages": "30", "flood_minutes": "5", field: value}
    response = client.post(PAGE, body)
    assert response.status_code == 200
    assert detail in response.content.decode()
    row = _row()
    assert (row.flood_messages, row.flood_minutes, row.flood_guard_enabled) == (30, 5, True)
    assert not AuditEntry.objects.exists()


def test_a_post_without_the_flood_fields_leaves_the_guard_alone(client, administrator):
    client.force_login(administrator)
    client.post(PAGE, OTHER_FIELDS)
    assert _row().flood_guard_enabled


def _patch(client, body):
    return client.patch(f"{API}/settings", json.dumps(body), content_type="application/json")


def test_the_api_reads_and_changes_the_flood_guard(api_as, administrator):
    client = api_as(administrator)
    assert client.get(f"{API}/settings").json()["flood_messages"] == 30
    body = _patch(client, {"flood_messages": 99, "flood_minutes": 15, "flood_auto_block": True}).json()
    assert (body["flood_messages"], body["flood_minutes"], body["flood_auto_block"]) == (99, 15, True)
    assert body["flood_guard_enabled"] is True


@pytest.mark.parametrize(
    "body", [{"flood_messages": 1}, {"flood_messages": "30"}, {"flood_minutes": 0}, {"flood_minutes": 2.5}]
)
def test_the_api_refuses_bad_values_with_422(api_as, administrator, body):
    response = _patch(api_as(administrator), body)
    assert response.status_code == 422
    assert (_row().flood_messages, _row().flood_minutes) == (30, 5)


def test_the_api_refuses_supervisors(api_as, supervisor):
    response = _patch(api_as(supervisor), {"flood_messages": 50})
    assert response.status_code == 403 and response.json()["detail"] == errors.NO_PERMISSION_SETTINGS
