"""The console's side of issue 16: oldest waiting first, filters in the URL, reopen, saved replies, notices, SLA."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from blockdesk import errors
from contacts.blocking import block_contact
from contacts.models import BlockReason
from settings_app.models import SystemSettings
from tests import factories
from tickets.models import Notice, SavedReply, Speaker, Ticket, TicketStatus
from tickets.queue import assign_ticket, resolve_ticket, take_ticket

pytestmark = pytest.mark.django_db

SUPERVISOR_BOARD = reverse("tickets:supervisor")


def _ticket(minutes_waiting: int | None, **fields) -> Ticket:
    now = timezone.now()
    return factories.TicketFactory(
        waiting_since=None if minutes_waiting is None else now - timedelta(minutes=minutes_waiting),
        last_speaker=Speaker.US if minutes_waiting is None else Speaker.CUSTOMER,
        last_message_at=now - timedelta(minutes=minutes_waiting or 0),
        **fields,
    )


def _shown(response) -> list[int]:
    return [t.pk for t in response.context["tickets"]]


def _notices(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_unassigned_is_oldest_waiting_first_and_says_how_long(logged_in, supervisor, channel):
    SystemSettings.objects.update_or_create(pk=1, defaults={"waiting_alert_minutes": 30})
    fresh = _ticket(5, channel=channel, status=TicketStatus.UNASSIGNED)
    oldest = _ticket(95, channel=channel, status=TicketStatus.UNASSIGNED)
    answered = _ticket(None, channel=channel, status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).get(f"{SUPERVISOR_BOARD}?queue=unassigned")
    page = response.content.decode()

    assert _shown(response) == [oldest.pk, fresh.pk, answered.pk]
    assert 'class="waiting late" data-minutes="95">waiting 1 h 35 min<' in page
    assert 'class="waiting" data-minutes="5">waiting 5 min<' in page
    assert "We replied last" in page


def test_every_list_can_sort_by_last_activity(logged_in, supervisor, channel):
    older = _ticket(95, channel=channel, status=TicketStatus.UNASSIGNED)
    newer = _ticket(5, channel=channel, status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).get(f"{SUPERVISOR_BOARD}?queue=unassigned&sort=activity")

    assert _shown(response) == [newer.pk, older.pk]


def test_filters_combine_and_stay_in_the_tabs_and_the_live_refresh(logged_in, supervisor, agent, channel):
    other_channel = factories.ChannelFactory()
    match = _ticket(90, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    _ticket(10, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)  # not waiting long enough
    _ticket(90, channel=other_channel, status=TicketStatus.ASSIGNED, assignee=agent)  # other channel
    _ticket(90, channel=channel, status=TicketStatus.ASSIGNED, assignee=factories.AgentFactory())  # other person
    query = f"queue=assigned&channel={channel.pk}&assignee={agent.pk}&waiting=60"

    response = logged_in(supervisor).get(f"{SUPERVISOR_BOARD}?{query}")

    assert _shown(response) == [match.pk]
    assert response.context["live_url"] == f"{reverse('tickets:queue_live', args=['supervisor'])}?{query}"
    unassigned_tab = next(t for t in response.context["tabs"] if t["key"] == "unassigned")
    assert (
        unassigned_tab["url"]
        == f"{SUPERVISOR_BOARD}?queue=unassigned&channel={channel.pk}&assignee={agent.pk}&waiting=60"
    )
    live = logged_in(supervisor).get(response.context["live_url"])
    assert _shown(live) == [match.pk]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("channel=999999", errors.NO_SUCH_CHANNEL_FILTER),
        ("channel=abc", errors.NO_SUCH_CHANNEL_FILTER),
        ("assignee=999999", errors.NO_SUCH_ASSIGNEE_FILTER),
        ("waiting=-5", errors.BAD_WAITING_FILTER),
        ("waiting=99999999999999999999", errors.BAD_WAITING_FILTER),
        ("sort=random", errors.BAD_SORT),
    ],
)
def test_a_bad_filter_is_said_and_nothing_is_filtered(logged_in, supervisor, channel, query, error):
    waiting = _ticket(5, channel=channel, status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).get(f"{SUPERVISOR_BOARD}?queue=unassigned&{query}")

    assert response.status_code == 200
    assert escape(error) in response.content.decode()
    assert _shown(response) == [waiting.pk]


def test_an_agent_cannot_filter_by_assignee(logged_in, agent, channel):
    _ticket(5, channel=channel, status=TicketStatus.UNASSIGNED)
    response = logged_in(agent).get(f"{reverse('tickets:agent')}?queue=unassigned&assignee={agent.pk}")
    assert escape(errors.NO_SUCH_ASSIGNEE_FILTER) in response.content.decode()


def test_reopen_from_the_ticket_view(logged_in, agent, channel):
    ticket = _ticket(None, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    resolve_ticket(actor=agent, ticket=ticket)
    client = logged_in(agent)
    assert 'id="reopen"' in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    response = client.post(reverse("tickets:reopen", args=[ticket.pk]))

    assert _notices(response) == [f"Ticket #{ticket.pk} reopened: back with {agent.get_full_name()}."]
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ASSIGNED


def test_a_blocked_contacts_resolved_ticket_says_why_it_cannot_be_reopened(logged_in, supervisor, channel, blocking_on):
    ticket = _ticket(None, channel=channel, status=TicketStatus.RESOLVED)
    block_contact(actor=supervisor, contact=ticket.contact, reason=BlockReason.SPAM)
    client = logged_in(supervisor)

    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'id="reopen"' not in page and escape(errors.REOPEN_CONTACT_BLOCKED) in page

    response = client.post(reverse("tickets:reopen", args=[ticket.pk]))
    assert _notices(response) == [errors.REOPEN_CONTACT_BLOCKED]
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_the_ticket_view_links_the_contacts_previous_conversation(logged_in, supervisor, channel):
    contact = factories.ContactFactory()
    before = _ticket(None, channel=channel, status=TicketStatus.RESOLVED, contact=contact)
    Ticket.objects.filter(pk=before.pk).update(created_at=timezone.now() - timedelta(days=3))
    now = _ticket(5, channel=channel, status=TicketStatus.UNASSIGNED, contact=contact)

    page = logged_in(supervisor).get(reverse("tickets:detail", args=[now.pk])).content.decode()

    assert f'href="{reverse("tickets:detail", args=[before.pk])}" id="previous-ticket"' in page


def test_saved_reply_search_fills_the_placeholders_for_this_ticket(logged_in, agent, channel):
    agent.first_name, agent.last_name = "Sari", "Dewi"
    agent.save()
    ticket = take_ticket(actor=agent, ticket=_ticket(5, channel=channel, status=TicketStatus.UNASSIGNED))
    ticket.contact.name = "Budi"
    ticket.contact.save()
    reply = SavedReply.objects.create(title="Greeting", body="Hello {contact_name}, I am {agent_name}.")

    page = logged_in(agent).get(reverse("tickets:saved_reply_search", args=[ticket.pk]) + "?q=greet").content.decode()

    assert (
        f'id="saved-reply-{reply.pk}" data-insert-reply="id_reply-text" data-text="Hello Budi, I am Sari Dewi."' in page
    )


def test_opening_notices_marks_them_read_and_the_counter_follows(logged_in, supervisor, agent, channel):
    ticket = _ticket(5, channel=channel, status=TicketStatus.UNASSIGNED)
    assign_ticket(actor=supervisor, ticket=ticket, assignee=agent)
    client = logged_in(agent)
    assert 'aria-label="1 unread">1<' in client.get(reverse("tickets:notice_counter")).content.decode()

    page = client.get(reverse("tickets:notices")).content.decode()

    assert "was assigned to you" in page and 'class="unread"' in page
    assert Notice.objects.get().read_at is not None
    assert "unread" not in client.get(reverse("tickets:notice_counter")).content.decode()


def test_a_notice_never_shows_a_message_text(logged_in, supervisor, channel, blocking_on):
    from tests.inbound import deliver

    contact = deliver(channel, "+628666", "hello").contact
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)
    deliver(channel, "+628666", "SECRET SPAM TEXT")

    page = logged_in(supervisor).get(reverse("tickets:notices")).content.decode()

    assert "is in the Blocked list" in page and "SECRET SPAM TEXT" not in page


def test_the_sla_view_counts_late_waits_and_first_responses(logged_in, supervisor, channel):
    SystemSettings.objects.update_or_create(pk=1, defaults={"waiting_alert_minutes": 30})
    _ticket(45, channel=channel, status=TicketStatus.UNASSIGNED)
    _ticket(10, channel=channel, status=TicketStatus.UNASSIGNED)
    answered = _ticket(None, channel=channel, status=TicketStatus.ASSIGNED, assignee=supervisor)
    Ticket.objects.filter(pk=answered.pk).update(first_reply_at=answered.created_at + timedelta(minutes=12))

    response = logged_in(supervisor).get(reverse("tickets:sla"))
    report = response.context["report"]

    unassigned = next(q for q in report.queues if q.key == TicketStatus.UNASSIGNED)
    assert (unassigned.waiting, unassigned.late, unassigned.longest_minutes) == (2, 1, 45)
    assert (report.answered, report.unanswered, report.median_minutes) == (1, 2, 12.0)
    assert "<svg" in response.content.decode()
