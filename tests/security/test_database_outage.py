"""A database outage answers 503 (JSON with Retry-After on the API), never 500, and the app recovers."""

from unittest import mock

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import InterfaceError, OperationalError, connection
from django.test import RequestFactory

from blockdesk.outage import DATABASE_UNAVAILABLE

PROBE_URLS = "tests.security.outage_urls"
DOWN = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def _assert_api_503(response):
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    assert int(response["Retry-After"]) > 0


def _assert_console_503(response):
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"temporarily unavailable" in response.content
    assert int(response["Retry-After"]) > 0


@pytest.mark.urls(PROBE_URLS)
@pytest.mark.django_db
class TestWithTheDatabaseFailing:
    """The database 'fails' by patching the query compiler to raise what a lost connection raises."""

    def _down(self, error=DOWN):
        return mock.patch("django.db.models.sql.compiler.SQLCompiler.execute_sql", side_effect=error)

    def test_api_view(self, client):
        with self._down():
            _assert_api_503(client.get("/api/plain/"))

    def test_ninja_api_with_a_catch_all_handler(self, client):
        with self._down(InterfaceError("connection already closed")):
            _assert_api_503(client.get("/api/ninja/users"))
        assert client.get("/api/ninja/users").status_code == 200

    def test_console_page(self, client):
        with self._down():
            _assert_console_503(client.get("/console/"))
        assert client.get("/console/").status_code == 200

    def test_error_after_the_view_in_a_middleware(self, client):
        # Django has already logged it as a 500 inside; the test client would re-raise it.
        client.raise_request_exception = False
        with mock.patch("django.contrib.sessions.backends.db.SessionStore.save", side_effect=DOWN):
            _assert_console_503(client.get("/session/"))

    def test_a_real_bug_is_still_a_500(self, client):
        client.raise_request_exception = False
        assert client.get("/crash/").status_code == 500


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


def _serve(path: str) -> int:
    """Serve one GET through Django's real WSGI handler and return its status.

    Unlike the test client, the real handler runs close_old_connections on
    request_started, which is what health-checks a persistent connection.
    """
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    statuses = []
    response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(response)
    response.close()
    return int(statuses[0].split()[0])


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@postgres_only
@pytest.mark.urls(PROBE_URLS)
@pytest.mark.django_db(transaction=True)
def test_postgres_unreachable_then_back(client):
    """Point the connection at a closed port (the server is 'down'), then back: 503 JSON, then 200."""
    assert client.get("/api/ninja/users").status_code == 200
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = _closed_port()
    try:
        _assert_api_503(client.get("/api/ninja/users"))
        _assert_api_503(client.get("/api/plain/"))
        _assert_console_503(client.get("/console/"))
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] == "unavailable"
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    # No restart: the next request opens a fresh connection.
    assert client.get("/api/ninja/users").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


@postgres_only
@pytest.mark.urls(PROBE_URLS)
@pytest.mark.django_db(transaction=True)
def test_a_stale_connection_after_a_server_restart_is_replaced():
    """A persistent connection whose backend died (as after a restart) is health-checked and replaced."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    assert _serve("/api/plain/") == 200
    old_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    assert _serve("/api/plain/") == 200
    assert connection.connection.info.backend_pid != old_pid


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_real_inbound_api_answers_503_then_stores_the_retry_once(client):
    from contacts.models import Channel
    from tickets.models import Message

    channel = Channel(name="WhatsApp outage")
    token = channel.set_new_token()
    channel.save()
    body = {"message_id": "wamid.outage.1", "contact": {"id": "+620001"}, "text": "Are you there?"}
    headers = {"Authorization": f"Bearer {token}"}
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = _closed_port()
    try:
        _assert_api_503(client.post("/api/v1/inbound/messages", body, content_type="application/json", headers=headers))
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    first = client.post("/api/v1/inbound/messages", body, content_type="application/json", headers=headers)
    again = client.post("/api/v1/inbound/messages", body, content_type="application/json", headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert Message.objects.filter(external_id="wamid.outage.1").count() == 1
