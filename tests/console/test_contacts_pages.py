"""The contacts list and the 360 customer view: access, tabs, search, pages, buttons, escaping."""

import pytest
from django.urls import reverse

from blockdesk import errors
from contacts.blocking import block_contact, unblock_contact
from contacts.models import BlockReason, UnblockChoice
from tests import factories
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db

LIST = reverse("contacts:list")


def detail_url(contact):
    return reverse("contacts:detail", args=[contact.pk])


# --- Access ---------------------------------------------------------------------------------


def test_login_page_has_the_labels_and_button_the_browser_tests_use(client):
    page = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert ">Log in</button>" in page
    assert 'rel="stylesheet"' in page and "js/console.js" in page


def test_login_with_the_form_then_logout(client, agent):
    response = client.post(reverse("login"), {"username": "agent", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert client.get(LIST).status_code == 302


def test_wrong_password_shows_an_error(client, agent):
    response = client.post(reverse("login"), {"username": "agent", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


@pytest.mark.parametrize("url", [LIST, f"{LIST}?tab=blocked", "/contacts/1/"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_a_user_without_a_role_is_refused(logged_in, nobody):
    contact = factories.ContactFactory()
    client = logged_in(nobody)
    assert client.get(LIST).status_code == 403
    assert client.get(detail_url(contact)).status_code == 403


@pytest.mark.parametrize("persona", ["agent", "supervisor", "administrator"])
def test_every_role_sees_the_contacts_pages(logged_in, request, persona):
    contact = factories.ContactFactory(name="Budi")
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 200
    assert client.get(detail_url(contact)).status_code == 200


def test_unknown_contact_is_404(logged_in, supervisor):
    assert logged_in(supervisor).get("/contacts/999999/").status_code == 404


def test_pages_answer_only_get(logged_in, supervisor):
    contact = factories.ContactFactory()
    client = logged_in(supervisor)
    assert client.post(LIST).status_code == 405
    assert client.post(detail_url(contact)).status_code == 405


# --- List: tabs, search, pagination -----------------------------------------------------------


def test_tabs_count_all_and_blocked(logged_in, supervisor, blocked_contact):
    factories.ContactFactory.create_batch(3)
    blocked = blocked_contact(supervisor, name="Budi Spammer")
    client = logged_in(supervisor)

    all_tab = client.get(LIST)
    assert all_tab.context["counts"] == {"all": 4, "blocked": 1}
    assert len(all_tab.context["contacts"]) == 4

    blocked_tab = client.get(LIST, {"tab": "blocked"})
    assert [c.pk for c in blocked_tab.context["contacts"]] == [blocked.pk]
    page = blocked_tab.content.decode()
    assert (
        'class="tab active" href="/contacts/?tab=blocked" aria-current="page">Blocked <span class="count">1</span>'
        in page
    )
    assert "by Sari" in page


def test_blocked_tab_lists_the_newest_block_first(logged_in, supervisor, blocked_contact):
    first = blocked_contact(supervisor, name="First")
    second = blocked_contact(supervisor, name="Second")
    contacts = logged_in(supervisor).get(LIST, {"tab": "blocked"}).context["contacts"]
    assert [c.pk for c in contacts] == [second.pk, first.pk]


@pytest.mark.parametrize("query", ["budi", "+628129999", "budi.santoso@"])
def test_search_by_name_phone_or_email(logged_in, agent, query):
    budi = factories.ContactFactory(name="Budi Santoso", phone="+6281299990000", email="budi.santoso@example.com")
    factories.ContactFactory(name="Ani", phone="+6281200000001", email="ani@example.com")
    response = logged_in(agent).get(LIST, {"q": query})
    assert [c.pk for c in response.context["contacts"]] == [budi.pk]
    assert response.context["counts"]["all"] == 1


def test_search_keeps_the_tab(logged_in, supervisor, blocked_contact):
    blocked_contact(supervisor, name="Budi")
    factories.ContactFactory(name="Budiman")
    response = logged_in(supervisor).get(LIST, {"tab": "blocked", "q": "budi"})
    assert [c.name for c in response.context["contacts"]] == ["Budi"]
    assert response.context["counts"] == {"all": 2, "blocked": 1}


def test_pagination_shows_25_a_page(logged_in, agent):
    factories.ContactFactory.create_batch(30)
    client = logged_in(agent)
    first = client.get(LIST)
    assert len(first.context["contacts"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get(LIST, {"page": 2}).context["contacts"]) == 5
    # Nonsense pages fall back instead of failing.
    assert client.get(LIST, {"page": "abc"}).context["page"].number == 1
    assert client.get(LIST, {"page": 99}).context["page"].number == 2


def test_page_links_keep_the_tab_and_the_search(logged_in, agent):
    factories.ContactFactory.create_batch(30, name="Rina")
    html = logged_in(agent).get(LIST, {"q": "rina", "page": 2}).content.decode()
    assert 'href="?q=rina&amp;page=1" rel="prev"' in html


def test_an_unknown_tab_means_all(logged_in, agent):
    factories.ContactFactory.create_batch(2)
    assert logged_in(agent).get(LIST, {"tab": "nonsense"}).context["tab"] == "all"


def test_a_row_opens_the_360_view_in_the_dialog(logged_in, agent):
    contact = factories.ContactFactory(name="Budi")
    page = logged_in(agent).get(LIST).content.decode()
    url = detail_url(contact)
    assert f'<a class="row-title" href="{url}" hx-get="{url}" hx-target="#dialog">Budi</a>' in page


# --- 360 view -------------------------------------------------------------------------------


def test_360_is_a_partial_for_htmx_and_a_page_without_it(logged_in, agent):
    contact = factories.ContactFactory(name="Budi")
    client = logged_in(agent)
    partial = client.get(detail_url(contact), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert 'id="dialog-title"' in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    page = client.get(detail_url(contact))
    assert "<html" in page.content.decode() and 'id="dialog-title"' in page.content.decode()


def test_360_shows_profile_identities_and_ticket_history(logged_in, supervisor, channel):
    contact = factories.ContactFactory(name="Budi", phone="+6281211112222", email="budi@example.com")
    factories.ContactIdentityFactory(contact=contact, channel=channel, external_id="wa-budi")
    resolved = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.RESOLVED)
    open_ticket = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.UNASSIGNED)
    page = logged_in(supervisor).get(detail_url(contact)).content.decode()
    assert "+6281211112222" in page and "budi@example.com" in page
    assert "wa-budi" in page and "WhatsApp" in page
    assert 'class="badge badge-resolved">Resolved' in page
    assert 'class="badge badge-unassigned">Unassigned' in page
    for ticket in (resolved, open_ticket):
        assert f'href="{reverse("tickets:detail", args=[ticket.pk])}"' in page


def test_360_history_is_the_latest_20(logged_in, supervisor):
    contact = factories.ContactFactory()
    factories.TicketFactory.create_batch(25, contact=contact, status=TicketStatus.RESOLVED)
    response = logged_in(supervisor).get(detail_url(contact))
    assert len(response.context["tickets"]) == 20


def test_agents_see_only_the_tickets_they_may_open(logged_in, agent, supervisor, blocked_contact):
    contact = blocked_contact(supervisor, tickets=1)
    mine = factories.TicketFactory(contact=contact, status=TicketStatus.RESOLVED, assignee=agent)
    factories.TicketFactory(contact=contact, status=TicketStatus.RESOLVED, assignee=supervisor)
    response = logged_in(agent).get(detail_url(contact))
    assert [t.pk for t in response.context["tickets"]] == [mine.pk]


def test_360_shows_the_current_block_and_past_blocks(logged_in, supervisor, blocked_contact, set_switches):
    contact = blocked_contact(supervisor, name="Budi", note="First warning")
    unblock_contact(actor=supervisor, contact=contact, choice=UnblockChoice.DELETE_ALL)
    set_switches(block_contacts_enabled=True)
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.ABUSE, note="Insults again")

    response = logged_in(supervisor).get(detail_url(contact))
    page = response.content.decode()
    assert response.context["current_block"].note == "Insults again"
    assert "Insults again" in page and 'class="badge badge-abuse">Abuse' in page and "Sari" in page
    assert [b.note for b in response.context["past_blocks"]] == ["First warning"]
    assert "Delete All: 2 tickets deleted" in page


# --- Buttons as permission and switch allow ---------------------------------------------------


def buttons(client, contact):
    page = client.get(detail_url(contact)).content.decode()
    return {
        "block": f'href="{reverse("contacts:block", args=[contact.pk])}"' in page,
        "unblock": f'href="{reverse("contacts:unblock", args=[contact.pk])}"' in page,
    }


def test_block_button_needs_the_feature_switched_on(logged_in, agent, set_switches):
    contact = factories.ContactFactory()
    client = logged_in(agent)
    assert buttons(client, contact) == {"block": False, "unblock": False}
    set_switches(block_contacts_enabled=True)
    assert buttons(client, contact) == {"block": True, "unblock": False}


def test_block_button_needs_the_permission(logged_in, contact_viewer, blocking_on):
    assert buttons(logged_in(contact_viewer), factories.ContactFactory()) == {"block": False, "unblock": False}


@pytest.mark.parametrize("switched_on", [True, False])
def test_unblock_button_for_supervisors_even_with_the_feature_off(
    logged_in, supervisor, agent, blocked_contact, set_switches, switched_on
):
    contact = blocked_contact(supervisor)
    set_switches(block_contacts_enabled=switched_on)
    assert buttons(logged_in(supervisor), contact) == {"block": False, "unblock": True}
    assert buttons(logged_in(agent), contact) == {"block": False, "unblock": False}


# --- Escaping -------------------------------------------------------------------------------

EVIL = '<script>alert("x")</script>'


def test_names_and_notes_are_escaped(logged_in, supervisor, blocked_contact):
    contact = blocked_contact(supervisor, name=EVIL, note=f"note {EVIL}")
    client = logged_in(supervisor)
    for url in (LIST, f"{LIST}?tab=blocked", detail_url(contact), reverse("contacts:unblock", args=[contact.pk])):
        page = client.get(url).content.decode()
        assert EVIL not in page, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page, url


def test_search_text_is_escaped(logged_in, agent):
    page = logged_in(agent).get(LIST, {"q": EVIL}).content.decode()
    assert EVIL not in page
    assert errors.BLOCKING_DISABLED not in page
