"""Channel deliveries skip the console's middleware (ChannelDeliveryMiddleware); their answers stay the same."""

import pytest
from django.urls import reverse
from django.utils import translation

from blockdesk.api_auth import BAD_CHANNEL_TOKEN
from blockdesk.middleware import CHANNEL_DELIVERY_PATH
from tests.api.conftest import API, bearer, message

pytestmark = pytest.mark.django_db

SINGLE, BATCH = f"{API}/inbound/messages", f"{API}/inbound/messages/batch"


def _post(client, path, body, token, **extra):
    return client.post(path, body, content_type="application/json", headers=bearer(token), **extra)


def test_the_delivery_path_is_where_the_inbound_endpoints_are():
    assert reverse("api:deliver_message").startswith(CHANNEL_DELIVERY_PATH)
    assert reverse("api:deliver_batch").startswith(CHANNEL_DELIVERY_PATH)


@pytest.mark.parametrize("path", [SINGLE, BATCH])
def test_a_delivery_skips_sessions_auth_and_csrf_and_keeps_its_headers(client, channel_token, path):
    body = message() if path == SINGLE else {"messages": [message()]}

    response = _post(client, path, body, channel_token)

    assert response.status_code == 201
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "user")  # session and auth middleware skipped
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware runs before the short cut
    assert int(response["Content-Length"]) == len(response.content)
    assert not response.cookies


def test_a_delivery_needs_no_csrf_token_even_with_a_session_cookie(channel_token, supervisor):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(supervisor)

    assert _post(browser, SINGLE, message(), channel_token).status_code == 201


@pytest.mark.parametrize(
    ("token", "body", "status"),
    [("wrong", message(), 401), (None, {"message_id": "x"}, 422), (None, "not json", 400)],
)
def test_refusals_on_the_short_path_are_the_same_json(client, channel_token, token, body, status):
    response = client.post(SINGLE, body, content_type="application/json", headers=bearer(token or channel_token))

    assert response.status_code == status
    assert response.json()["detail"]
    assert "no-store" in response["Cache-Control"]


def test_a_disallowed_host_is_refused_on_the_short_path(client, channel_token):
    assert _post(client, SINGLE, message(), channel_token, HTTP_HOST="evil.example").status_code == 400


def test_other_methods_and_unknown_paths_take_the_whole_chain(client, channel_token, settings):
    settings.DEBUG = True  # the console's 404 middleware answers unknown URLs only with DEBUG on

    wrong_method = client.get(SINGLE, headers=bearer(channel_token))
    unknown = _post(client, f"{CHANNEL_DELIVERY_PATH}nowhere", message(), channel_token)

    assert wrong_method.status_code == 405 and hasattr(wrong_method.wsgi_request, "user")
    assert unknown.status_code == 404 and unknown.json()["detail"]
    assert hasattr(unknown.wsgi_request, "session")


@pytest.mark.parametrize(("asked", "language"), [({}, "en"), ({"HTTP_ACCEPT_LANGUAGE": "id"}, "id")])
def test_a_delivery_answers_in_the_language_it_asks_for_whatever_the_thread_served_before(
    client, channel, asked, language
):
    translation.activate("id")  # an Indonesian console page served by this thread just before

    response = _post(client, SINGLE, message(), "not-the-token", **asked)

    assert response.status_code == 401
    with translation.override(language):
        assert response.json()["detail"] == translation.gettext(BAD_CHANNEL_TOKEN)
