"""The ticket view: who may open which ticket, the timeline, and which buttons each person gets."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets.models import Message, Ticket, TicketStatus
from tickets.views import TIMELINE_LIMIT

pytestmark = pytest.mark.django_db


def _url(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _html(client, ticket) -> str:
    response = client.get(_url(ticket))
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_is_sent_to_login(client):
    ticket = factories.TicketFactory()

    response = client.get(_url(ticket))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_unknown_ticket_is_404(logged_in, supervisor):
    assert logged_in(supervisor).get(reverse("tickets:detail", args=[999_999])).status_code == 404


@pytest.mark.parametrize(
    ("status", "owner", "visible"),
    [
        ("unassigned", None, True),
        ("assigned", "agent", True),
        ("resolved", "agent", True),
        ("assigned", "other_agent", False),
        ("bot", None, False),
        ("blocked", None, False),
    ],
)
def test_what_an_agent_may_open(logged_in, agent, other_agent, status, owner, visible):
    people = {"agent": agent, "other_agent": other_agent, None: None}
    ticket = factories.TicketFactory(status=status, assignee=people[owner])

    response = logged_in(agent).get(_url(ticket))

    assert response.status_code == (200 if visible else 404)


@pytest.mark.parametrize("status", [s.value for s in TicketStatus])
def test_supervisor_opens_every_ticket(logged_in, supervisor, agent, status):
    ticket = factories.TicketFactory(status=status, assignee=agent if status == "assigned" else None)

    assert logged_in(supervisor).get(_url(ticket)).status_code == 200


def test_timeline_styles_customer_reply_and_note_differently(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent, message_count=3)
    now = timezone.now()
    factories.MessageFactory(ticket=ticket, direction="in", body="My order is late", sent_at=now)
    factories.MessageFactory(
        ticket=ticket, direction="out", body="Checking now", author=agent, external_id=None, sent_at=now
    )
    factories.MessageFactory(
        ticket=ticket, direction="note", body="Courier called", author=agent, external_id=None, sent_at=now
    )

    html = _html(logged_in(agent), ticket)

    assert html.index('class="message in"') < html.index('class="message out"') < html.index('class="message note"')
    assert "My order is late" in html and "Checking now" in html and "Courier called" in html


def test_timeline_shows_the_latest_messages_and_says_how_many_are_hidden(logged_in, supervisor):
    extra = 7
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED, message_count=TIMELINE_LIMIT + extra)
    start = timezone.now() - timedelta(days=1)
    Message.objects.bulk_create(
        Message(
            ticket=ticket,
            channel=ticket.channel,
            direction="in",
            body=f"line {i}",
            sent_at=start + timedelta(seconds=i),
        )
        for i in range(TIMELINE_LIMIT + extra)
    )

    response = logged_in(supervisor).get(_url(ticket))

    timeline = response.context["timeline"]
    assert len(timeline) == TIMELINE_LIMIT
    assert timeline[0].body == f"line {extra}"
    assert timeline[-1].body == f"line {TIMELINE_LIMIT + extra - 1}"
    assert f"{extra} older messages not shown" in response.content.decode()


def test_message_bodies_are_escaped(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)
    factories.MessageFactory(ticket=ticket, body="<script>steal()</script>")

    html = _html(logged_in(agent), ticket)

    assert "<script>steal()" not in html
    assert "&lt;script&gt;steal()" in html


def test_own_ticket_has_reply_note_and_resolve(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)

    html = _html(logged_in(agent), ticket)

    for name in ["reply", "note", "resolve"]:
        assert reverse(f"tickets:{name}", args=[ticket.pk]) in html
    assert reverse("tickets:take", args=[ticket.pk]) not in html


def test_unassigned_ticket_offers_an_agent_only_take(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    html = _html(logged_in(agent), ticket)

    assert reverse("tickets:take", args=[ticket.pk]) in html
    for name in ["reply", "note", "resolve", "assign"]:
        assert reverse(f"tickets:{name}", args=[ticket.pk]) not in html


def test_supervisor_on_a_bot_ticket_can_take_over_hand_over_assign_and_reply(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)

    html = _html(logged_in(supervisor), ticket)

    assert "Take over from BOT" in html
    assert "Hand over from BOT" in html
    for name in ["take", "handover", "assign", "reply", "note", "resolve"]:
        assert reverse(f"tickets:{name}", args=[ticket.pk]) in html


def test_resolved_ticket_is_read_only(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.RESOLVED, assignee=agent)

    html = _html(logged_in(agent), ticket)

    for name in ["take", "reply", "note", "resolve", "assign", "handover"]:
        assert reverse(f"tickets:{name}", args=[ticket.pk]) not in html
    assert "This ticket is resolved" in html


def test_blocked_ticket_is_read_only_with_unblock_and_delete(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BLOCKED)
    factories.MessageFactory(ticket=ticket, body="spam spam spam")

    html = _html(logged_in(supervisor), ticket)

    assert "spam spam spam" in html
    assert "read-only" in html
    assert reverse("tickets:unblock", args=[ticket.pk]) in html
    assert reverse("tickets:confirm_delete", args=[ticket.pk]) in html
    for name in ["take", "reply", "note", "resolve", "assign", "handover"]:
        assert reverse(f"tickets:{name}", args=[ticket.pk]) not in html


# --- Block contact ---------------------------------------------------------------------------------------------


def _block_url(ticket) -> str:
    return reverse("contacts:block", args=[ticket.contact_id])


def test_agent_may_block_the_contact_of_their_own_ticket(logged_in, agent, blocking_on):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)

    html = _html(logged_in(agent), ticket)

    assert _block_url(ticket) in html
    assert "Block contact" in html
    assert f"?next=/tickets/{ticket.pk}/" in html


def test_agent_gets_no_block_button_on_a_ticket_not_theirs(logged_in, agent, blocking_on):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    assert _block_url(ticket) not in _html(logged_in(agent), ticket)


def test_supervisor_may_block_from_any_ticket(logged_in, supervisor, blocking_on):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)

    assert _block_url(ticket) in _html(logged_in(supervisor), ticket)


def test_no_block_button_with_the_feature_off(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)

    assert _block_url(ticket) not in _html(logged_in(supervisor), ticket)


def test_no_block_button_for_a_blocked_contact(logged_in, supervisor, blocked_contact, blocking_on):
    contact = blocked_contact(supervisor, tickets=1)
    ticket = Ticket.objects.get(contact=contact, status=TicketStatus.BLOCKED)

    html = _html(logged_in(supervisor), ticket)

    assert _block_url(ticket) not in html
    assert "Contact blocked" in html


# --- delete confirmation -----------------------------------------------------------------------------------------


def test_delete_confirmation_states_the_message_count(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BLOCKED, message_count=4)
    url = reverse("tickets:confirm_delete", args=[ticket.pk])

    page = logged_in(supervisor).get(url)
    dialog = logged_in(supervisor).get(url, headers={"HX-Request": "true"})

    assert "4 messages" in page.content.decode()
    assert "<html" in page.content.decode()
    assert "<html" not in dialog.content.decode()
    assert 'id="dialog-title"' in dialog.content.decode()
    assert reverse("tickets:delete", args=[ticket.pk]) in dialog.content.decode()
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_delete_confirmation_for_a_ticket_no_longer_blocked_says_so(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    html = logged_in(supervisor).get(reverse("tickets:confirm_delete", args=[ticket.pk])).content.decode()

    assert "This ticket is not blocked." in html
    assert reverse("tickets:delete", args=[ticket.pk]) not in html


def test_delete_confirmation_is_hidden_from_agents(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.BLOCKED)

    assert logged_in(agent).get(reverse("tickets:confirm_delete", args=[ticket.pk])).status_code == 404
