"""Login throttling (django-axes): 5 wrong passwords lock one username from one address for 15 minutes."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 0.25


def _login(client, username, password, ip="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_username_from_that_address(client, agent, other_agent, axes_on):
    for _ in range(4):
        assert _login(client, "agent", "wrong password").status_code == 200
    # The fifth failure locks at once; then even the right password is refused.
    assert _login(client, "agent", "wrong password").status_code == 429
    locked = _login(client, "agent", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session
    # The lock is per username and address: the colleague and another address still get in.
    assert _login(client, "agent2", PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "agent", PASSWORD, ip="198.51.100.9").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, agent, axes_on):
    for _ in range(5):
        _login(client, "agent", "wrong password")
    assert _login(client, "agent", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert _login(client, "agent", PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, agent, axes_on):
    for _ in range(4):
        _login(client, "agent", "wrong password")
    assert _login(client, "agent", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "agent", "wrong password")
    assert _login(client, "agent", PASSWORD).status_code == 302
