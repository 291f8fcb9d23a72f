"""Blocked ticket retention on the System settings page: set, clear, refuse, keep."""

import pytest
from django.contrib.messages import get_messages

from settings_app.retention import RETENTION_INVALID, retention_days, update_retention

pytestmark = pytest.mark.django_db

PAGE = "/settings/"


def test_the_settings_page_sets_and_clears_it(logged_in, administrator):
    client = logged_in(administrator)
    page = client.get(PAGE).content.decode()
    assert 'name="blocked_ticket_retention_days"' in page
    response = client.post(PAGE, {"waiting_alert_minutes": "15", "blocked_ticket_retention_days": "90"})
    assert response.status_code == 302
    assert retention_days() == 90
    assert [str(m) for m in get_messages(response.wsgi_request)][0].endswith(
        "and blocked tickets quiet for more than 90 days are deleted."
    )
    client.post(PAGE, {"waiting_alert_minutes": "15", "blocked_ticket_retention_days": ""})
    assert retention_days() is None


@pytest.mark.parametrize("value", ["0", "abc", "99999", "1.5"])
def test_the_settings_page_refuses_a_wrong_value_and_changes_nothing(logged_in, administrator, value):
    response = logged_in(administrator).post(
        PAGE, {"waiting_alert_minutes": "20", "blocked_ticket_retention_days": value}
    )
    assert response.status_code == 200
    assert RETENTION_INVALID in response.content.decode()
    assert retention_days() is None


def test_a_post_without_the_field_keeps_it(logged_in, administrator):
    update_retention(actor=administrator, days=60)
    logged_in(administrator).post(PAGE, {"waiting_alert_minutes": "15"})
    assert retention_days() == 60
