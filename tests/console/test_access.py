"""Access, tightened: seeing tickets needs tickets.view_ticket; blocked counts need tickets.view_blocked_ticket.

Code checks permissions, not groups, so each test gives a person exactly the permissions it is about.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import escape

from blockdesk import errors
from contacts.blocking import BlockedTicketCounts
from contacts.models import Contact
from tests import factories
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def _person(username: str, *dotted: str):
    user = factories.UserFactory(username=username)
    for name in dotted:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def test_without_view_ticket_no_ticket_is_read_in_the_console(logged_in):
    """Working tickets and seeing contacts is not seeing tickets: not even the Unassigned queue."""
    worker = _person("worker", "tickets.work_ticket", "tickets.view_all_tickets", "contacts.view_contact")
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)
    client = logged_in(worker)

    detail = client.get(reverse("tickets:detail", args=[ticket.pk]))
    agent_board = client.get(reverse("tickets:agent"))
    supervisor_board = client.get(reverse("tickets:supervisor"))
    counts = client.get(reverse("tickets:queue_live", args=["agent"]))
    history = client.get(reverse("contacts:detail", args=[ticket.contact.pk]))

    assert detail.status_code == 404
    for refused in (agent_board, supervisor_board, counts):
        assert refused.status_code == 403
        assert escape(errors.NO_PERMISSION_VIEW_TICKETS) in refused.content.decode()
    assert history.status_code == 200
    assert list(history.context["tickets"]) == []
    assert f"#{ticket.pk}" not in history.content.decode()


def test_with_view_ticket_the_same_ticket_is_read(logged_in):
    reader = _person("reader", "tickets.view_ticket", "tickets.work_ticket", "contacts.view_contact")
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)
    client = logged_in(reader)

    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 200
    assert list(client.get(reverse("contacts:detail", args=[ticket.contact.pk])).context["tickets"]) == [ticket]


@pytest.fixture
def unblocker(db):
    """May unblock contacts but not see the Blocked list (an administrator can make such a role)."""
    return _person("unblocker", "contacts.view_contact", "contacts.unblock_contact")


def test_the_360_view_shows_blocked_counts_only_to_who_may_see_the_blocked_list(
    logged_in, supervisor, unblocker, blocked_contact
):
    budi = blocked_contact(supervisor, tickets=2, messages=3)
    url = reverse("contacts:detail", args=[budi.pk])

    theirs = logged_in(supervisor).get(url)
    assert theirs.context["blocked_counts"] == BlockedTicketCounts(tickets=2, messages=6)
    assert "Blocked tickets</dt>" in theirs.content.decode()

    hidden = logged_in(unblocker).get(url)
    assert hidden.context["blocked_counts"] is None
    assert "Blocked tickets</dt>" not in hidden.content.decode()
    assert hidden.context["can_unblock"]  # the Unblock button stays: unblocking is their permission


def test_the_unblock_confirmation_names_no_counts_to_who_may_not_see_blocked_tickets(
    logged_in, supervisor, unblocker, blocked_contact
):
    """Decided: they may still unblock (the domain rule and the API are unchanged), without the numbers."""
    budi = blocked_contact(supervisor, tickets=2, messages=3)
    client = logged_in(unblocker)

    page = client.get(reverse("contacts:unblock", args=[budi.pk])).content.decode()
    assert "blocked-tickets" not in page and "6 message" not in page and "2 blocked ticket" not in page
    assert "which you cannot see" in page and "Unblock All" in page and "Delete All" in page

    response = client.post(reverse("contacts:unblock", args=[budi.pk]), {"choice": "unblock_all"})
    assert response.status_code == 302
    assert not Contact.objects.get(pk=budi.pk).is_blocked
    assert not Ticket.objects.filter(contact=budi, status=TicketStatus.BLOCKED).exists()


def test_an_invalid_unblock_choice_from_someone_who_may_not_see_counts_names_none(
    logged_in, supervisor, unblocker, blocked_contact
):
    budi = blocked_contact(supervisor, tickets=2, messages=3)
    response = logged_in(unblocker).post(reverse("contacts:unblock", args=[budi.pk]), {"choice": "explode"})
    page = response.content.decode()
    assert response.status_code == 200
    assert errors.INVALID_UNBLOCK_CHOICE in page
    assert "blocked-tickets" not in page and "6 message" not in page


def test_bulk_actions_check_the_actions_permission_before_the_selection(logged_in):
    """May see the Blocked list but not unblock or delete: a bad selection is refused for the permission."""
    reader = _person("reader", "tickets.view_ticket", "tickets.view_all_tickets", "tickets.view_blocked_ticket")
    client = logged_in(reader)
    for name, text in (
        ("tickets:bulk_unblock", errors.NO_PERMISSION_UNBLOCK_TICKET),
        ("tickets:bulk_delete", errors.NO_PERMISSION_DELETE_TICKET),
    ):
        response = client.post(reverse(name), {"ticket": "not-a-number"})
        assert response.status_code == 403
        assert escape(text) in response.content.decode()


def test_a_reply_is_refused_before_its_text_is_read(logged_in, agent):
    """An agent writing in an unassigned ticket is told it is not theirs, not that the text is empty."""
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)
    for name, field in (("tickets:reply", "reply-text"), ("tickets:note", "note-text")):
        response = logged_in(agent).post(reverse(name, args=[ticket.pk]), {field: ""})
        assert response.status_code == 403
        assert escape(errors.TICKET_NOT_YOURS) in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).message_count == 0
