"""GET /api/v1/search: the console's search over the API, with the same visibility rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blockdesk import errors
from tests import factories
from tests.api.conftest import API
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db


def _message(body, status=TicketStatus.UNASSIGNED, **ticket_fields):
    return factories.MessageFactory(ticket=factories.TicketFactory(status=status, **ticket_fields), body=body)


def test_search_finds_contacts_tickets_and_messages(as_user, agent):
    budi = factories.ContactFactory(name="Budi", phone="+62 812 3456", email="budi@example.com")
    ticket = factories.TicketFactory(contact=budi, status=TicketStatus.UNASSIGNED)
    message = factories.MessageFactory(ticket=ticket, body="Paket saya belum sampai")
    client = as_user(agent)

    by_phone = client.get(f"{API}/search", {"q": "0812 3456"}).json()
    by_number = client.get(f"{API}/search", {"q": f"#{ticket.pk}"}).json()
    by_text = client.get(f"{API}/search", {"q": "paket"}).json()

    assert [c["id"] for c in by_phone["contacts"]] == [budi.pk]
    assert by_phone["more_contacts"] is False
    assert [(t["id"], t["contact"], t["status"]) for t in by_number["tickets"]] == [(ticket.pk, budi.pk, "unassigned")]
    (found,) = by_text["messages"]
    assert (found["id"], found["ticket"], found["contact"]["id"]) == (message.pk, ticket.pk, budi.pk)
    assert found["snippet"] == "<mark>Paket</mark> saya belum sampai"
    assert by_text["message_count"] == 1


def test_blocked_messages_only_for_those_who_may_see_the_blocked_list(as_user, agent, supervisor):
    visible = _message("refund please")
    blocked = _message("refund scam", status=TicketStatus.BLOCKED)

    agents = as_user(agent).get(f"{API}/search", {"q": "refund"}).json()
    supervisors = as_user(supervisor).get(f"{API}/search", {"q": "refund"}).json()

    assert [m["id"] for m in agents["messages"]] == [visible.pk]
    assert sorted(m["id"] for m in supervisors["messages"]) == [visible.pk, blocked.pk]


def test_limit_and_offset_page_the_messages(as_user, supervisor):
    for i in range(5):
        _message(f"tagihan {i}")
    client = as_user(supervisor)

    everything = client.get(f"{API}/search", {"q": "tagihan"}).json()
    page = client.get(f"{API}/search", {"q": "tagihan", "limit": 2, "offset": 3}).json()

    assert everything["message_count"] == 5
    assert [m["id"] for m in page["messages"]] == [m["id"] for m in everything["messages"][3:5]]
    assert page["message_count"] == 5


def test_more_than_the_ranked_candidates_counts_one_past_them(as_user, supervisor, monkeypatch):
    monkeypatch.setattr("search.finders.MESSAGE_CANDIDATES", 2)
    for i in range(4):
        _message(f"promo {i}")

    answer = as_user(supervisor).get(f"{API}/search", {"q": "promo"}).json()

    assert answer["message_count"] == 3
    assert len(answer["messages"]) == 2


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "a\x00b"}, {"q": "a", "limit": 0}, {"q": "a", "offset": -1}]
)
def test_invalid_parameters_are_422(as_user, agent, params):
    response = as_user(agent).get(f"{API}/search", params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Some values are invalid")


def test_no_role_no_search(as_user):
    response = as_user(factories.UserFactory()).get(f"{API}/search", {"q": "a"})
    assert response.status_code == 403
    assert response.json() == {"detail": errors.NO_PERMISSION_SEARCH}


def test_anonymous_is_401(client):
    assert client.get(f"{API}/search", {"q": "a"}).status_code == 401


def _queries(client, q) -> int:
    client.get(f"{API}/search", {"q": q})
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{API}/search", {"q": q}).status_code == 200
    return len(captured.captured_queries)


def test_the_same_queries_for_a_few_or_many_matches(as_user, supervisor):
    client = as_user(supervisor)
    _message("halo 42")
    factories.ContactFactory(name="Halo Contact")
    few = _queries(client, "halo")
    for i in range(30):
        _message(f"halo lagi {i}", status=TicketStatus.ASSIGNED, assignee=factories.AgentFactory())
        factories.ContactFactory(name=f"Halo {i}")
    assert _queries(client, "halo") == few
