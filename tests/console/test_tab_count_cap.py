"""Tab counts stop at TAB_COUNT_CAP and then read "10,000+" (each count reads at most that many index entries)."""

import pytest
from django.urls import reverse

from tests import factories
from tickets import views

pytestmark = pytest.mark.django_db


def test_counts_over_the_cap_show_the_cap_and_a_plus(logged_in, supervisor, agent, monkeypatch):
    monkeypatch.setattr(views, "TAB_COUNT_CAP", 2)
    for _ in range(3):
        factories.TicketFactory(status="resolved")
        factories.TicketFactory(status="assigned", assignee=agent)
    factories.TicketFactory(status="unassigned")
    factories.TicketFactory(status="bot")
    factories.TicketFactory(status="bot")

    board = logged_in(supervisor).get(reverse("tickets:supervisor"))
    tabs = {tab["label"]: tab["count"] for tab in board.context["tabs"]}

    assert tabs == {"BOT": 2, "Unassigned": 1, "Assigned": "2+", "Resolved": "2+", "Blocked": 0}
    assert 'data-queue="resolved">Resolved <span class="count">2+</span>' in board.content.decode()

    mine = logged_in(agent).get(reverse("tickets:queue_live", args=["agent"]))
    assert {tab["key"]: tab["count"] for tab in mine.context["tabs"]} == {"mine": "2+", "unassigned": 1}


def test_the_real_cap_reads_ten_thousand_plus():
    assert views._shown(10_000) == 10_000
    assert views._shown(10_001) == "10,000+"


PAGE_COUNT = 'SELECT COUNT(*) AS "__count"'


def _page_counts(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries if q["sql"].startswith(PAGE_COUNT)]


def test_an_unfiltered_queue_pages_with_its_tab_count_and_counts_again_only_past_the_cap(
    logged_in, supervisor, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    factories.TicketFactory.create_batch(5, status="unassigned")
    client = logged_in(supervisor)
    url = reverse("tickets:supervisor") + "?queue=unassigned&page=3"

    response, counts = _page_counts(client, url)
    assert counts == []  # the tab's count is the paginator's
    assert response.context["page"].paginator.count == 5 and response.context["page"].number == 3
    assert len(response.context["tickets"]) == 1

    monkeypatch.setattr(views, "TAB_COUNT_CAP", 4)  # past the cap the tab reads "4+": the page counts exactly
    response, counts = _page_counts(client, url)
    assert len(counts) == 1 and response.context["page"].paginator.count == 5


def test_a_filtered_queue_counts_its_own_rows(logged_in, supervisor, channel):
    factories.TicketFactory.create_batch(3, status="unassigned")
    factories.TicketFactory(status="unassigned", channel=channel)

    response, counts = _page_counts(
        logged_in(supervisor), reverse("tickets:supervisor") + f"?queue=unassigned&channel={channel.pk}"
    )

    assert len(counts) == 1 and response.context["page"].paginator.count == 1
    assert {tab["key"]: tab["count"] for tab in response.context["tabs"]}["unassigned"] == 4
