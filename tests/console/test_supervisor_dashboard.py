"""The supervisor dashboard: queue tabs with live counts, the Blocked list, assign and take-over controls."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets.models import TicketStatus
from tickets.views import PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = reverse("tickets:supervisor")
LIVE_URL = reverse("tickets:queue_live", args=["supervisor"])


def _ticket(status, *, minutes_ago=0, **fields):
    return factories.TicketFactory(
        status=status, last_message_at=timezone.now() - timedelta(minutes=minutes_ago), **fields
    )


def _ids_on(response) -> list[int]:
    return [ticket.pk for ticket in response.context["tickets"]]


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_agent_is_refused(logged_in, agent):
    assert logged_in(agent).get(URL).status_code == 403


def test_agent_is_refused_the_blocked_list(logged_in, agent):
    assert logged_in(agent).get(URL, {"queue": "blocked"}).status_code == 403


def test_post_is_not_allowed(logged_in, supervisor):
    assert logged_in(supervisor).post(URL).status_code == 405


def test_opens_on_unassigned_with_every_tab_and_its_count(logged_in, supervisor):
    for status, n in [("bot", 1), ("unassigned", 2), ("assigned", 3), ("resolved", 4), ("blocked", 5)]:
        for _ in range(n):
            _ticket(status, assignee=supervisor if status == "assigned" else None)

    response = logged_in(supervisor).get(URL)

    assert response.status_code == 200
    assert response.context["queue"].key == "unassigned"
    tabs = {tab["label"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs == {"BOT": 1, "Unassigned": 2, "Assigned": 3, "Resolved": 4, "Blocked": 5}
    assert len(response.context["tickets"]) == 2
    html = response.content.decode()
    assert f'hx-get="{LIVE_URL}"' in html
    assert 'hx-trigger="every 5s"' in html


@pytest.mark.parametrize("status", [s.value for s in TicketStatus])
def test_each_tab_lists_only_its_queue(logged_in, supervisor, status):
    wanted = _ticket(status, assignee=supervisor if status == "assigned" else None)
    for other in TicketStatus:
        if other != status:
            _ticket(other, assignee=supervisor if other == "assigned" else None)

    response = logged_in(supervisor).get(URL, {"queue": status})

    assert _ids_on(response) == [wanted.pk]


def test_list_shows_contact_channel_preview_time_and_assignee(logged_in, supervisor, agent):
    channel = factories.ChannelFactory(name="Telegram Support")
    contact = factories.ContactFactory(name="Budi Santoso")
    _ticket("assigned", contact=contact, channel=channel, assignee=agent, last_message_preview="Where is my parcel?")

    html = logged_in(supervisor).get(URL, {"queue": "assigned"}).content.decode()

    assert "Budi Santoso" in html
    assert "Telegram Support" in html
    assert "Where is my parcel?" in html
    assert "Ana" in html
    assert "<time datetime=" in html


def test_lists_are_newest_first_and_paginated(logged_in, supervisor):
    tickets = [_ticket("unassigned", minutes_ago=minutes) for minutes in range(PAGE_SIZE + 5)]
    client = logged_in(supervisor)

    first = client.get(URL, {"queue": "unassigned"})
    second = client.get(URL, {"queue": "unassigned", "page": 2})

    assert _ids_on(first) == [t.pk for t in tickets[:PAGE_SIZE]]
    assert _ids_on(second) == [t.pk for t in tickets[PAGE_SIZE:]]
    assert "Page 1 of 2" in first.content.decode()


def test_blocked_list_shows_message_count_preview_and_checkboxes_newest_first(logged_in, supervisor):
    older = _ticket("blocked", minutes_ago=10, message_count=7, last_message_preview="buy cheap pills")
    newer = _ticket("blocked", minutes_ago=1, message_count=2, last_message_preview="win a prize")

    response = logged_in(supervisor).get(URL, {"queue": "blocked"})

    assert _ids_on(response) == [newer.pk, older.pk]
    html = response.content.decode()
    assert "buy cheap pills" in html and "win a prize" in html
    assert '<td class="num messages-cell" data-unit="messages">7</td>' in html
    assert f'name="ticket" value="{older.pk}"' in html
    assert reverse("tickets:bulk_confirm") in html
    assert "Unblock selected" in html and "Delete selected" in html


def test_blocked_tab_needs_view_blocked_ticket(logged_in):
    """Code checks the permission, not the group: a user who sees all queues but not blocked tickets is refused."""
    watcher = factories.UserFactory(username="watcher")
    watcher.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tickets", codename__in=["view_ticket", "view_all_tickets", "work_ticket"]
        )
    )
    client = logged_in(watcher)

    page = client.get(URL)
    blocked = client.get(URL, {"queue": "blocked"})

    assert page.status_code == 200
    assert "Blocked" not in [tab["label"] for tab in page.context["tabs"]]
    assert blocked.status_code == 403


def test_unknown_queue_is_404(logged_in, supervisor):
    assert logged_in(supervisor).get(URL, {"queue": "spam"}).status_code == 404


def test_take_over_and_assign_controls(logged_in, supervisor, agent):
    bot_ticket = _ticket("bot")
    nobody = factories.UserFactory(username="nobody", first_name="Nina")

    html = logged_in(supervisor).get(URL, {"queue": "bot"}).content.decode()

    assert reverse("tickets:take", args=[bot_ticket.pk]) in html
    assert "Take over" in html
    assert reverse("tickets:assign", args=[bot_ticket.pk]) in html
    assert f'<option value="{agent.pk}"' in html
    assert f'<option value="{supervisor.pk}"' in html
    assert f'<option value="{nobody.pk}"' not in html


def test_resolved_tab_has_no_actions(logged_in, supervisor):
    ticket = _ticket("resolved")

    html = logged_in(supervisor).get(URL, {"queue": "resolved"}).content.decode()

    assert reverse("tickets:take", args=[ticket.pk]) not in html
    assert reverse("tickets:assign", args=[ticket.pk]) not in html


def test_contact_names_and_previews_are_escaped(logged_in, supervisor):
    contact = factories.ContactFactory(name="<script>alert('x')</script>")
    _ticket("unassigned", contact=contact, last_message_preview="<img src=x onerror=alert(1)>")

    html = logged_in(supervisor).get(URL).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "<img src=x" not in html


# --- live refresh: the tabs and the open queue's rows in one response ----------------------------------------------


def test_live_refresh_sends_the_rows_and_the_tabs_out_of_band(logged_in, supervisor):
    blocked = _ticket("blocked", last_message_preview="buy cheap pills")
    _ticket("bot")

    response = logged_in(supervisor).get(LIVE_URL, {"queue": "blocked"})

    assert response.status_code == 200
    assert response.templates[0].name == "tickets/_queue_live.html"
    tabs = {tab["key"]: (tab["count"], tab["active"]) for tab in response.context["tabs"]}
    assert tabs["blocked"] == (1, True)
    assert tabs["bot"] == (1, False)
    assert _ids_on(response) == [blocked.pk]
    html = response.content.decode()
    assert html.count('id="queue-rows"') == 1
    assert '<nav class="tabs" id="queue-tabs" aria-label="Queues" hx-swap-oob="true">' in html
    assert "buy cheap pills" in html
    # The next refresh asks for the same queue again; the page's own frame is not in the answer.
    assert f'hx-get="{LIVE_URL}?queue=blocked"' in html
    assert "<html" not in html


def test_live_refresh_shows_a_new_ticket_and_its_count_together(logged_in, supervisor):
    client = logged_in(supervisor)
    before = client.get(LIVE_URL, {"queue": "unassigned"})
    new = _ticket("unassigned", last_message_preview="Is anyone there?")

    after = client.get(LIVE_URL, {"queue": "unassigned"})

    assert before.context["counts"]["unassigned"] == 0
    assert "No tickets in this queue." in before.content.decode()
    assert after.context["counts"]["unassigned"] == 1
    assert _ids_on(after) == [new.pk]
    assert 'id="tab-unassigned" href=' in after.content.decode()


def test_live_refresh_keeps_the_page_and_take_comes_back_to_it(logged_in, supervisor):
    tickets = [_ticket("unassigned", minutes_ago=minutes) for minutes in range(PAGE_SIZE + 2)]

    response = logged_in(supervisor).get(LIVE_URL, {"queue": "unassigned", "page": 2})

    assert _ids_on(response) == [t.pk for t in tickets[PAGE_SIZE:]]
    html = response.content.decode()
    assert f'hx-get="{LIVE_URL}?queue=unassigned&amp;page=2"' in html
    assert f'name="next" value="{URL}?queue=unassigned&amp;page=2"' in html
    assert f'id="ticket-{tickets[-1].pk}-take"' in html


def test_live_refresh_of_the_blocked_list_needs_view_blocked_ticket(logged_in):
    watcher = factories.UserFactory(username="watcher")
    watcher.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="tickets", codename__in=["view_ticket", "view_all_tickets"])
    )
    _ticket("blocked", last_message_preview="buy cheap pills")
    client = logged_in(watcher)

    blocked = client.get(LIVE_URL, {"queue": "blocked"})
    bot = client.get(LIVE_URL, {"queue": "bot"})

    assert blocked.status_code == 403
    assert "buy cheap pills" not in blocked.content.decode()
    assert bot.status_code == 200
    assert "blocked" not in [tab["key"] for tab in bot.context["tabs"]]
    assert "Blocked" not in bot.content.decode()


def test_live_refresh_refuses_an_agent_the_supervisor_board(logged_in, agent):
    assert logged_in(agent).get(LIVE_URL).status_code == 403


def test_live_refresh_of_an_unknown_board_or_queue_is_404(logged_in, supervisor):
    client = logged_in(supervisor)

    assert client.get(reverse("tickets:queue_live", args=["admin"])).status_code == 404
    assert client.get(LIVE_URL, {"queue": "spam"}).status_code == 404


def test_live_refresh_is_get_only(logged_in, supervisor):
    assert logged_in(supervisor).post(LIVE_URL).status_code == 405


def test_live_refresh_after_logout_sends_the_page_to_login(client):
    plain = client.get(LIVE_URL)
    polled = client.get(LIVE_URL, headers={"HX-Request": "true"})

    assert plain.status_code == 302
    assert plain.url == reverse("login")
    assert polled.headers["HX-Redirect"] == reverse("login")


def test_live_refresh_hides_blocked_from_who_may_not_see_it(logged_in):
    watcher = factories.UserFactory(username="watcher")
    watcher.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="tickets", codename__in=["view_ticket", "view_all_tickets"])
    )
    _ticket("blocked")

    response = logged_in(watcher).get(LIVE_URL)

    assert "blocked" not in [tab["key"] for tab in response.context["tabs"]]
    assert "Blocked" not in response.content.decode()
