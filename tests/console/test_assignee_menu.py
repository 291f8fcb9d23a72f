"""The Assign menu: built once per page, names escaped, the ticket's assignee selected."""

import pytest
from django.urls import reverse

from tests import factories
from tickets.assignee_menu import AssigneeMenu

pytestmark = pytest.mark.django_db


def test_options_escape_names_and_select_the_assignee(agent):
    other = factories.UserFactory(username="x", first_name="<b>Eve</b>", last_name="& co")
    menu = AssigneeMenu([agent, other])

    html = menu.options(other.pk)

    assert f'<option value="{other.pk}" selected>&lt;b&gt;Eve&lt;/b&gt; &amp; co</option>' in html
    assert f'<option value="{agent.pk}">' in html
    assert "selected" not in menu.options(None)
    assert list(menu) == [agent, other] and len(menu) == 2 and not AssigneeMenu()


def test_each_row_of_the_assigned_queue_selects_its_own_assignee(logged_in, supervisor, agent, other_agent):
    second = other_agent
    mine = factories.TicketFactory(status="assigned", assignee=agent)
    theirs = factories.TicketFactory(status="assigned", assignee=second)

    page = logged_in(supervisor).get(reverse("tickets:supervisor") + "?queue=assigned").content.decode()

    for ticket, person in ((mine, agent), (theirs, second)):
        menu = page.split(f'id="ticket-{ticket.pk}-assignee"')[1].split("</select>")[0]
        assert menu.count(" selected") == 1 and f'<option value="{person.pk}" selected>' in menu
