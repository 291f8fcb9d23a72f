"""Every list page and the ticket view cost the same number of queries whatever the number of tickets."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from settings_app.switches import current_switches
from tests import factories
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

# A page: session, user, the user's permissions (2), the tab counts, the page count, the rows, the assignable
# people; plus one for the switches when the cache is cold. A bound, so a regression to per-row queries fails.
MAX_QUERIES = 10

SUPERVISOR_PAGES = [f"{reverse('tickets:supervisor')}?queue={status.value}" for status in TicketStatus]
AGENT_PAGES = [f"{reverse('tickets:agent')}?queue={queue}" for queue in ("mine", "unassigned")]
# The live refresh of each board: tabs and the open queue's rows.
LIVE_PAGES = [
    f"{reverse('tickets:queue_live', args=['supervisor'])}?queue=blocked",
    f"{reverse('tickets:queue_live', args=['agent'])}?queue=mine",
]


def make_tickets(per_status: int, *, agent, channel) -> None:
    """Bulk-create per_status tickets in every queue, each with its own contact (one open ticket per contact)."""
    statuses = [s.value for s in TicketStatus]
    contacts = Contact.objects.bulk_create(
        Contact(name=f"Customer {i}", phone=f"+62{i:09d}") for i in range(per_status * len(statuses))
    )
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            contact=contact,
            channel=channel,
            status=statuses[i % len(statuses)],
            assignee=agent if statuses[i % len(statuses)] in ("assigned", "resolved") else None,
            last_message_at=now - timedelta(seconds=i),
            message_count=3,
            last_message_preview=f"Message {i}",
        )
        for i, contact in enumerate(contacts)
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _costs(client, urls) -> dict[str, int]:
    current_switches()  # the waiting alert is read on every list: a cold cache would cost the first page one more
    return {url: count_queries(client, url) for url in urls}


@pytest.fixture
def team(agent, other_agent, supervisor):
    # More people to assign to than the page has rows would show a per-person query.
    factories.AgentFactory.create_batch(5)
    return supervisor


def test_supervisor_pages_cost_the_same_for_5_and_100_tickets(logged_in, team, agent, channel):
    client = logged_in(team)
    make_tickets(1, agent=agent, channel=channel)
    small = _costs(client, SUPERVISOR_PAGES + LIVE_PAGES[:1])

    make_tickets(20, agent=agent, channel=factories.ChannelFactory())
    large = _costs(client, SUPERVISOR_PAGES + LIVE_PAGES[:1])

    assert Ticket.objects.count() == 5 + 100
    assert small == large
    assert max(large.values()) <= MAX_QUERIES


def test_agent_pages_cost_the_same_for_5_and_100_tickets(logged_in, agent, channel):
    client = logged_in(agent)
    make_tickets(1, agent=agent, channel=channel)
    small = _costs(client, AGENT_PAGES + LIVE_PAGES[1:])

    make_tickets(20, agent=agent, channel=factories.ChannelFactory())
    large = _costs(client, AGENT_PAGES + LIVE_PAGES[1:])

    assert small == large
    assert max(large.values()) <= MAX_QUERIES


def test_every_page_is_constant_with_2000_tickets(logged_in, team, agent, channel):
    supervisor_client = logged_in(team)
    make_tickets(1, agent=agent, channel=channel)
    small = _costs(supervisor_client, SUPERVISOR_PAGES + LIVE_PAGES[:1])

    make_tickets(420, agent=agent, channel=factories.ChannelFactory())
    assert Ticket.objects.count() >= 2_000
    large = _costs(supervisor_client, SUPERVISOR_PAGES + LIVE_PAGES[:1])

    assert small == large
    assert max(large.values()) <= MAX_QUERIES
    # The pages really show full pages of the big queues.
    response = supervisor_client.get(SUPERVISOR_PAGES[-1])
    assert len(response.context["tickets"]) == 25
    assert response.context["page"].paginator.count == 421


def test_ticket_view_costs_the_same_for_3_and_300_messages(logged_in, team):
    client = logged_in(team)
    short = factories.TicketFactory(status=TicketStatus.BOT)
    long = factories.TicketFactory(status=TicketStatus.BOT)
    authors = factories.AgentFactory.create_batch(3)
    now = timezone.now()
    for ticket, n in [(short, 3), (long, 300)]:
        _add_lines(ticket, n, authors=authors, start=now)
        Ticket.objects.filter(pk=ticket.pk).update(message_count=n)
    client.get(reverse("tickets:detail", args=[short.pk]))  # warm the switches cache

    short_cost = count_queries(client, reverse("tickets:detail", args=[short.pk]))
    long_cost = count_queries(client, reverse("tickets:detail", args=[long.pk]))

    assert short_cost == long_cost
    assert long_cost <= MAX_QUERIES


def test_blocked_ticket_view_and_bulk_confirmation_are_constant(logged_in, supervisor, channel):
    client = logged_in(supervisor)
    contacts = Contact.objects.bulk_create(Contact(name=f"Spammer {i}") for i in range(60))
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(contact=c, channel=channel, status="blocked", last_message_at=now, message_count=2) for c in contacts
    )
    confirm = reverse("tickets:bulk_confirm")
    ids = "&".join(f"ticket={t.pk}" for t in tickets)

    few = count_queries(client, f"{confirm}?action=delete&ticket={tickets[0].pk}")
    many = count_queries(client, f"{confirm}?action=delete&{ids}")
    detail = count_queries(client, reverse("tickets:detail", args=[tickets[0].pk]))

    assert few == many
    assert detail <= MAX_QUERIES


def test_timeline_poll_costs_the_same_for_1_and_150_new_messages(logged_in, team):
    client = logged_in(team)
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    authors = factories.AgentFactory.create_batch(3)
    now = timezone.now()

    def add(n: int) -> int:
        last = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        _add_lines(ticket, n, authors=authors, start=now)
        return last

    url = reverse("tickets:timeline", args=[ticket.pk])
    client.get(f"{url}?after=0&seen=bot")  # warm the switches cache
    one = count_queries(client, f"{url}?after={add(1)}&seen=bot")
    many = count_queries(client, f"{url}?after={add(150)}&seen=bot")

    assert one == many
    assert many <= MAX_QUERIES
    assert client.get(f"{url}?after=0&seen=bot").content.decode().count('class="message ') == 151


def _add_lines(ticket, n: int, *, authors, start) -> None:
    """n timeline lines in one statement: customer, reply and note in turn, replies and notes by the authors."""
    Message.objects.bulk_create(
        Message(
            ticket=ticket,
            channel=ticket.channel,
            direction=["in", "out", "note"][i % 3],
            author=None if i % 3 == 0 else authors[i % len(authors)],
            body=f"line {i}",
            sent_at=start + timedelta(seconds=i),
        )
        for i in range(n)
    )
