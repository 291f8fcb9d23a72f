"""The waiting alert on the System settings page and in the settings API: strictly 1–1440 minutes, audited."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import ApiToken
from blockdesk import errors
from contacts.models import AuditEntry
from settings_app.models import SystemSettings
from settings_app.switches import WAITING_ALERT_INVALID, current_switches, update_switches

pytestmark = pytest.mark.django_db

PAGE = reverse("settings_app:page")
API = "/api/v1/settings"


def _audit() -> list[tuple[str, str]]:
    rows = AuditEntry.objects.filter(action=AuditEntry.Action.SWITCH_CHANGED).order_by("id")
    return list(rows.values_list("subject", "change"))


def _stored() -> int:
    return SystemSettings.load().waiting_alert_minutes


def _api(client, user):
    _, raw = ApiToken.issue(user=user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_changing_the_alert_writes_one_audit_row_and_clears_the_cache(
    administrator, django_capture_on_commit_callbacks
):
    assert current_switches().waiting_alert_minutes == 15  # cached: saving must clear it
    with django_capture_on_commit_callbacks(execute=True):
        update_switches(actor=administrator, waiting_alert_minutes=30)

    assert current_switches().waiting_alert_minutes == 30
    assert _audit() == [("Waiting alert", "15 → 30 min")]
    assert SystemSettings.load().updated_by == administrator


def test_the_same_value_writes_no_row(administrator):
    update_switches(actor=administrator, waiting_alert_minutes=15)

    assert _audit() == []


@pytest.mark.parametrize("minutes", [0, 1441, -5, True, 30.0, "30"])
def test_the_domain_refuses_anything_but_1_to_1440_whole_minutes(administrator, minutes):
    with pytest.raises(errors.Invalid, match=re.escape(WAITING_ALERT_INVALID)):
        update_switches(actor=administrator, block_contacts_enabled=True, waiting_alert_minutes=minutes)

    assert (_stored(), SystemSettings.load().block_contacts_enabled, _audit()) == (15, False, [])


def test_only_administrators_change_it(supervisor):
    with pytest.raises(errors.Forbidden):
        update_switches(actor=supervisor, waiting_alert_minutes=30)

    assert _stored() == 15


# The settings page


def test_the_page_shows_the_alert(client, administrator):
    SystemSettings.objects.update_or_create(pk=1, defaults={"waiting_alert_minutes": 42})
    client.force_login(administrator)

    page = client.get(PAGE).content.decode()

    assert 'name="waiting_alert_minutes" min="1" max="1440" step="1" required value="42"' in page


def test_saving_the_page_sets_the_alert(client, administrator, django_capture_on_commit_callbacks):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"waiting_alert_minutes": "1440"})

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "System settings saved: blocking contacts is off, the BOT is off, BOT tickets are answered by nobody "
        "(they wait for a supervisor), queues show a wait in red from 1440 min, "
        "and blocked tickets are kept until a supervisor acts."
    ]
    assert current_switches().waiting_alert_minutes == 1440
    assert _audit() == [("Waiting alert", "15 → 1440 min")]


@pytest.mark.parametrize("value", ["", "0", "1441", "30.0", "3e1", "+30", " ", "abc", "٣٠", "9" * 5000])
def test_a_bad_value_on_the_page_saves_nothing_and_says_why(client, administrator, value):
    client.force_login(administrator)

    response = client.post(PAGE, {"block_contacts_enabled": "on", "waiting_alert_minutes": value})

    assert response.status_code == 200
    assert WAITING_ALERT_INVALID in response.content.decode()
    assert (_stored(), SystemSettings.load().block_contacts_enabled, _audit()) == (15, False, [])


def test_a_post_without_the_field_keeps_the_alert(client, administrator):
    SystemSettings.objects.update_or_create(pk=1, defaults={"waiting_alert_minutes": 42})
    client.force_login(administrator)

    assert client.post(PAGE, {"bot_enabled": "on"}).status_code == 302

    assert _stored() == 42


# The settings API


def test_the_api_reads_and_sets_the_alert(client, administrator):
    client = _api(client, administrator)

    response = client.patch(API, json.dumps({"waiting_alert_minutes": 45}), content_type="application/json")

    assert response.status_code == 200
    assert response.json()["waiting_alert_minutes"] == 45
    assert client.get(API).json()["waiting_alert_minutes"] == 45
    assert _audit() == [("Waiting alert", "15 → 45 min")]


@pytest.mark.parametrize("value", [0, 1441, "30", 30.5, True, 10**30])
def test_the_api_refuses_a_bad_alert_with_422_and_changes_nothing(client, administrator, value):
    body = {"bot_enabled": True, "waiting_alert_minutes": value}

    response = _api(client, administrator).patch(API, json.dumps(body), content_type="application/json")

    assert response.status_code == 422
    assert (_stored(), current_switches().bot_enabled, _audit()) == (15, False, [])


def test_the_api_says_why_an_out_of_range_alert_is_refused(client, administrator):
    body = json.dumps({"waiting_alert_minutes": 0})

    response = _api(client, administrator).patch(API, body, content_type="application/json")

    assert response.json()["detail"] == WAITING_ALERT_INVALID
