"""Login throttling (django-axes + accounts.login_throttle): 5 wrong passwords lock one username from one address
for 15 minutes; an address spraying many usernames and a username tried from many addresses are locked too; behind
a proxy the address is the client's, not the proxy's."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 0.25
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    settings.LOGIN_FAILURES_PER_USERNAME = 10


def _login(client, username, password, ip="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _login_via_proxy(client, username, password, forwarded_for):
    """A login through one proxy at 10.0.0.2 that appended the client's address to X-Forwarded-For."""
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


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


def test_behind_a_proxy_five_failures_lock_only_the_clients_address(client, administrator, axes_on, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The attacker forges a different leftmost entry every time; the proxy's entry (rightmost) is what counts.
    for attempt in range(5):
        _login_via_proxy(client, administrator.username, "wrong password", f"192.0.2.{attempt}, 203.0.113.7")
    assert _login_via_proxy(client, administrator.username, PASSWORD, "203.0.113.7").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    # The administrator, behind the same proxy from another address, still gets in.
    assert _login_via_proxy(client, administrator.username, PASSWORD, "198.51.100.9").status_code == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(client, agent, axes_on):
    for attempt in range(5):
        _login_via_proxy(client, "agent", "wrong password", f"192.0.2.{attempt}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.2"}
    assert _login_via_proxy(client, "agent", PASSWORD, "198.51.100.9").status_code == 429


def test_one_address_spraying_many_usernames_is_locked_for_every_username(client, agent, other_agent, axes_on):
    # 10 failures (the address limit in this test) spread over 4 usernames: no pair reaches 5.
    for attempt in range(9):
        assert _login(client, f"guess{attempt % 4}", "wrong password").status_code == 200
    # The tenth failure locks at once.
    assert _login(client, "guess9", "wrong password").status_code == 429
    refused = _login(client, "agent", PASSWORD)
    assert refused.status_code == 429
    assert b"Signing in from your address is locked" in refused.content
    assert "_auth_user_id" not in client.session
    # Other addresses are untouched.
    assert _login(client, "agent2", PASSWORD, ip="198.51.100.9").status_code == 302


def test_nine_failures_from_one_address_do_not_lock_it(client, agent, axes_on):
    for attempt in range(9):
        _login(client, f"guess{attempt % 4}", "wrong password")
    assert _login(client, "agent", PASSWORD).status_code == 302


def test_many_addresses_on_one_username_lock_it_from_new_addresses(client, agent, axes_on):
    # The agent's usual desk: a successful login recorded before the attack.
    assert _login(client, "agent", PASSWORD, ip="192.0.2.50").status_code == 302
    client.logout()
    # 10 failures (the username limit in this test) from 10 addresses: no address reaches the pair limit.
    for attempt in range(9):
        assert _login(client, "agent", "wrong password", ip=f"198.51.100.{attempt}").status_code == 200
    assert _login(client, "agent", "wrong password", ip="198.51.100.9").status_code == 429
    refused = _login(client, "agent", PASSWORD, ip="203.0.113.99")
    assert refused.status_code == 429
    assert b"Signing in as this user is locked" in refused.content
    assert b"from addresses it has not signed in from before" in refused.content
    # The owner at the usual address still gets in, and other usernames from new addresses too.
    assert _login(client, "agent", PASSWORD, ip="192.0.2.50").status_code == 302
    client.logout()
    assert _login(client, "agent2", "wrong password", ip="203.0.113.99").status_code == 200


def test_nine_failures_on_one_username_do_not_lock_it_from_new_addresses(client, agent, axes_on):
    for attempt in range(9):
        _login(client, "agent", "wrong password", ip=f"198.51.100.{attempt}")
    assert _login(client, "agent", PASSWORD, ip="203.0.113.99").status_code == 302


def test_the_spray_locks_lift_after_the_cool_off(client, agent, axes_on):
    for attempt in range(10):
        _login(client, f"guess{attempt % 4}", "wrong password")
    for attempt in range(10):
        _login(client, "agent", "wrong password", ip=f"198.51.100.{attempt}")
    assert _login(client, "agent", PASSWORD).status_code == 429
    assert _login(client, "agent", PASSWORD, ip="203.0.113.99").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login(client, "agent", PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "agent", PASSWORD, ip="203.0.113.99").status_code == 302
