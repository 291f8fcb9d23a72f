"""The API of issue 16: waiting time and filters on the ticket list, reopen, saved replies."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blockdesk import errors
from contacts.models import AuditEntry
from tests import factories
from tickets.models import SavedReply, Speaker, Ticket, TicketStatus
from tickets.queue import resolve_ticket

from .conftest import API

pytestmark = pytest.mark.django_db


def _waiting(minutes, **fields):
    now = timezone.now()
    return factories.TicketFactory(
        waiting_since=now - timedelta(minutes=minutes), last_speaker=Speaker.CUSTOMER, last_message_at=now, **fields
    )


def test_the_list_filters_and_sorts_by_waiting_time(as_user, supervisor, channel):
    long_wait = _waiting(120, channel=channel)
    short_wait = _waiting(20, channel=channel)
    _waiting(300, channel=factories.ChannelFactory())

    response = as_user(supervisor).get(
        f"{API}/tickets", {"status": "unassigned", "channel": channel.pk, "sort": "waiting", "waiting_longer_than": 10}
    )

    items = response.json()["items"]
    assert [t["id"] for t in items] == [long_wait.pk, short_wait.pk]
    assert items[0]["last_speaker"] == "in" and items[0]["waiting_since"] is not None
    assert response.json()["count"] == 2


def test_reopen_over_the_api_and_its_refusal(as_user, agent, channel):
    ticket = factories.TicketFactory(channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    resolve_ticket(actor=agent, ticket=ticket)
    client = as_user(agent)

    response = client.post(f"{API}/tickets/{ticket.pk}/reopen")
    again = client.post(f"{API}/tickets/{ticket.pk}/reopen")

    assert response.status_code == 200 and response.json()["status"] == TicketStatus.ASSIGNED
    assert again.status_code == 409 and again.json()["detail"] == errors.TICKET_NOT_RESOLVED
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TICKET_REOPENED, ticket_id=ticket.pk).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ASSIGNED


def test_saved_replies_are_searched_filled_added_and_deleted(as_user, agent, channel):
    agent.first_name, agent.last_name = "Sari", "Dewi"
    agent.save()
    ticket = factories.TicketFactory(
        channel=channel, status=TicketStatus.ASSIGNED, assignee=agent, contact=factories.ContactFactory(name="Budi")
    )
    SavedReply.objects.create(title="Greeting", body="Hi {contact_name}, {agent_name} here.")
    client = as_user(agent)

    found = client.get(f"{API}/saved-replies", {"q": "greet", "ticket": ticket.pk}).json()
    team = client.post(
        f"{API}/saved-replies", {"title": "T", "text": "x", "team": True}, content_type="application/json"
    )
    mine = client.post(f"{API}/saved-replies", {"title": "Mine", "text": "y"}, content_type="application/json")
    deleted = client.delete(f"{API}/saved-replies/{mine.json()['id']}")

    assert [(r["title"], r["text"], r["team"]) for r in found] == [("Greeting", "Hi Budi, Sari Dewi here.", True)]
    assert team.status_code == 403 and team.json()["detail"] == errors.NO_PERMISSION_TEAM_REPLIES
    assert mine.status_code == 201 and deleted.json() == {"deleted": mine.json()["id"]}
    assert list(SavedReply.objects.values_list("title", flat=True)) == ["Greeting"]
