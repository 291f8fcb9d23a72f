"""The agent dashboard: my open tickets, the Unassigned queue with Take, counts."""

import pytest
from django.urls import reverse

from tests import factories
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db

URL = reverse("tickets:agent")
LIVE_URL = reverse("tickets:queue_live", args=["agent"])


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_a_role_is_refused(logged_in, nobody):
    assert logged_in(nobody).get(URL).status_code == 403


def test_post_is_not_allowed(logged_in, agent):
    assert logged_in(agent).post(URL).status_code == 405


def test_opens_on_my_open_tickets_only(logged_in, agent, other_agent):
    mine = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)
    factories.TicketFactory(status=TicketStatus.RESOLVED, assignee=agent)
    factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=other_agent)
    factories.TicketFactory(status=TicketStatus.UNASSIGNED)
    factories.TicketFactory(status=TicketStatus.BLOCKED)

    response = logged_in(agent).get(URL)

    assert response.status_code == 200
    assert response.context["queue"].key == "mine"
    assert [t.pk for t in response.context["tickets"]] == [mine.pk]


def test_unassigned_tab_offers_take(logged_in, agent):
    waiting = factories.TicketFactory(status=TicketStatus.UNASSIGNED, last_message_preview="Hello, anyone?")
    factories.TicketFactory(status=TicketStatus.BOT)

    response = logged_in(agent).get(URL, {"queue": "unassigned"})

    assert [t.pk for t in response.context["tickets"]] == [waiting.pk]
    html = response.content.decode()
    assert reverse("tickets:take", args=[waiting.pk]) in html
    assert ">Take</button>" in html
    assert "Hello, anyone?" in html
    # Agents do not assign: no assign select.
    assert reverse("tickets:assign", args=[waiting.pk]) not in html


def test_tabs_show_my_count_and_unassigned_count(logged_in, agent, other_agent):
    factories.TicketFactory.create_batch(2, status=TicketStatus.ASSIGNED, assignee=agent)
    factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=other_agent)
    factories.TicketFactory.create_batch(3, status=TicketStatus.UNASSIGNED)

    response = logged_in(agent).get(URL)

    assert {tab["label"]: tab["count"] for tab in response.context["tabs"]} == {"My tickets": 2, "Unassigned": 3}


@pytest.mark.parametrize("queue", ["blocked", "bot", "assigned", "resolved"])
def test_agent_has_no_other_queues(logged_in, agent, queue):
    assert logged_in(agent).get(URL, {"queue": queue}).status_code == 404


def test_empty_lists_say_so(logged_in, agent):
    html = logged_in(agent).get(URL).content.decode()

    assert "You have no open tickets" in html


def test_counts_partial_for_agent(logged_in, agent):
    factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)

    response = logged_in(agent).get(LIVE_URL, {"queue": "mine"})

    assert response.status_code == 200
    assert response.context["counts"] == {"mine": 1, "unassigned": 0}


def test_counts_partial_refuses_a_user_without_a_role(logged_in, nobody):
    assert logged_in(nobody).get(LIVE_URL).status_code == 403


def test_supervisor_may_use_the_agent_dashboard_too(logged_in, supervisor):
    factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=supervisor)

    response = logged_in(supervisor).get(URL)

    assert response.status_code == 200
    assert len(response.context["tickets"]) == 1
