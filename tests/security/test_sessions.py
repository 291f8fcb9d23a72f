"""Signed-in answers are not stored by browsers or proxies; sessions end after SESSION_IDLE_HOURS idle (sliding);
a password change ends the person's other sessions (console admin and the changepassword command)."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from blockdesk.sessions import REFRESHED_AT
from tests import factories
from tests.api.conftest import bearer, message
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-different-horse-42"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _is_signed_in(client) -> bool:
    return client.get(reverse("accounts:tokens")).status_code == 200


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _no_store(response) -> bool:
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    return {"no-store", "private"} <= directives


# --- Cache-Control ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/tickets/", "/contacts/", "/account/tokens/"])
def test_console_pages_for_a_signed_in_person_are_not_stored(supervisor, url):
    response = _signed_in(supervisor).get(url)
    assert response.status_code == 200
    assert _no_store(response)


def test_an_htmx_partial_is_not_stored_either(supervisor):
    response = _signed_in(supervisor).get("/tickets/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert _no_store(response)


def test_api_answers_are_not_stored(client, agent, channel):
    token = channel.set_new_token()
    channel.save()
    inbound = client.post("/api/v1/inbound/messages", message(), content_type="application/json", headers=bearer(token))
    assert inbound.status_code == 201
    assert _no_store(inbound)
    refused = client.get("/api/v1/tickets")
    assert refused.status_code == 401
    assert _no_store(refused)
    _, personal = ApiToken.issue(user=agent, name="crm")
    staff = client.get("/api/v1/tickets", headers=bearer(personal))
    assert staff.status_code == 200
    assert _no_store(staff)


def test_an_anonymous_redirect_is_left_alone(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "no-store" not in response.get("Cache-Control", "")


# --- Idle timeout -----------------------------------------------------------------------------------------------


def test_the_idle_timeout_is_eight_hours_by_default():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_REFRESH_SECONDS == 300
    assert not settings.SESSION_SAVE_EVERY_REQUEST


def test_a_request_after_the_refresh_step_moves_the_expiry(client, agent):
    client.post(reverse("login"), {"username": "agent", "password": PASSWORD})
    session = client.session
    session[REFRESHED_AT] = int(time.time()) - settings.SESSION_REFRESH_SECONDS
    session.save()
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() + timedelta(hours=1))
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 200
    expiry = _session(client).expire_date
    assert abs(expiry - (timezone.now() + timedelta(hours=8))) < timedelta(minutes=1)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600


@pytest.mark.parametrize("sign_in", ["login page", "force_login"])
def test_requests_within_the_refresh_step_do_not_write_the_session(client, agent, sign_in):
    if sign_in == "login page":
        client.post(reverse("login"), {"username": "agent", "password": PASSWORD})
    else:
        client.force_login(agent)
    expiry = _session(client).expire_date
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]]
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert _session(client).expire_date == expiry


def test_an_idle_session_ends(client, agent):
    client.post(reverse("login"), {"username": "agent", "password": PASSWORD})
    assert _is_signed_in(client)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=timezone.now())
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- A password change ends the other sessions ------------------------------------------------------------------


def test_a_password_set_in_the_admin_ends_that_persons_sessions(agent):
    superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    agents_desk, agents_phone, admin = _signed_in(agent), _signed_in(agent), _signed_in(superuser)
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[agent.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not _is_signed_in(agents_desk)
    assert not _is_signed_in(agents_phone)
    assert _is_signed_in(admin)


def test_changing_ones_own_password_in_the_admin_keeps_this_session_and_ends_the_others():
    superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    here, elsewhere = _signed_in(superuser), _signed_in(superuser)
    response = here.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _is_signed_in(here)
    assert not _is_signed_in(elsewhere)


def test_the_changepassword_command_ends_the_persons_sessions(agent, monkeypatch):
    session = _signed_in(agent)
    assert _is_signed_in(session)
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass", lambda prompt="": NEW_PASSWORD
    )
    call_command("changepassword", "agent", stdout=None)
    assert not _is_signed_in(session)
    assert Client().login(username="agent", password=NEW_PASSWORD)
