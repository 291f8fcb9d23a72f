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
