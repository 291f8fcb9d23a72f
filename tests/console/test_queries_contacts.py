"""The contacts list and the 360 view cost the same number of SQL queries for 5 rows or thousands.

The numbers include the request's own overhead: session, user, the user's
permissions (one query) and the cached switches (warmed by a first request).
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.blocking import block_contact, unblock_contact
from contacts.models import Block, BlockReason, Contact, ContactIdentity, UnblockChoice
from tests import factories
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db

# session, user, permissions (own and groups', one query), tab counts (one aggregate, the paginator's count too),
# the switches (may this person block: read once a request, no cache), the page of contacts, their identities.
LIST_QUERIES = 7
# The same, plus blocked_by in the page query (a join, no extra query).
BLOCKED_TAB_QUERIES = 7
# session, user, permissions, contact (+blocked_by), blocks (+people), tickets (+channel, assignee),
# identities (+channel), its open tickets (+channel, assignee: where the next message goes, on the identities'
# channels, and the blocked-ticket counts), possible duplicates (one query). The page budget is 10. The switches
# (may this person block or unblock?) are read in the contact's statement: blocked or not, no query of their own.
DETAIL_QUERIES = 9


def make_contacts(n, channel, *, blocked_by=None):
    """Bulk-create n contacts, each with an identity; blocked (by blocked_by) when given."""
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        Contact(
            name=f"Customer {i:05d}",
            phone=f"+6281{i:08d}",
            email=f"c{i}@example.com",
            is_blocked=blocked_by is not None,
            blocked_reason=BlockReason.SPAM if blocked_by else "",
            blocked_at=now if blocked_by else None,
            blocked_by=blocked_by,
        )
        for i in range(n)
    )
    ContactIdentity.objects.bulk_create(
        ContactIdentity(contact=c, channel=channel, external_id=f"{channel.pk}-{c.pk}") for c in contacts
    )
    return contacts


def warm(client, url):
    assert client.get(url).status_code == 200  # fills the switches cache


@pytest.mark.parametrize("rows", [5, 60])
def test_all_tab_queries_do_not_grow(logged_in, supervisor, channel, rows, django_assert_num_queries):
    make_contacts(rows, channel)
    client = logged_in(supervisor)
    url = reverse("contacts:list")
    warm(client, url)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["contacts"]) == min(rows, 25)


@pytest.mark.parametrize("rows", [5, 60])
def test_blocked_tab_queries_do_not_grow(logged_in, supervisor, channel, rows, django_assert_num_queries):
    make_contacts(rows, channel, blocked_by=supervisor)
    client = logged_in(supervisor)
    url = reverse("contacts:list") + "?tab=blocked&q=customer&page=2"
    warm(client, url)
    with django_assert_num_queries(BLOCKED_TAB_QUERIES):
        response = client.get(url)
    assert response.context["counts"]["blocked"] == rows


def make_history(contact, channel, supervisor, n):
    """n resolved tickets and n past blocks (blocked and lifted) for the contact."""
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(contact=contact, channel=channel, status=TicketStatus.RESOLVED, assignee=supervisor, last_message_at=now)
        for _ in range(n)
    )
    Block.objects.bulk_create(
        Block(
            contact=contact,
            reason=BlockReason.SPAM,
            blocked_by=supervisor,
            blocked_at=now,
            lifted_by=supervisor,
            lifted_at=now,
            lifted_with=UnblockChoice.UNBLOCK_ALL,
        )
        for _ in range(n)
    )
    ContactIdentity.objects.bulk_create(
        ContactIdentity(contact=contact, channel=factories.ChannelFactory(), external_id=f"x{i}") for i in range(n)
    )


@pytest.mark.parametrize("rows", [5, 60])
def test_360_queries_do_not_grow(logged_in, supervisor, channel, blocking_on, rows, django_assert_num_queries):
    contact = factories.ContactFactory(name="Budi")
    make_history(contact, channel, supervisor, rows)
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.ABUSE, note="again")
    Ticket.objects.bulk_create(
        Ticket(
            contact=contact,
            channel=factories.ChannelFactory(),
            status=TicketStatus.BLOCKED,
            last_message_at=timezone.now(),
            message_count=2,
        )
        for _ in range(3)
    )
    client = logged_in(supervisor)
    url = reverse("contacts:detail", args=[contact.pk])
    warm(client, url)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert len(response.context["tickets"]) == min(rows + 3, 20)
    assert response.context["blocked_counts"].tickets == 3
    # The latest 20 block rows, one of them the current block.
    assert len(response.context["past_blocks"]) == min(rows, 19)


def test_pages_stay_constant_with_thousands_of_rows(logged_in, supervisor, channel, django_assert_num_queries):
    contacts = make_contacts(3000, channel)
    make_contacts(1500, factories.ChannelFactory(), blocked_by=supervisor)
    busiest = contacts[0]
    make_history(busiest, channel, supervisor, 1000)
    client = logged_in(supervisor)
    for url, expected in [
        (reverse("contacts:list"), LIST_QUERIES),
        (reverse("contacts:list") + "?page=100", LIST_QUERIES),
        (reverse("contacts:list") + "?tab=blocked", BLOCKED_TAB_QUERIES),
        (reverse("contacts:list") + "?q=customer%2001", LIST_QUERIES),
        (reverse("contacts:detail", args=[busiest.pk]), DETAIL_QUERIES),  # not blocked: the counts cost nothing
    ]:
        warm(client, url)
        with django_assert_num_queries(expected):
            client.get(url)


def test_unblock_confirmation_queries_do_not_grow(
    logged_in, supervisor, channel, blocking_on, django_assert_num_queries
):
    contact = factories.ContactFactory()
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)
    client = logged_in(supervisor)
    url = reverse("contacts:unblock", args=[contact.pk])
    warm(client, url)
    with django_assert_num_queries(5) as small:  # the switches come with the contact
        client.get(url)
    Ticket.objects.bulk_create(
        Ticket(
            contact=contact,
            channel=factories.ChannelFactory(),
            status=TicketStatus.BLOCKED,
            last_message_at=timezone.now(),
            message_count=5,
        )
        for _ in range(40)
    )
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)
    unblock_contact(actor=supervisor, contact=contact, choice=UnblockChoice.DELETE_ALL)
