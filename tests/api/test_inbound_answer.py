"""The single delivery's answer is rendered by tickets.api itself: byte for byte what django-ninja would render."""

import pytest
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers
from ninja.renderers import JSONRenderer

from contacts.blocking import block_contact
from contacts.models import ContactIdentity
from tests.api.conftest import API, bearer, message
from tests.tickets.rule_rows import add_rule
from tickets.api import InboundResult

pytestmark = pytest.mark.django_db

SINGLE = f"{API}/inbound/messages"


def _post(client, token, body):
    return client.post(SINGLE, body, content_type="application/json", headers=bearer(token))


def _as_ninja_renders(response) -> bytes:
    """The body checked against the schema and rendered by ninja's JSON renderer, as for any other endpoint."""
    checked = InboundResult.model_validate(response.json()).model_dump()
    return JSONRenderer().render(None, checked, response_status=response.status_code).encode()


def _check(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == _as_ninja_renders(response)
    assert list(response.json()) == list(InboundResult.model_fields)  # every field, in the schema's order


def test_a_new_message_a_repeat_and_a_blocked_contacts_message(client, channel_token, channel, supervisor, blocking_on):
    first = _post(client, channel_token, message("m-1"))
    _check(first, 201)
    assert first.json()["duplicate"] is False and isinstance(first.json()["message"], int)

    repeat = _post(client, channel_token, message("m-1"))
    _check(repeat, 200)
    assert repeat.json() == {**first.json(), "duplicate": True}

    contact = ContactIdentity.objects.get(channel=channel).contact
    block_contact(actor=supervisor, contact=contact, reason="spam")
    blocked = _post(client, channel_token, message("m-2"))
    _check(blocked, 201)
    assert blocked.json()["status"] == "blocked"


def test_a_rejected_message(client, channel_token, blocking_on):
    rule = add_rule("phone_prefix", "+62812", "reject")

    rejected = _post(client, channel_token, message("m-3"))

    _check(rejected, 200)
    assert (rejected.json()["status"], rejected.json()["rejected_by"]) == ("rejected", rule.pk)


def test_the_answer_is_marked_as_add_never_cache_headers_marks_it(client, channel_token):
    response = _post(client, channel_token, message("m-4"))

    expected = HttpResponse()
    add_never_cache_headers(expected)
    assert response["Cache-Control"] == expected["Cache-Control"]
    assert response["Expires"] and response["Expires"].endswith(" GMT")
