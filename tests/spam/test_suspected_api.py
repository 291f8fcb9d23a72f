"""Staff API for suspected spam: GET /api/v1/suspected, POST …/{id}/dismiss and …/{id}/block."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from blockdesk import errors
from contacts.flood_guard import FLAG_NOT_OPEN, NO_PERMISSION_FLOOD, NO_PERMISSION_SUSPECTED, NO_SUCH_FLAG
from contacts.models import Contact, FloodFlag, FloodStatus
from tests import factories
from tests.api.conftest import API
from tests.spam.flood_helpers import flagged

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(client):
    """api_as(user) → the test client, its requests carrying a fresh personal token of the user."""

    def make(user):
        _, raw = ApiToken.issue(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return make


URL = f"{API}/suspected"


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_list_open_flags_newest_first(api_as, supervisor, channel):
    older = flagged(channel)
    newer = flagged(channel, messages=50, window_minutes=10)
    body = api_as(supervisor).get(URL).json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    item = body["items"][0]
    assert item["contact_id"] == newer.contact_id and item["contact_name"] == str(newer.contact)
    assert (item["messages"], item["window_minutes"], item["status"]) == (50, 10, "open")
    assert item["channel_id"] == channel.pk and item["resolved_by"] is None


def test_history_and_single_statuses(api_as, supervisor, channel):
    flagged(channel)
    handled = flagged(channel)
    client = api_as(supervisor)
    post_json(client, f"{URL}/{handled.pk}/dismiss")
    assert [i["id"] for i in client.get(f"{URL}?status=history").json()["items"]] == [handled.pk]
    assert [i["id"] for i in client.get(f"{URL}?status=dismissed").json()["items"]] == [handled.pk]
    assert client.get(f"{URL}?status=blocked").json() == {"items": [], "count": 0}
    assert client.get(f"{URL}?status=bogus").status_code == 422


def test_dismiss(api_as, supervisor, channel):
    flag = flagged(channel)
    response = post_json(api_as(supervisor), f"{URL}/{flag.pk}/dismiss")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "dismissed" and body["resolved_by"]["id"] == supervisor.pk
    assert Contact.objects.get(pk=flag.contact_id).flood_counted_from is not None


def test_dismiss_twice_is_409(api_as, supervisor, channel):
    flag = flagged(channel)
    client = api_as(supervisor)
    post_json(client, f"{URL}/{flag.pk}/dismiss")
    response = post_json(client, f"{URL}/{flag.pk}/dismiss")
    assert response.status_code == 409
    assert response.json()["detail"] == FLAG_NOT_OPEN.format(status="dismissed")


def test_block(api_as, supervisor, channel, blocking_on):
    flag = flagged(channel)
    factories.TicketFactory(contact=flag.contact, channel=channel)
    response = post_json(api_as(supervisor), f"{URL}/{flag.pk}/block", {"reason": "spam", "duration": "1d"})
    assert response.status_code == 200
    body = response.json()
    assert body["flag"]["status"] == "blocked" and body["tickets_resolved"] == 1
    assert body["contact"]["is_blocked"] and body["contact"]["block"]["blocked_by"]["id"] == supervisor.pk
    assert body["contact"]["blocked_by_rule"] is None and body["contact"]["blocked_by_name"] == ""
    assert FloodFlag.objects.get(pk=flag.pk).status == FloodStatus.BLOCKED


def test_block_with_until(api_as, supervisor, channel, blocking_on):
    flag = flagged(channel)
    until = (timezone.now() + timedelta(days=2)).isoformat()
    response = post_json(api_as(supervisor), f"{URL}/{flag.pk}/block", {"reason": "abuse", "until": until})
    assert response.status_code == 200
    assert Contact.objects.get(pk=flag.contact_id).blocked_until is not None


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"reason": "spam", "duration": "1d", "until": "2099-01-01T00:00:00Z"}, errors.BLOCK_END_TWICE),
        ({"reason": "spam", "until": "2001-01-01T00:00:00Z"}, errors.BLOCK_END_PAST),
    ],
)
def test_block_refuses_bad_ends_with_422(api_as, supervisor, channel, blocking_on, body, detail):
    flag = flagged(channel)
    response = post_json(api_as(supervisor), f"{URL}/{flag.pk}/block", body)
    assert response.status_code == 422 and response.json()["detail"] == detail
    assert FloodFlag.objects.get(pk=flag.pk).status == FloodStatus.OPEN


def test_block_with_blocking_switched_off_is_403(api_as, supervisor, channel):
    flag = flagged(channel)
    response = post_json(api_as(supervisor), f"{URL}/{flag.pk}/block", {"reason": "spam"})
    assert response.status_code == 403 and response.json()["detail"] == errors.BLOCKING_DISABLED


def test_agents_are_refused(api_as, agent, channel):
    flag = flagged(channel)
    client = api_as(agent)
    assert client.get(URL).json()["detail"] == NO_PERMISSION_SUSPECTED
    assert post_json(client, f"{URL}/{flag.pk}/dismiss").status_code == 403
    assert post_json(client, f"{URL}/{flag.pk}/block", {"reason": "spam"}).status_code == 403
    assert FloodFlag.objects.get(pk=flag.pk).status == FloodStatus.OPEN


def test_viewer_cannot_act(api_as, channel):
    from django.contrib.auth.models import Permission

    viewer = factories.UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_floodflag"))
    flag = flagged(channel)
    client = api_as(viewer)
    assert client.get(URL).status_code == 200
    response = post_json(client, f"{URL}/{flag.pk}/dismiss")
    assert response.status_code == 403 and response.json()["detail"] == NO_PERMISSION_FLOOD


def test_unknown_flag_is_404_and_no_token_is_401(api_as, client, supervisor):
    assert client.get(URL).status_code == 401
    response = post_json(api_as(supervisor), f"{URL}/999999/dismiss")
    assert response.status_code == 404 and response.json()["detail"] == NO_SUCH_FLAG


def test_get_on_dismiss_is_405(api_as, supervisor, channel):
    flag = flagged(channel)
    assert api_as(supervisor).get(f"{URL}/{flag.pk}/dismiss").status_code == 405
