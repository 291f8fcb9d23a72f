"""The ticket view's live timeline: messages after the newest shown, the status line, the same access as the view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tickets import views
from tickets.forms import BAD_TIMELINE_POLL
from tickets.models import Message, TicketStatus

pytestmark = pytest.mark.django_db


def _poll_url(ticket) -> str:
    return reverse("tickets:timeline", args=[ticket.pk])


def _poll(client, ticket, after, seen=None, shown="", **headers):
    params = {"after": after, "seen": seen or ticket.status} | ({"shown": shown} if shown else {})
    return client.get(_poll_url(ticket), params, headers=headers)


def _message(ticket, body, **fields):
    return factories.MessageFactory(ticket=ticket, body=body, **fields)


def test_the_ticket_view_polls_after_its_newest_message(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    _message(ticket, "first")
    newest = _message(ticket, "second")

    html = logged_in(supervisor).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert f'hx-get="{_poll_url(ticket)}?after={newest.pk}&amp;seen=bot"' in html
    assert 'hx-trigger="every 5s"' in html
    assert '<div class="timeline" id="timeline" role="log" aria-label="Messages">' in html


def test_an_empty_ticket_polls_after_zero(logged_in, supervisor):
    ticket = factories.TicketFactory()

    html = logged_in(supervisor).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert f'hx-get="{_poll_url(ticket)}?after=0&amp;seen=unassigned"' in html
    assert '<p class="empty" id="timeline-empty">No messages yet.</p>' in html


def test_poll_answers_only_the_newer_messages_oldest_first_and_the_next_poll(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    shown = _message(ticket, "already on the page")
    reply = _message(ticket, "Thanks, checking", direction=Message.Direction.OUT, author=supervisor)
    question = _message(ticket, "Where is my parcel?")

    response = _poll(logged_in(supervisor), ticket, after=shown.pk)

    assert response.status_code == 200
    assert [m.pk for m in response.context["new_messages"]] == [reply.pk, question.pk]
    html = response.content.decode()
    assert "already on the page" not in html
    assert html.index(f'id="message-{reply.pk}"') < html.index(f'id="message-{question.pk}"')
    assert "Sari · reply" in html
    assert f'hx-get="{_poll_url(ticket)}?after={question.pk}&amp;seen=bot"' in html
    assert '<p id="timeline-empty" hx-swap-oob="delete"></p>' in html


def test_poll_with_nothing_new_keeps_asking_after_the_same_message(logged_in, supervisor):
    ticket = factories.TicketFactory()
    shown = _message(ticket, "hello")

    response = _poll(logged_in(supervisor), ticket, after=shown.pk)

    html = response.content.decode()
    assert response.context["new_messages"] == []
    assert "message-" not in html
    assert f"after={shown.pk}&amp;" in html
    assert "timeline-empty" not in html


def test_poll_sends_the_status_line_out_of_band(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED, message_count=3)

    html = _poll(logged_in(supervisor), ticket, after=0).content.decode()

    assert '<div id="ticket-status" hx-swap-oob="true">' in html
    assert '<span class="badge badge-unassigned">Unassigned</span>' in html
    assert "3 messages" in html
    assert "changed after you opened it" not in html


def test_a_ticket_resolved_elsewhere_says_so(logged_in, supervisor, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)
    ticket.status = TicketStatus.RESOLVED
    ticket.save()

    html = _poll(logged_in(agent), ticket, after=0, seen="assigned").content.decode()

    assert '<span class="badge badge-resolved">Resolved</span>' in html
    assert "This ticket is now Resolved: it changed after you opened it." in html
    assert f'<a href="{reverse("tickets:detail", args=[ticket.pk])}">Reload the ticket</a>' in html


def test_a_long_burst_arrives_over_several_polls_without_a_gap(logged_in, supervisor, monkeypatch):
    monkeypatch.setattr(views, "TIMELINE_LIMIT", 2)
    ticket = factories.TicketFactory()
    burst = [_message(ticket, f"spam {i}") for i in range(3)]
    client = logged_in(supervisor)

    first = _poll(client, ticket, after=0)
    second = _poll(client, ticket, after=first.context["last_message_id"])

    assert [m.pk for m in first.context["new_messages"]] == [burst[0].pk, burst[1].pk]
    assert [m.pk for m in second.context["new_messages"]] == [burst[2].pk]


@pytest.mark.parametrize(
    ("status", "owner", "visible"),
    [
        ("unassigned", None, True),
        ("assigned", "agent", True),
        ("assigned", "other_agent", False),
        ("bot", None, False),
        ("blocked", None, False),
    ],
)
def test_an_agent_polls_only_the_tickets_the_view_shows(logged_in, agent, other_agent, status, owner, visible):
    people = {"agent": agent, "other_agent": other_agent, None: None}
    ticket = factories.TicketFactory(status=status, assignee=people[owner])
    _message(ticket, "secret words")
    client = logged_in(agent)

    view = client.get(reverse("tickets:detail", args=[ticket.pk]))
    poll = _poll(client, ticket, after=0)

    assert view.status_code == poll.status_code == (200 if visible else 404)
    assert ("secret words" in poll.content.decode()) is visible


def test_a_user_without_a_role_polls_nothing(logged_in, nobody):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=factories.AgentFactory())

    assert _poll(logged_in(nobody), ticket, after=0).status_code == 404


def test_poll_after_logout_sends_the_page_to_login(client):
    ticket = factories.TicketFactory()

    plain = _poll(client, ticket, after=0)
    polled = _poll(client, ticket, after=0, HX_Request="true")

    assert plain.status_code == 302
    assert plain.url == reverse("login")
    assert polled.headers["HX-Redirect"] == reverse("login")


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"after": "abc", "seen": "bot"},
        {"after": "-1", "seen": "bot"},
        {"after": "99999999999999999999999", "seen": "bot"},
        {"after": "1", "seen": "spam"},
        {"after": "1"},
    ],
)
def test_a_bad_poll_is_a_clear_400(logged_in, supervisor, query):
    ticket = factories.TicketFactory()

    response = logged_in(supervisor).get(_poll_url(ticket), query)

    assert response.status_code == 400
    assert response.content.decode() == BAD_TIMELINE_POLL


def test_access_is_checked_before_the_input(logged_in, agent):
    hidden = factories.TicketFactory(status=TicketStatus.BLOCKED)

    assert logged_in(agent).get(_poll_url(hidden), {"after": "abc"}).status_code == 404


def test_poll_is_get_only(logged_in, supervisor):
    ticket = factories.TicketFactory()

    assert logged_in(supervisor).post(_poll_url(ticket), {"after": 0, "seen": "bot"}).status_code == 405


def _reply(ticket, author, state):
    return _message(ticket, f"reply {state}", direction=Message.Direction.OUT, author=author, delivery_state=state)


def test_the_ticket_view_polls_for_the_replies_whose_delivery_state_may_still_change(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    queued, sent = _reply(ticket, supervisor, "queued"), _reply(ticket, supervisor, "sent")
    read, failed = _reply(ticket, supervisor, "read"), _reply(ticket, supervisor, "failed")
    newest = _message(ticket, "thanks")

    html = logged_in(supervisor).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    shown = f"{queued.pk}%3Aqueued%2C{sent.pk}%3Asent"
    assert f'hx-get="{_poll_url(ticket)}?after={newest.pk}&amp;seen=bot&amp;shown={shown}"' in html
    assert f"{read.pk}%3A" not in html and f"{failed.pk}%3A" not in html


def test_poll_swaps_in_the_replies_whose_delivery_state_moved_on(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    moved, same = _reply(ticket, supervisor, "sent"), _reply(ticket, supervisor, "sent")
    shown = f"{moved.pk}:queued,{same.pk}:sent"

    response = _poll(logged_in(supervisor), ticket, after=same.pk, shown=shown)

    assert response.status_code == 200
    assert response.context["changed_messages"] == [moved]
    html = response.content.decode()
    assert f'<div class="message out" id="message-{moved.pk}" hx-swap-oob="true">' in html
    assert 'data-delivery-state="sent">Sent</span>' in html
    assert f'id="message-{same.pk}"' not in html
    assert response.context["tracked"] == f"{moved.pk}:sent,{same.pk}:sent"


def test_a_reply_in_a_final_state_is_swapped_in_once_then_no_longer_asked_about(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    read = _reply(ticket, supervisor, "read")

    response = _poll(logged_in(supervisor), ticket, after=read.pk, shown=f"{read.pk}:delivered")

    assert response.context["changed_messages"] == [read]
    assert response.context["tracked"] == ""
    assert "shown=" not in response.content.decode()


def test_a_new_reply_is_tracked_from_the_poll_that_brings_it(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    shown = _message(ticket, "question")
    reply = _reply(ticket, supervisor, "queued")

    response = _poll(logged_in(supervisor), ticket, after=shown.pk)

    assert response.context["tracked"] == f"{reply.pk}:queued"


def test_poll_ignores_shown_replies_of_other_tickets(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    newest = _message(ticket, "question")
    elsewhere = _reply(factories.TicketFactory(status=TicketStatus.BOT), supervisor, "read")

    response = _poll(logged_in(supervisor), ticket, after=newest.pk, shown=f"{elsewhere.pk}:queued")

    assert response.status_code == 200
    assert (response.context["changed_messages"], response.context["tracked"]) == ([], "")
    assert f"message-{elsewhere.pk}" not in response.content.decode()


@pytest.mark.parametrize(
    "shown",
    ["1:read", "1:failed", "x:queued", "1;queued", "1:queued,,2", "1:queued" + ",1:queued" * 200, "1:queued\x00"],
)
def test_a_malformed_shown_list_is_refused_and_says_what_is_expected(logged_in, supervisor, shown):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)

    response = _poll(logged_in(supervisor), ticket, after=0, shown=shown)

    assert response.status_code == 400
    assert response.content.decode() == BAD_TIMELINE_POLL


def test_poll_costs_the_same_for_1_and_100_changed_replies(logged_in, supervisor):
    client = logged_in(supervisor)
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    one = [_reply(ticket, supervisor, "delivered")]
    many = [_reply(ticket, supervisor, "delivered") for _ in range(100)]
    after = many[-1].pk
    _poll(client, ticket, after=after)  # warm the caches

    def queries(replies) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = _poll(client, ticket, after=after, shown=",".join(f"{r.pk}:sent" for r in replies))
        assert len(response.context["changed_messages"]) == len(replies)
        return len(captured)

    assert queries(one) == queries(many)
