"""blockdesk.client_ip: the client's address is the trusted proxies' X-Forwarded-For entry, counted from the right."""

import pytest
from django.test import RequestFactory

from blockdesk.client_ip import client_ip


def _request(forwarded_for=None, remote="10.0.0.2"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no trusted proxy: the header is the client's word, ignored
        (1, None, "10.0.0.2"),  # through no proxy (a probe on the private network)
        (1, "", "10.0.0.2"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "192.0.2.1, 203.0.113.7", "203.0.113.7"),  # the forged left entry is ignored
        (1, "192.0.2.1,203.0.113.7", "203.0.113.7"),
        (2, "192.0.2.1, 203.0.113.7, 10.1.1.1", "203.0.113.7"),  # load balancer + nginx
        (2, "203.0.113.7", "203.0.113.7"),  # the outer proxy was skipped: its leftmost entry
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "[2001:db8::1]:4711", "2001:db8::1"),
        (1, "203.0.113.7:4711", "203.0.113.7"),
        (1, "192.0.2.1, not-an-address", "10.0.0.2"),  # garbage from a proxy: fall back, never store it
        (1, "192.0.2.1, ", "10.0.0.2"),
    ],
)
def test_client_address(settings, count, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(forwarded_for)) == expected


def test_a_garbage_entry_is_logged(settings, caplog):
    settings.TRUSTED_PROXY_COUNT = 1
    client_ip(_request("<script>"))
    assert "'<script>' from a trusted proxy is not an address" in caplog.text
