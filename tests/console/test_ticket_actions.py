"""Every ticket action: the permission matrix, and the database after each one."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from blockdesk import errors
from contacts.models import AuditEntry
from tests import factories
from tickets.models import Message, Ticket, TicketStatus
from tickets.views import REPLY_QUEUED

pytestmark = pytest.mark.django_db

SINGLE_ACTIONS = ["take", "assign", "resolve", "reply", "note", "handover", "unblock", "delete"]
BULK_ACTIONS = ["bulk_unblock", "bulk_delete"]


def _url(name, ticket=None) -> str:
    return reverse(f"tickets:{name}", args=[ticket.pk] if ticket else [])


def _notices(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _blocked(messages=2, **fields) -> Ticket:
    ticket = factories.TicketFactory(status=TicketStatus.BLOCKED, message_count=messages, **fields)
    factories.MessageFactory.create_batch(messages, ticket=ticket)
    return ticket


# --- the matrix ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SINGLE_ACTIONS)
def test_get_on_an_action_is_405(logged_in, supervisor, name):
    ticket = factories.TicketFactory()

    assert logged_in(supervisor).get(_url(name, ticket)).status_code == 405


@pytest.mark.parametrize("name", BULK_ACTIONS)
def test_get_on_a_bulk_action_is_405(logged_in, supervisor, name):
    assert logged_in(supervisor).get(_url(name)).status_code == 405


@pytest.mark.parametrize("name", SINGLE_ACTIONS)
def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, name):
    ticket = _blocked() if name in ("unblock", "delete") else factories.TicketFactory()

    response = client.post(_url(name, ticket), {"text": "hi", "reply-text": "hi", "note-text": "hi"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


@pytest.mark.parametrize("name", BULK_ACTIONS)
def test_anonymous_bulk_post_is_sent_to_login(client, name):
    ticket = _blocked()

    response = client.post(_url(name), {"ticket": [ticket.pk]})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


@pytest.mark.parametrize("name", SINGLE_ACTIONS)
def test_unknown_ticket_is_404(logged_in, supervisor, name):
    assert logged_in(supervisor).post(reverse(f"tickets:{name}", args=[999_999])).status_code == 404


@pytest.mark.parametrize("name", SINGLE_ACTIONS)
def test_csrf_is_enforced(csrf_client, supervisor, name):
    ticket = _blocked() if name in ("unblock", "delete") else factories.TicketFactory()

    response = csrf_client(supervisor).post(_url(name, ticket), {"reply-text": "hi"})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


@pytest.mark.parametrize("name", BULK_ACTIONS)
def test_csrf_is_enforced_on_bulk_actions(csrf_client, supervisor, name):
    ticket = _blocked()

    response = csrf_client(supervisor).post(_url(name), {"ticket": [ticket.pk]})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


@pytest.mark.parametrize("name", ["unblock", "delete"])
def test_agent_cannot_reach_a_blocked_ticket(logged_in, agent, name):
    ticket = _blocked()

    assert logged_in(agent).post(_url(name, ticket)).status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


@pytest.mark.parametrize("name", BULK_ACTIONS)
def test_agent_is_refused_bulk_actions(logged_in, agent, name):
    ticket = _blocked()

    assert logged_in(agent).post(_url(name), {"ticket": [ticket.pk]}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


@pytest.mark.parametrize("name", ["take", "assign", "resolve", "reply", "note", "handover"])
def test_agent_cannot_act_on_another_agents_ticket(logged_in, agent, other_agent, name):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=other_agent)

    response = logged_in(agent).post(_url(name, ticket), {"reply-text": "hi", "note-text": "hi"})

    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).assignee == other_agent


# --- take, assign, hand over -----------------------------------------------------------------------------------


def test_agent_takes_an_unassigned_ticket(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(agent).post(_url("take", ticket))

    assert response.status_code == 302
    assert response.url == _url("detail", ticket)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, agent)
    assert _notices(response) == [f"Ticket #{ticket.pk} is now assigned to you."]


def test_take_of_a_ticket_someone_took_first_explains_and_goes_back(logged_in, agent, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=supervisor)
    back = reverse("tickets:supervisor") + "?queue=unassigned"

    response = logged_in(supervisor).post(_url("take", ticket), {"next": back})

    assert response.url == back
    assert _notices(response) == [errors.TICKET_NOT_UNASSIGNED]


def test_take_ignores_a_next_url_on_another_site(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.RESOLVED, assignee=agent)

    response = logged_in(agent).post(_url("take", ticket), {"next": "https://evil.example/"})

    assert response.url == reverse("home")
    assert _notices(response) == [errors.TICKET_CLOSED]


def test_agent_cannot_see_bot_tickets_to_take_them(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)

    assert logged_in(agent).post(_url("take", ticket)).status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BOT


def test_supervisor_takes_over_from_the_bot(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)

    logged_in(supervisor).post(_url("take", ticket))

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, supervisor)


def test_supervisor_assigns_to_an_agent(logged_in, supervisor, agent):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)
    back = reverse("tickets:supervisor") + "?queue=bot"

    response = logged_in(supervisor).post(_url("assign", ticket), {"assignee": agent.pk, "next": back})

    assert response.url == back
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, agent)
    assert _notices(response) == [f"Ticket #{ticket.pk} assigned to Ana."]


def test_agent_may_not_assign(logged_in, agent, other_agent):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(agent).post(_url("assign", ticket), {"assignee": other_agent.pk})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_assign_to_someone_who_cannot_work_tickets_is_refused(logged_in, supervisor, nobody):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).post(_url("assign", ticket), {"assignee": nobody.pk})

    assert response.status_code == 302
    assert _notices(response) == [errors.ASSIGNEE_CANNOT_WORK]
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNASSIGNED


def test_assign_a_resolved_ticket_is_a_conflict(logged_in, supervisor, agent):
    ticket = factories.TicketFactory(status=TicketStatus.RESOLVED)

    response = logged_in(supervisor).post(_url("assign", ticket), {"assignee": agent.pk})

    assert _notices(response) == [errors.TICKET_CLOSED]
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_notification_text_is_escaped(logged_in, supervisor):
    sneaky = factories.AgentFactory(username="sneaky", first_name="<b>Bold</b>")
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).post(_url("assign", ticket), {"assignee": sneaky.pk}, follow=True)

    html = response.content.decode()
    assert "assigned to &lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<b>Bold</b>" not in html


def test_supervisor_hands_a_bot_ticket_over(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.BOT)

    response = logged_in(supervisor).post(_url("handover", ticket))

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNASSIGNED
    assert _notices(response) == [f"Ticket #{ticket.pk} moved to Unassigned."]


def test_hand_over_of_a_ticket_not_with_the_bot_is_a_conflict(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).post(_url("handover", ticket))

    assert _notices(response) == [errors.TICKET_NOT_WITH_BOT]


# --- reply, note, resolve --------------------------------------------------------------------------------------


def test_agent_replies_on_their_ticket(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent, message_count=1)

    response = logged_in(agent).post(_url("reply", ticket), {"reply-text": "  We are on it.  "})

    assert response.url == _url("detail", ticket)
    message = Message.objects.get(ticket=ticket)
    assert (message.direction, message.body, message.author) == ("out", "We are on it.", agent)
    ticket.refresh_from_db()
    assert ticket.message_count == 2
    assert ticket.last_message_preview == "We are on it."
    assert _notices(response) == [REPLY_QUEUED.format(pk=ticket.pk)]


def test_empty_reply_is_refused(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)

    response = logged_in(agent).post(_url("reply", ticket), {"reply-text": "   "})

    assert _notices(response) == [errors.EMPTY_TEXT]
    assert not Message.objects.exists()


def test_agent_cannot_reply_on_an_unassigned_ticket(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(agent).post(_url("reply", ticket), {"reply-text": "Hi"})

    assert response.status_code == 403
    assert not Message.objects.exists()


def test_reply_on_a_blocked_ticket_is_refused(logged_in, supervisor):
    ticket = _blocked(messages=1)

    response = logged_in(supervisor).post(_url("reply", ticket), {"reply-text": "Hi"})

    assert _notices(response) == [errors.TICKET_IS_BLOCKED]
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_agent_adds_a_note(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)

    response = logged_in(agent).post(_url("note", ticket), {"note-text": "Customer called twice"})

    message = Message.objects.get(ticket=ticket)
    assert (message.direction, message.body) == ("note", "Customer called twice")
    assert _notices(response) == [f"Note added to ticket #{ticket.pk}."]


def test_agent_resolves_their_ticket(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)

    response = logged_in(agent).post(_url("resolve", ticket))

    assert response.url == reverse("home")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.closed_at is not None
    assert _notices(response) == [f"Ticket #{ticket.pk} resolved."]


def test_agent_cannot_resolve_an_unassigned_ticket(logged_in, agent):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    assert logged_in(agent).post(_url("resolve", ticket)).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNASSIGNED


# --- unblock and delete one blocked ticket ---------------------------------------------------------------------


def test_unblock_moves_the_ticket_to_unassigned_with_the_bot_off(logged_in, supervisor):
    ticket = _blocked()

    response = logged_in(supervisor).post(_url("unblock", ticket))

    assert response.url == reverse("tickets:supervisor") + "?queue=blocked"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNASSIGNED
    assert _notices(response) == [f"Ticket #{ticket.pk} moved to Unassigned."]
    assert AuditEntry.objects.get().action == AuditEntry.Action.TICKET_RELEASED


def test_unblock_moves_the_ticket_to_the_bot_when_it_is_on(logged_in, supervisor, bot_on):
    ticket = _blocked()

    response = logged_in(supervisor).post(_url("unblock", ticket))

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BOT
    assert _notices(response) == [f"Ticket #{ticket.pk} moved to BOT."]


def test_unblock_a_ticket_that_is_not_blocked_is_a_conflict(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).post(_url("unblock", ticket))

    assert _notices(response) == [errors.TICKET_NOT_BLOCKED]
    assert not AuditEntry.objects.exists()


def test_unblock_needs_the_permission(logged_in):
    """Someone who may see blocked tickets but not unblock them gets 403, and the ticket stays."""
    reader = factories.UserFactory(username="reader")
    reader.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tickets", codename__in=["view_ticket", "view_all_tickets", "view_blocked_ticket"]
        )
    )
    ticket = _blocked()

    assert logged_in(reader).post(_url("unblock", ticket)).status_code == 403
    assert logged_in(reader).post(_url("delete", ticket)).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


def test_delete_removes_the_ticket_and_its_messages(logged_in, supervisor):
    ticket = _blocked(messages=3)
    kept = _blocked(messages=1)

    response = logged_in(supervisor).post(_url("delete", ticket))

    assert response.url == reverse("tickets:supervisor") + "?queue=blocked"
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Message.objects.filter(ticket_id=ticket.pk).exists()
    assert Message.objects.filter(ticket=kept).count() == 1
    assert _notices(response) == [f"Ticket #{ticket.pk} and its 3 messages deleted."]
    audit = AuditEntry.objects.get()
    assert (audit.action, audit.ticket_id, audit.messages) == (AuditEntry.Action.TICKET_DELETED, ticket.pk, 3)


def test_delete_a_ticket_that_is_not_blocked_is_refused(logged_in, supervisor):
    ticket = factories.TicketFactory(status=TicketStatus.RESOLVED)

    response = logged_in(supervisor).post(_url("delete", ticket))

    assert _notices(response) == [errors.TICKET_NOT_BLOCKED]
    assert Ticket.objects.filter(pk=ticket.pk).exists()


# --- bulk ------------------------------------------------------------------------------------------------------


def test_bulk_unblock_moves_every_selected_ticket(logged_in, supervisor):
    chosen = [_blocked(), _blocked()]
    left = _blocked()

    response = logged_in(supervisor).post(_url("bulk_unblock"), {"ticket": [t.pk for t in chosen]})

    assert response.url == reverse("tickets:supervisor") + "?queue=blocked"
    assert set(Ticket.objects.filter(status=TicketStatus.UNASSIGNED).values_list("pk", flat=True)) == {
        t.pk for t in chosen
    }
    assert Ticket.objects.get(pk=left.pk).status == TicketStatus.BLOCKED
    assert _notices(response) == ["2 tickets moved to Unassigned."]


def test_bulk_delete_removes_tickets_and_messages(logged_in, supervisor):
    chosen = [_blocked(messages=2), _blocked(messages=3)]
    left = _blocked(messages=1)

    response = logged_in(supervisor).post(_url("bulk_delete"), {"ticket": [t.pk for t in chosen]})

    assert list(Ticket.objects.values_list("pk", flat=True)) == [left.pk]
    assert Message.objects.count() == 1
    assert _notices(response) == ["2 tickets and 5 messages deleted."]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TICKET_DELETED).count() == 2


@pytest.mark.parametrize("name", BULK_ACTIONS)
def test_bulk_refuses_the_whole_batch_if_one_is_no_longer_blocked(logged_in, supervisor, name):
    blocked = _blocked()
    released = factories.TicketFactory(status=TicketStatus.UNASSIGNED)
    before = sorted(Ticket.objects.values_list("pk", "status"))
    messages_before = Message.objects.count()

    response = logged_in(supervisor).post(_url(name), {"ticket": [blocked.pk, released.pk]})

    assert _notices(response) == [errors.TICKETS_NOT_BLOCKED]
    assert sorted(Ticket.objects.values_list("pk", "status")) == before
    assert Message.objects.count() == messages_before
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("name", BULK_ACTIONS)
@pytest.mark.parametrize("selection", [[], ["x"], ["1; DROP TABLE"]])
def test_bulk_with_no_valid_selection_changes_nothing(logged_in, supervisor, name, selection):
    ticket = _blocked()

    response = logged_in(supervisor).post(_url(name), {"ticket": selection})

    assert response.status_code == 302
    assert _notices(response) == [errors.NO_TICKETS_SELECTED]
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.BLOCKED


# --- bulk confirmation -----------------------------------------------------------------------------------------


def test_bulk_confirmation_states_tickets_and_messages(logged_in, supervisor):
    chosen = [_blocked(messages=2), _blocked(messages=5)]
    url = reverse("tickets:bulk_confirm")

    delete = logged_in(supervisor).get(url, {"action": "delete", "ticket": [t.pk for t in chosen]})
    unblock = logged_in(supervisor).get(url, {"action": "unblock", "ticket": [t.pk for t in chosen]})

    assert "Delete 2 blocked tickets with 7 messages?" in delete.content.decode()
    assert _url("bulk_delete") in delete.content.decode()
    assert "Unblock 2 blocked tickets with 7 messages? They move to Unassigned" in unblock.content.decode()
    for ticket in chosen:
        assert f'name="ticket" value="{ticket.pk}"' in delete.content.decode()
    assert Ticket.objects.filter(status=TicketStatus.BLOCKED).count() == 2


def test_bulk_confirmation_as_a_dialog_is_a_partial(logged_in, supervisor):
    ticket = _blocked()

    response = logged_in(supervisor).get(
        reverse("tickets:bulk_confirm"), {"action": "delete", "ticket": [ticket.pk]}, headers={"HX-Request": "true"}
    )

    assert "<html" not in response.content.decode()
    assert 'id="dialog-title"' in response.content.decode()


def test_bulk_confirmation_warns_when_a_ticket_is_no_longer_blocked(logged_in, supervisor):
    blocked = _blocked()
    released = factories.TicketFactory(status=TicketStatus.UNASSIGNED)

    response = logged_in(supervisor).get(
        reverse("tickets:bulk_confirm"), {"action": "delete", "ticket": [blocked.pk, released.pk]}
    )

    html = response.content.decode()
    assert errors.TICKETS_NOT_BLOCKED in html
    assert _url("bulk_delete") not in html


def test_bulk_confirmation_without_a_selection_says_so(logged_in, supervisor):
    response = logged_in(supervisor).get(reverse("tickets:bulk_confirm"), {"action": "unblock"})

    assert errors.NO_TICKETS_SELECTED in response.content.decode()


def test_bulk_confirmation_matrix(client, logged_in, agent, supervisor):
    url = reverse("tickets:bulk_confirm")

    assert client.get(url, {"action": "delete"}).status_code == 302
    assert logged_in(agent).get(url, {"action": "delete"}).status_code == 403
    assert logged_in(supervisor).get(url, {"action": "explode"}).status_code == 404
    assert logged_in(supervisor).post(url, {"action": "delete"}).status_code == 405
