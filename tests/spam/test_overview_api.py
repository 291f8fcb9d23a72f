"""GET /api/v1/spam/overview: the Spam overview page's numbers, with the page's permission."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blockdesk import errors
from tests import factories
from tests.api.conftest import API
from tests.spam.seed import blocked_message, blocked_ticket, deleted_message, flag, hits, rule

pytestmark = pytest.mark.django_db

URL = f"{API}/spam/overview"


@pytest.mark.parametrize(("persona", "status"), [("agent", 403), ("supervisor", 200), ("administrator", 200)])
def test_who_may_read_it(as_user, request, persona, status):
    response = as_user(request.getfixturevalue(persona)).get(URL)

    assert response.status_code == status
    if status == 403:
        assert response.json() == {"detail": errors.NO_PERMISSION_SPAM_OVERVIEW}


def test_without_a_token_it_is_401(client):
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize("days", ["0", "91", "-3", "many", "1e3"])
def test_days_out_of_range_is_422(as_user, supervisor, days):
    response = as_user(supervisor).get(URL, {"days": days})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "days"


def test_the_numbers_match_the_page(as_user, supervisor):
    now = timezone.localtime()
    today = now.replace(hour=0, minute=30, second=0, microsecond=0)
    channel = factories.ChannelFactory(name="WhatsApp")
    spammer = factories.ContactFactory(name="Spammy", is_blocked=False)
    ticket = blocked_ticket(spammer, channel)
    blocked_message(ticket, today)
    blocked_message(ticket, today - timedelta(days=2))
    deleted_message(spammer, channel, today, external_id="gone")
    blocked_message(ticket, today - timedelta(days=8))  # outside a 7-day window
    domain = rule("spam.example", "reject")
    hits(domain, channel, timezone.localdate(), 4)
    flag(spammer, channel, today, "auto_blocked")

    body = as_user(supervisor).get(URL, {"days": 7}).json()

    assert body["days"] == 7
    assert body["last_day"] == timezone.localdate().isoformat()
    assert len(body["blocked_messages"]["days"]) == 7
    assert body["blocked_messages"]["series"] == [{"key": str(channel.pk), "label": "WhatsApp", "total": 3}]
    assert body["blocked_messages"]["days"][-1] == {
        "day": timezone.localdate().isoformat(),
        "counts": {str(channel.pk): 2},
        "total": 2,
    }
    assert body["blocked_messages"]["days"][0]["counts"] == {str(channel.pk): 0}
    assert body["top_contacts"] == [{"id": spammer.pk, "name": "Spammy", "is_blocked": False, "messages": 3}]
    assert body["rule_hits"]["days"][-1]["counts"] == {"quarantine": 0, "reject": 4, "allow": 0}
    assert [(r["id"], r["kind"], r["value"], r["action"], r["hits"]) for r in body["top_rules"]] == [
        (domain.pk, "domain", "spam.example", "reject", 4)
    ]
    assert body["flood_flags"]["days"][-1]["counts"]["auto_blocked"] == 1
    assert body["totals"] == {"blocked_messages": 3, "rule_hits": 4, "rejected": 4, "flood_flags": 1}


def test_the_default_window_is_30_days(as_user, supervisor):
    body = as_user(supervisor).get(URL).json()

    assert body["days"] == 30
    assert len(body["flood_flags"]["days"]) == 30


def test_it_is_in_the_openapi_document(client):
    document = client.get(f"{API}/openapi.json").json()

    operation = document["paths"][URL]["get"]
    assert operation["security"] == [{"PersonalToken": []}]
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["days"]
