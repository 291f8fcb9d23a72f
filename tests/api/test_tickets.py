"""Staff API for tickets: list by status, detail with messages, unblock, hand over from the BOT."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blockdesk import errors
from blockdesk.errors import NO_PERMISSION_VIEW_TICKETS
from tests import factories
from tickets import api as tickets_api
from tickets.access import TICKET_NOT_FOUND
from tickets.api import NO_PERMISSION_VIEW_BLOCKED
from tickets.models import Message, TicketStatus

from .conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def queues(channel, agent, other_agent):
    """One ticket in each status; the assigned one belongs to the agent."""
    made = {}
    for status in TicketStatus.values:
        assignee = agent if status == TicketStatus.ASSIGNED else None
        made[status] = factories.TicketFactory(channel=channel, status=status, assignee=assignee)
    made["other"] = factories.TicketFactory(channel=channel, status=TicketStatus.ASSIGNED, assignee=other_agent)
    return made


def ids(response):
    return sorted(t["id"] for t in response.json()["items"])


def test_missing_token_answers_401(client):
    assert client.get(f"{API}/tickets").status_code == 401


def test_supervisor_lists_every_queue(as_user, supervisor, queues):
    response = as_user(supervisor).get(f"{API}/tickets")

    assert response.status_code == 200
    assert response.json()["count"] == 6


@pytest.mark.parametrize("status", TicketStatus.values)
def test_list_filters_by_status(as_user, supervisor, queues, status):
    response = as_user(supervisor).get(f"{API}/tickets", {"status": status})

    expected = [queues[status].pk] + ([queues["other"].pk] if status == "assigned" else [])
    assert ids(response) == sorted(expected)
    assert all(t["status"] == status for t in response.json()["items"])


def test_ticket_shape(as_user, supervisor, queues, agent):
    ticket = queues["assigned"]

    item = as_user(supervisor).get(f"{API}/tickets", {"status": "assigned"}).json()["items"]
    mine = next(t for t in item if t["id"] == ticket.pk)

    assert mine["contact"] == {"id": ticket.contact.pk, "name": ticket.contact.name, "is_blocked": False}
    assert mine["channel"] == {"id": ticket.channel.pk, "name": "WhatsApp", "kind": "whatsapp"}
    assert mine["assignee"] == {"id": agent.pk, "username": "agent", "name": "Ana"}
    assert set(mine) >= {"status", "last_message_at", "message_count", "created_at", "closed_at"}


def test_agent_sees_own_and_unassigned_tickets_only(as_user, agent, queues):
    response = as_user(agent).get(f"{API}/tickets")

    assert ids(response) == sorted([queues["assigned"].pk, queues["unassigned"].pk])


def test_agent_asking_for_blocked_tickets_gets_403_not_an_empty_list(as_user, agent, queues):
    response = as_user(agent).get(f"{API}/tickets", {"status": "blocked"})

    assert response.status_code == 403
    assert response.json() == {"detail": NO_PERMISSION_VIEW_BLOCKED}


def test_list_without_view_permission_answers_403(as_user):
    response = as_user(factories.UserFactory(username="nobody")).get(f"{API}/tickets")

    assert response.status_code == 403
    assert response.json() == {"detail": NO_PERMISSION_VIEW_TICKETS}


def test_list_is_newest_first_and_paged(as_user, supervisor, channel):
    tickets = factories.TicketFactory.create_batch(5, channel=channel)

    body = as_user(supervisor).get(f"{API}/tickets", {"limit": 2, "offset": 1}).json()

    assert [t["id"] for t in body["items"]] == [tickets[3].pk, tickets[2].pk]
    assert body["count"] == 5


@pytest.mark.parametrize(("params", "field"), [({"status": "open"}, "status"), ({"limit": 500}, "limit")])
def test_bad_list_parameters_answer_422(as_user, supervisor, params, field):
    response = as_user(supervisor).get(f"{API}/tickets", params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_list_costs_the_same_queries_for_2_or_20_tickets(as_user, supervisor, channel):
    client = as_user(supervisor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/tickets", {"limit": 200}).status_code == 200
        return len(captured)

    queries()  # the token's first use of the minute also notes last_used_at; count the reads after it
    factories.TicketFactory.create_batch(2, channel=channel, status="assigned", assignee=factories.AgentFactory())
    few = queries()
    for _ in range(18):
        assignee = factories.AgentFactory()
        factories.TicketFactory(channel=factories.ChannelFactory(), status="assigned", assignee=assignee)
    many = queries()

    assert few == many


def test_detail_adds_messages_oldest_first(as_user, supervisor, channel):
    ticket = factories.TicketFactory(channel=channel, message_count=2)
    first = factories.MessageFactory(ticket=ticket, body="Hello", external_id="wamid.1")
    reply = factories.MessageFactory(
        ticket=ticket,
        body="Hi!",
        direction=Message.Direction.OUT,
        author=supervisor,
        external_id=None,
        delivery_state="delivered",
        attempts=1,
    )

    response = as_user(supervisor).get(f"{API}/tickets/{ticket.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == ticket.pk
    assert body["messages"] == [
        {
            "id": first.pk,
            "direction": "in",
            "text": "Hello",
            "sent_at": body["messages"][0]["sent_at"],
            "author": None,
            "message_id": "wamid.1",
            "state": None,
            "attempts": 0,
            "last_error": "",
        },
        {
            "id": reply.pk,
            "direction": "out",
            "text": "Hi!",
            "sent_at": body["messages"][1]["sent_at"],
            "author": {"id": supervisor.pk, "username": "supervisor", "name": "Sari"},
            "message_id": None,
            "state": "delivered",
            "attempts": 1,
            "last_error": "",
        },
    ]


def test_detail_shows_only_the_latest_messages(as_user, supervisor, channel, monkeypatch):
    monkeypatch.setattr(tickets_api, "DETAIL_MESSAGES", 3)
    ticket = factories.TicketFactory(channel=channel, message_count=5)
    messages = factories.MessageFactory.create_batch(5, ticket=ticket)

    body = as_user(supervisor).get(f"{API}/tickets/{ticket.pk}").json()

    assert [m["id"] for m in body["messages"]] == [m.pk for m in messages[2:]]
    assert body["message_count"] == 5


def test_detail_of_an_unknown_ticket_answers_404(as_user, supervisor):
    response = as_user(supervisor).get(f"{API}/tickets/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": TICKET_NOT_FOUND}


def test_agent_gets_404_for_a_ticket_not_theirs(as_user, agent, queues):
    client = as_user(agent)

    assert client.get(f"{API}/tickets/{queues['other'].pk}").status_code == 404
    assert client.get(f"{API}/tickets/{queues['blocked'].pk}").status_code == 404
    assert client.get(f"{API}/tickets/{queues['assigned'].pk}").status_code == 200


def test_unblock_ticket_releases_it_and_keeps_the_contact_blocked(as_user, supervisor, queues, blocking_on):
    ticket = queues["blocked"]
    ticket.contact.is_blocked = True
    ticket.contact.blocked_reason = "spam"
    ticket.contact.blocked_at = ticket.last_message_at
    ticket.contact.save()

    response = as_user(supervisor).post(f"{API}/tickets/{ticket.pk}/unblock")

    assert response.status_code == 200
    assert response.json()["status"] == "unassigned"
    assert response.json()["contact"]["is_blocked"] is True
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.UNASSIGNED


def test_unblock_ticket_goes_to_the_bot_when_it_is_on(as_user, supervisor, queues, bot_on):
    response = as_user(supervisor).post(f"{API}/tickets/{queues['blocked'].pk}/unblock")

    assert response.json()["status"] == "bot"


def test_unblocking_a_ticket_that_is_not_blocked_answers_409(as_user, supervisor, queues):
    response = as_user(supervisor).post(f"{API}/tickets/{queues['unassigned'].pk}/unblock")

    assert response.status_code == 409
    assert response.json() == {"detail": errors.TICKET_NOT_BLOCKED}


def test_agent_cannot_unblock_a_ticket(as_user, agent, queues):
    client = as_user(agent)

    # A blocked ticket is not the agent's to see (404); one it can see is refused (403).
    assert client.post(f"{API}/tickets/{queues['blocked'].pk}/unblock").status_code == 404
    response = client.post(f"{API}/tickets/{queues['unassigned'].pk}/unblock")
    assert response.status_code == 403
    assert response.json() == {"detail": errors.NO_PERMISSION_UNBLOCK_TICKET}


def test_unblock_unknown_ticket_answers_404(as_user, supervisor):
    assert as_user(supervisor).post(f"{API}/tickets/999999/unblock").status_code == 404


def test_unblock_by_get_answers_405(as_user, supervisor, queues):
    assert as_user(supervisor).get(f"{API}/tickets/{queues['blocked'].pk}/unblock").status_code == 405


def test_handover_moves_a_bot_ticket_to_unassigned(as_user, supervisor, queues):
    response = as_user(supervisor).post(f"{API}/tickets/{queues['bot'].pk}/handover")

    assert response.status_code == 200
    assert response.json()["status"] == "unassigned"
    queues["bot"].refresh_from_db()
    assert queues["bot"].status == TicketStatus.UNASSIGNED


def test_handover_of_a_ticket_not_with_the_bot_answers_409(as_user, supervisor, queues):
    response = as_user(supervisor).post(f"{API}/tickets/{queues['blocked'].pk}/handover")

    assert response.status_code == 409
    assert response.json() == {"detail": errors.TICKET_NOT_WITH_BOT}


def test_handover_without_permission_answers_403(as_user, queues):
    viewer = factories.UserFactory(username="viewer")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_ticket", "view_all_tickets"], content_type__app_label="tickets")
    )

    response = as_user(viewer).post(f"{API}/tickets/{queues['bot'].pk}/handover")

    assert response.status_code == 403
    assert response.json() == {"detail": errors.NO_PERMISSION_WORK}


def test_handover_unknown_ticket_answers_404(as_user, supervisor):
    assert as_user(supervisor).post(f"{API}/tickets/999999/handover").status_code == 404


def test_without_view_ticket_no_ticket_is_read(as_user, queues):
    """Working tickets is not seeing them: without tickets.view_ticket, not even the Unassigned queue."""
    from django.contrib.auth.models import Permission

    worker = factories.UserFactory(username="worker")
    worker.user_permissions.add(Permission.objects.get(codename="work_ticket", content_type__app_label="tickets"))
    client = as_user(worker)

    assert client.get(f"{API}/tickets").status_code == 403
    response = client.get(f"{API}/tickets/{queues['unassigned'].pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": TICKET_NOT_FOUND}


def test_mine_lists_the_tickets_assigned_to_me(as_user, agent, queues):
    resolved_mine = factories.TicketFactory(status=TicketStatus.RESOLVED, assignee=agent)

    everything_mine = as_user(agent).get(f"{API}/tickets", {"mine": "true"})
    my_queue = as_user(agent).get(f"{API}/tickets", {"mine": "true", "status": "assigned"})

    assert ids(everything_mine) == sorted([queues["assigned"].pk, resolved_mine.pk])
    assert ids(my_queue) == [queues["assigned"].pk] and my_queue.json()["count"] == 1
