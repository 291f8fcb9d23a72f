"""Block rules at the inbound API, over HTTP: a rejected message is answered 200 `rejected` and nothing is stored."""

import pytest
import requests

from contacts.models import BlockRule, Contact
from tests.api.conftest import API, bearer, message
from tests.tickets.rule_rows import add_rule
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def post(live_server, token, body):
    return requests.post(f"{live_server.url}{API}/inbound/messages", json=body, headers=bearer(token), timeout=10)


def test_a_rejected_message_is_answered_200_rejected_and_nothing_is_stored(live_server, channel_token, blocking_on):
    rule = add_rule("phone_prefix", "+62812", "reject")

    response = post(live_server, channel_token, message("wamid.9", "+6281234567890"))

    assert response.status_code == 200
    assert response.json() == {
        "message": None,
        "ticket": None,
        "contact": None,
        "status": "rejected",
        "rejected_by": rule.pk,
        "duplicate": False,
    }
    assert not Message.objects.exists() and not Contact.objects.exists()
    assert BlockRule.objects.get().hits == 1


def test_a_quarantined_sender_is_answered_201_blocked(live_server, channel_token, blocking_on):
    rule = add_rule("phone_prefix", "+62812", "quarantine")

    response = post(live_server, channel_token, message("wamid.9", "+6281234567890"))

    assert (response.status_code, response.json()["status"]) == (201, "blocked")
    assert Contact.objects.get().blocked_by_rule_id == rule.pk
