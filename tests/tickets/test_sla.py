"""The SLA view's first-response times: PostgreSQL computes them in SQL, SQLite in Python; both must agree."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets.models import Ticket, TicketStatus
from tickets.sla import _first_responses_python, _first_responses_sql, percentile, sla_report

pytestmark = pytest.mark.django_db

# (days ago, minutes to the first reply or None for unanswered)
OPENED = [(0, 4), (0, 10), (0, None), (1, 3), (1, 7), (1, 30), (1, 61), (3, 2.5), (5, None), (6, 120)]


def _opened(channel) -> None:
    now = timezone.now()
    for days_ago, minutes in OPENED:
        ticket = factories.TicketFactory(channel=channel, status=TicketStatus.UNASSIGNED)
        created = now - timedelta(days=days_ago, minutes=1)
        reply = None if minutes is None else created + timedelta(minutes=minutes)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created, first_reply_at=reply)
    blocked = factories.TicketFactory(channel=channel, status=TicketStatus.BLOCKED)
    Ticket.objects.filter(pk=blocked.pk).update(first_reply_at=blocked.created_at + timedelta(minutes=999))


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0], 0.9) == pytest.approx(91.0)


def test_the_report_gives_median_p90_and_days(channel):
    _opened(channel)

    report = sla_report(15)

    answered = sorted(m for _, m in OPENED if m is not None)
    assert (report.answered, report.unanswered) == (len(answered), 2)
    assert report.median_minutes == 8.5
    assert report.p90_minutes == round(percentile(answered, 0.9), 1)
    today, yesterday = report.days[-1], report.days[-2]
    assert (today.answered, today.median_minutes) == (2, 7.0)
    assert (yesterday.answered, yesterday.median_minutes) == (4, 18.5)
    assert [d.answered for d in report.days] == [1, 0, 0, 1, 0, 4, 2]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's")
def test_the_sql_and_python_paths_agree(channel, django_assert_num_queries):
    _opened(channel)
    since = timezone.now() - timedelta(days=7)
    opened = Ticket.objects.filter(created_at__gte=since).exclude(status=TicketStatus.BLOCKED)

    with django_assert_num_queries(1):
        in_sql = _first_responses_sql(opened)

    assert in_sql == _first_responses_python(opened)
    assert in_sql.median_minutes == 8.5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's")
def test_the_sql_path_with_no_ticket_opened():
    opened = Ticket.objects.filter(created_at__gte=timezone.now())

    result = _first_responses_sql(opened)

    assert (result.answered, result.unanswered, result.median_minutes, result.p90_minutes, result.by_day) == (
        0,
        0,
        None,
        None,
        {},
    )


def test_the_sla_page_query_count_does_not_grow(client, supervisor, channel, django_assert_max_num_queries):
    client.force_login(supervisor)
    client.get(reverse("tickets:sla"))
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("tickets:sla"))
    _opened(channel)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("tickets:sla"))
    assert response.context["report"].answered == 8
