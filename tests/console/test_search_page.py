"""The search box in the navigation and the /search/ page: sections, paging, bad input, constant query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search import views
from tests import factories
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db

NAV_SEARCH = '<form class="nav-search" method="get" action="/search/" role="search">'


def _message(body, status=TicketStatus.UNASSIGNED, **ticket_fields):
    return factories.MessageFactory(ticket=factories.TicketFactory(status=status, **ticket_fields), body=body)


def test_every_page_has_the_search_box_for_staff(logged_in, agent):
    page = logged_in(agent).get("/contacts/").content.decode()
    assert NAV_SEARCH in page


def test_the_search_page_has_one_search_box_its_own(logged_in, agent):
    page = logged_in(agent).get("/search/", {"q": "parcel"}).content.decode()
    assert NAV_SEARCH not in page
    assert page.count('role="search"') == 1
    assert 'name="q" value="parcel"' in page


def test_someone_with_no_role_gets_no_search_box(logged_in, nobody):
    page = logged_in(nobody).get("/account/tokens/").content.decode()
    assert NAV_SEARCH not in page


def test_the_page_shows_contacts_the_ticket_and_messages(logged_in, agent):
    budi = factories.ContactFactory(name="Budi Santoso", phone="+62 812 3456")
    ticket = factories.TicketFactory(contact=budi, status=TicketStatus.UNASSIGNED)
    message = factories.MessageFactory(ticket=ticket, body="Budi here, order 4411 is late")

    page = logged_in(agent).get("/search/", {"q": "budi"}).content.decode()

    assert f'href="/contacts/{budi.pk}/"' in page
    assert f'href="/tickets/{ticket.pk}/#message-{message.pk}"' in page
    assert "<mark>Budi</mark> here, order 4411 is late" in page

    by_phone = logged_in(agent).get("/search/", {"q": "0812 3456"}).content.decode()
    assert f'href="/contacts/{budi.pk}/"' in by_phone

    by_number = logged_in(agent).get("/search/", {"q": f"#{ticket.pk}"}).content.decode()
    assert f'<a href="/tickets/{ticket.pk}/">#{ticket.pk}</a>' in by_number


def test_an_agent_never_sees_a_blocked_message_on_the_page(logged_in, agent, supervisor):
    _message("Spam spam: cheap followers", status=TicketStatus.BLOCKED)

    assert "cheap followers" not in logged_in(agent).get("/search/", {"q": "followers"}).content.decode()
    assert "cheap <mark>followers</mark>" in logged_in(supervisor).get("/search/", {"q": "followers"}).content.decode()


def test_nothing_found_says_so_per_section(logged_in, agent):
    page = logged_in(agent).get("/search/", {"q": "zzzz"}).content.decode()
    assert "No contact's name, phone or e-mail matches “zzzz”." in page
    assert "No message you can see contains “zzzz”." in page


def test_messages_are_paged(logged_in, supervisor):
    for i in range(views.MESSAGES_PER_PAGE + 3):
        _message(f"tagihan ke-{i}")
    client = logged_in(supervisor)

    second = client.get("/search/", {"q": "tagihan", "page": "2"}).content.decode()

    assert "Page 2 of 2" in second
    assert second.count('<div class="snippet">') == 3
    assert client.get("/search/", {"q": "tagihan", "page": "junk"}).status_code == 200


def test_more_matches_than_are_ranked_says_so(logged_in, supervisor, monkeypatch):
    monkeypatch.setattr(views, "MESSAGE_CANDIDATES", 2)
    monkeypatch.setattr("search.finders.MESSAGE_CANDIDATES", 2)
    for i in range(3):
        _message(f"promo {i}")

    page = logged_in(supervisor).get("/search/", {"q": "promo"}).content.decode()

    assert "More than 2 messages match: these are the best matches among the newest 2." in page
    assert page.count('<div class="snippet">') == 2


@pytest.mark.parametrize("q", ["x" * 201, "nul\x00byte"])
def test_bad_input_is_an_error_on_the_page_not_a_search(logged_in, agent, q):
    response = logged_in(agent).get("/search/", {"q": q})
    page = response.content.decode()
    assert response.status_code == 200
    assert '<ul class="errorlist" id="search-error">' in page
    assert 'id="found-messages"' not in page


def test_an_empty_search_explains_what_to_type(logged_in, agent):
    page = logged_in(agent).get("/search/").content.decode()
    assert "Search contacts by name, phone or e-mail, a ticket by its number (#123)" in page


def _queries(client, q) -> int:
    client.get("/search/", {"q": q})  # warm the cached switches
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/search/", {"q": q}).status_code == 200
    return len(captured.captured_queries)


# session, user, permissions, contacts, the ticket by number, ranked message ids, the page of messages
# (+ticket, contact, channel, assignee, author); on PostgreSQL the ranked ids are read without parallel workers
# (one SET LOCAL).
SEARCH_QUERIES = 7 + (connection.vendor == "postgresql")


def test_the_page_costs_the_same_queries_for_a_few_or_many_matches(logged_in, supervisor, agent):
    client = logged_in(supervisor)
    for i in range(3):
        factories.ContactFactory(name=f"Kiki {i}")
        _message(f"Kiki says 77 {i}", assignee=agent, status=TicketStatus.ASSIGNED)
    few = _queries(client, "77")
    for i in range(40):
        factories.ContactFactory(name=f"Kiki 77 {i}")
        _message(f"Kiki says 77 again {i}", assignee=factories.AgentFactory(), status=TicketStatus.ASSIGNED)
    many = _queries(client, "77")

    assert few == many == SEARCH_QUERIES
