"""Unblock a contact from the console: the confirmation, Unblock All, Delete All, refusals."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from blockdesk import errors
from contacts.models import AuditEntry, Block, Contact, UnblockChoice
from tests import factories
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

BLOCKED_TAB = f"{reverse('contacts:list')}?tab=blocked"


def unblock_url(contact):
    return reverse("contacts:unblock", args=[contact.pk])


def notices(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def budi(supervisor, blocked_contact):
    """Budi, blocked, with 2 blocked tickets holding 3 messages each."""
    return blocked_contact(supervisor, name="Budi", tickets=2, messages=3)


# --- The confirmation -------------------------------------------------------------------------


def test_confirmation_offers_exactly_unblock_all_delete_all_and_cancel(logged_in, supervisor, budi):
    response = logged_in(supervisor).get(unblock_url(budi), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('type="submit"') == 2  # the partial alone: no logout button around it
    assert 'name="choice" value="unblock_all"' in page and ">Unblock All</button>" in page
    assert 'name="choice" value="delete_all"' in page and ">Delete All</button>" in page
    assert ">Cancel</a>" in page
    assert '2 blocked tickets</strong> with <strong class="blocked-messages">6 messages' in page
    assert "move its 2 blocked tickets to Unassigned" in page
    assert "delete its 2 blocked tickets and 6 messages" in page


def test_confirmation_names_the_bot_when_it_is_on(logged_in, supervisor, budi, bot_on):
    assert "move its 2 blocked tickets to BOT" in logged_in(supervisor).get(unblock_url(budi)).content.decode()


def test_confirmation_is_a_dialog_partial_for_htmx(logged_in, supervisor, budi):
    page = logged_in(supervisor).get(unblock_url(budi), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and 'id="dialog-title"' in page


def test_confirmation_for_a_contact_that_is_not_blocked(logged_in, supervisor):
    contact = factories.ContactFactory(name="Ani")
    page = logged_in(supervisor).get(unblock_url(contact)).content.decode()
    assert "Ani is not blocked." in page and 'name="choice"' not in page


# --- Unblocking -----------------------------------------------------------------------------


def test_unblock_all_moves_blocked_tickets_to_unassigned(logged_in, supervisor, budi):
    client = logged_in(supervisor)
    response = client.post(unblock_url(budi), {"choice": "unblock_all"})
    assert response.status_code == 302 and response["Location"] == BLOCKED_TAB
    assert notices(response) == ["Budi is unblocked; 2 blocked tickets moved to Unassigned."]
    budi.refresh_from_db()
    assert not budi.is_blocked and budi.blocked_at is None
    statuses = list(Ticket.objects.filter(contact=budi).values_list("status", flat=True))
    assert statuses == [TicketStatus.UNASSIGNED, TicketStatus.UNASSIGNED]
    block = Block.objects.get(contact=budi)
    assert (block.lifted_by, block.lifted_with, block.tickets_released) == (supervisor, "unblock_all", 2)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UNBLOCKED_ALL, contact=budi).count() == 1
    assert client.get(BLOCKED_TAB).context["contacts"].__len__() == 0


def test_unblock_all_moves_blocked_tickets_to_the_bot_when_it_is_on(logged_in, supervisor, budi, bot_on):
    response = logged_in(supervisor).post(unblock_url(budi), {"choice": "unblock_all"})
    assert notices(response) == ["Budi is unblocked; 2 blocked tickets moved to BOT."]
    assert set(Ticket.objects.filter(contact=budi).values_list("status", flat=True)) == {TicketStatus.BOT}


def test_unblock_all_without_blocked_tickets(logged_in, supervisor, blocked_contact):
    contact = blocked_contact(supervisor, name="Ani", tickets=0)
    response = logged_in(supervisor).post(unblock_url(contact), {"choice": "unblock_all"})
    assert notices(response) == ["Ani is unblocked; no blocked tickets."]


def test_delete_all_deletes_blocked_tickets_and_their_messages(logged_in, supervisor, budi):
    kept = factories.TicketFactory(contact=budi, status=TicketStatus.RESOLVED)
    factories.MessageFactory(ticket=kept)
    response = logged_in(supervisor).post(unblock_url(budi), {"choice": "delete_all"})
    assert notices(response) == ["Budi is unblocked; 2 tickets and 6 messages deleted."]
    assert not Contact.objects.get(pk=budi.pk).is_blocked
    assert list(Ticket.objects.filter(contact=budi)) == [kept]
    assert Message.objects.filter(ticket__contact=budi).count() == 1
    block = Block.objects.get(contact=budi)
    assert (block.lifted_with, block.tickets_deleted, block.messages_deleted) == ("delete_all", 2, 6)


def test_unblock_works_with_the_feature_switched_off(logged_in, supervisor, budi, set_switches):
    set_switches(block_contacts_enabled=False)
    response = logged_in(supervisor).post(unblock_url(budi), {"choice": UnblockChoice.UNBLOCK_ALL})
    assert response.status_code == 302
    assert not Contact.objects.get(pk=budi.pk).is_blocked


def test_unblock_returns_to_a_safe_next_only(logged_in, supervisor, blocked_contact):
    first, second = blocked_contact(supervisor, name="A"), blocked_contact(supervisor, name="B")
    client = logged_in(supervisor)
    assert client.post(unblock_url(first), {"choice": "unblock_all", "next": "/tickets/"})["Location"] == "/tickets/"
    unsafe = client.post(unblock_url(second), {"choice": "unblock_all", "next": "https://evil.example/"})
    assert unsafe["Location"] == BLOCKED_TAB


def test_unblocking_a_contact_that_is_not_blocked_changes_nothing(logged_in, supervisor):
    contact = factories.ContactFactory(name="Ani")
    response = logged_in(supervisor).post(unblock_url(contact), {"choice": "delete_all"})
    assert response.status_code == 302 and response["Location"] == reverse("contacts:detail", args=[contact.pk])
    assert notices(response) == [f"Ani: {errors.NOT_BLOCKED}"]
    assert not Block.objects.exists()


@pytest.mark.parametrize("data", [{}, {"choice": "everything"}])
def test_a_missing_or_unknown_choice_asks_again(logged_in, supervisor, budi, data):
    response = logged_in(supervisor).post(unblock_url(budi), data)
    assert response.status_code == 200
    assert errors.INVALID_UNBLOCK_CHOICE in response.content.decode()
    assert Contact.objects.get(pk=budi.pk).is_blocked
    assert Ticket.objects.filter(contact=budi, status=TicketStatus.BLOCKED).count() == 2


# --- Refusals (permission matrix) -------------------------------------------------------------


def test_agents_cannot_unblock(logged_in, agent, budi):
    client = logged_in(agent)
    assert client.get(unblock_url(budi)).status_code == 403
    response = client.post(unblock_url(budi), {"choice": "delete_all"})
    assert response.status_code == 403
    assert errors.NO_PERMISSION_UNBLOCK in response.content.decode()
    assert Contact.objects.get(pk=budi.pk).is_blocked
    assert Ticket.objects.filter(contact=budi, status=TicketStatus.BLOCKED).count() == 2


def test_a_user_without_a_role_is_403(logged_in, nobody, budi):
    assert logged_in(nobody).post(unblock_url(budi), {"choice": "unblock_all"}).status_code == 403
    assert Contact.objects.get(pk=budi.pk).is_blocked


def test_anonymous_is_sent_to_login(client, budi):
    response = client.post(unblock_url(budi), {"choice": "unblock_all"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Contact.objects.get(pk=budi.pk).is_blocked


def test_unknown_contact_is_404(logged_in, supervisor):
    assert logged_in(supervisor).post("/contacts/999999/unblock/", {"choice": "unblock_all"}).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405(logged_in, supervisor, budi, method):
    assert getattr(logged_in(supervisor), method)(unblock_url(budi)).status_code == 405


def test_csrf_is_enforced(csrf_client, supervisor, budi):
    client = csrf_client(supervisor)
    assert client.post(unblock_url(budi), {"choice": "delete_all"}).status_code == 403
    assert Ticket.objects.filter(contact=budi).count() == 2
    token = client.get(unblock_url(budi)).cookies["csrftoken"].value
    client.post(unblock_url(budi), {"choice": "delete_all", "csrfmiddlewaretoken": token})
    assert Ticket.objects.filter(contact=budi).count() == 0
