"""Reads the console and the API share, once on the QuerySets: my tickets, a timeline, capped counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def test_assigned_to_is_the_persons_tickets_in_any_status(agent, other_agent):
    mine = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)
    resolved = factories.TicketFactory(status=TicketStatus.RESOLVED, assignee=agent)
    factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=other_agent)
    factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    assert set(Ticket.objects.assigned_to(agent)) == {mine, resolved}
    assert list(Ticket.objects.in_queue(TicketStatus.ASSIGNED).assigned_to(agent)) == [mine]


def test_timeline_is_the_newest_messages_oldest_first_with_their_authors(agent):
    ticket = factories.TicketFactory()
    start = timezone.now() - timedelta(hours=1)
    made = [
        factories.MessageFactory(ticket=ticket, sent_at=start + timedelta(minutes=n), author=agent) for n in range(5)
    ]
    # Same second: the later id is the newer message.
    twin = factories.MessageFactory(ticket=ticket, sent_at=made[-1].sent_at, author=None)
    factories.MessageFactory(sent_at=start)  # another ticket's

    with CaptureQueriesContext(connection) as captured:
        timeline = ticket.messages.timeline(3)
        authors = [m.author for m in timeline]

    assert timeline == [made[3], made[4], twin]
    assert authors == [agent, agent, None]
    assert len(captured.captured_queries) == 1
    assert Message.objects.filter(ticket=ticket).timeline(100) == [*made, twin]


def test_capped_count_stops_one_past_the_cap():
    factories.TicketFactory.create_batch(4, status=TicketStatus.RESOLVED)

    assert Ticket.objects.capped_count(cap=2) == 3
    assert Ticket.objects.capped_count(cap=10) == 4
    assert Ticket.objects.in_queue(TicketStatus.BOT).capped_count(cap=2) == 0


def test_capped_counts_count_every_queue_in_one_statement(agent, other_agent):
    factories.TicketFactory.create_batch(3, status=TicketStatus.RESOLVED)
    factories.TicketFactory.create_batch(2, status=TicketStatus.ASSIGNED, assignee=agent)
    factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=other_agent)
    queues = {
        "resolved": Ticket.objects.in_queue(TicketStatus.RESOLVED),
        "mine": Ticket.objects.in_queue(TicketStatus.ASSIGNED).assigned_to(agent),
        "bot": Ticket.objects.in_queue(TicketStatus.BOT),
    }

    with CaptureQueriesContext(connection) as captured:
        counts = Ticket.objects.capped_counts(queues, cap=2)

    assert counts == {"resolved": 3, "mine": 2, "bot": 0}
    assert len(captured.captured_queries) == 1
    narrowed = Ticket.objects.exclude(status=TicketStatus.RESOLVED).capped_counts(queues, cap=10)
    assert narrowed == {"resolved": 0, "mine": 2, "bot": 0}
