"""Block a contact from the console: the form, the POST, its refusals and the database after."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from blockdesk import errors
from contacts.models import AuditEntry, Block, Contact
from tests import factories
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db

BLOCKED_TAB = f"{reverse('contacts:list')}?tab=blocked"


def block_url(contact):
    return reverse("contacts:block", args=[contact.pk])


@pytest.fixture
def budi(channel):
    contact = factories.ContactFactory(name="Budi")
    factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.UNASSIGNED)
    return contact


def notices(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- The form -------------------------------------------------------------------------------


def test_the_form_offers_reason_note_and_resolve_checked(logged_in, agent, blocking_on, budi):
    response = logged_in(agent).get(block_url(budi))
    page = response.content.decode()
    assert response.status_code == 200
    for reason in ("spam", "abuse", "other"):
        assert f'name="reason" value="{reason}"' in page
    assert 'name="reason" value="spam" checked' in page
    assert 'name="note"' in page
    assert 'name="resolve_open_tickets" value="on" checked' in page
    assert "Resolve this contact's open tickets" in page


def test_the_form_is_a_dialog_partial_for_htmx(logged_in, agent, blocking_on, budi):
    page = logged_in(agent).get(block_url(budi), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and 'id="dialog-title"' in page and "data-dialog-close" in page


def test_the_form_carries_a_safe_next_and_drops_an_unsafe_one(logged_in, agent, blocking_on, budi):
    client = logged_in(agent)
    assert 'name="next" value="/tickets/7/"' in client.get(block_url(budi), {"next": "/tickets/7/"}).content.decode()
    assert 'name="next"' not in client.get(block_url(budi), {"next": "https://evil.example/"}).content.decode()


def test_the_form_is_refused_with_the_feature_off(logged_in, agent, budi):
    response = logged_in(agent).get(block_url(budi))
    assert response.status_code == 403
    assert errors.BLOCKING_DISABLED in response.content.decode()


def test_the_form_of_a_blocked_contact_says_so(logged_in, supervisor, blocking_on, blocked_contact):
    contact = blocked_contact(supervisor)
    page = logged_in(supervisor).get(block_url(contact)).content.decode()
    assert "is already blocked" in page and 'name="reason"' not in page


# --- Blocking -------------------------------------------------------------------------------


def test_block_resolves_open_tickets_and_lands_in_the_blocked_tab(logged_in, agent, blocking_on, budi):
    client = logged_in(agent)
    response = client.post(block_url(budi), {"reason": "spam", "note": "Sends ads", "resolve_open_tickets": "on"})
    assert response.status_code == 302
    assert response["Location"] == BLOCKED_TAB
    assert notices(response) == [
        "Budi is blocked. 1 open ticket resolved. New messages from this contact go to the supervisors' Blocked list."
    ]
    budi.refresh_from_db()
    assert budi.is_blocked and budi.blocked_reason == "spam" and budi.blocked_note == "Sends ads"
    assert budi.blocked_by == agent
    block = Block.objects.get(contact=budi)
    assert (block.blocked_by, block.tickets_resolved, block.lifted_at) == (agent, 1, None)
    assert AuditEntry.objects.filter(contact=budi, action=AuditEntry.Action.BLOCKED, actor=agent).count() == 1
    assert list(Ticket.objects.filter(contact=budi).values_list("status", flat=True)) == [TicketStatus.RESOLVED]
    blocked_tab = client.get(BLOCKED_TAB)
    assert [c.pk for c in blocked_tab.context["contacts"]] == [budi.pk]
    assert "Budi is blocked." in blocked_tab.content.decode()


def test_block_without_resolving_leaves_tickets_open(logged_in, supervisor, blocking_on, budi):
    logged_in(supervisor).post(block_url(budi), {"reason": "abuse"})
    budi.refresh_from_db()
    assert budi.is_blocked and budi.blocked_reason == "abuse"
    assert Ticket.objects.get(contact=budi).status == TicketStatus.UNASSIGNED
    assert Block.objects.get(contact=budi).tickets_resolved == 0


def test_block_returns_to_a_safe_next(logged_in, agent, blocking_on, budi):
    response = logged_in(agent).post(block_url(budi), {"reason": "spam", "next": "/tickets/7/"})
    assert response["Location"] == "/tickets/7/"


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_block_ignores_an_unsafe_next(logged_in, agent, blocking_on, budi, unsafe):
    response = logged_in(agent).post(block_url(budi), {"reason": "spam", "next": unsafe})
    assert response["Location"] == BLOCKED_TAB


def test_block_with_an_unknown_reason_is_a_form_error(logged_in, agent, blocking_on, budi):
    response = logged_in(agent).post(block_url(budi), {"reason": "boring"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Contact.objects.get(pk=budi.pk).is_blocked
    assert not Block.objects.exists()


def test_blocking_a_blocked_contact_changes_nothing(logged_in, supervisor, blocking_on, blocked_contact):
    contact = blocked_contact(supervisor, note="first")
    response = logged_in(supervisor).post(block_url(contact), {"reason": "abuse", "note": "second"})
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:detail", args=[contact.pk])
    assert notices(response) == [f"Budi: {errors.ALREADY_BLOCKED}"]
    assert Block.objects.filter(contact=contact).count() == 1
    contact.refresh_from_db()
    assert (contact.blocked_reason, contact.blocked_note) == ("spam", "first")


def test_note_and_name_are_escaped_in_the_notification(logged_in, agent, blocking_on):
    contact = factories.ContactFactory(name="<b>Budi</b>")
    client = logged_in(agent)
    client.post(block_url(contact), {"reason": "spam", "note": "<img src=x onerror=alert(1)>"})
    page = client.get(BLOCKED_TAB).content.decode()
    assert "<b>Budi</b>" not in page and "&lt;b&gt;Budi&lt;/b&gt; is blocked." in page
    detail = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "<img src=x" not in detail and "&lt;img src=x onerror=alert(1)&gt;" in detail


# --- Refusals (permission matrix) -------------------------------------------------------------


def test_a_forged_post_with_the_feature_off_is_refused(logged_in, agent, budi):
    response = logged_in(agent).post(block_url(budi), {"reason": "spam"})
    assert response.status_code == 403
    assert errors.BLOCKING_DISABLED in response.content.decode()
    assert not Contact.objects.get(pk=budi.pk).is_blocked
    assert not Block.objects.exists()
    assert Ticket.objects.get(contact=budi).status == TicketStatus.UNASSIGNED


def test_a_forged_htmx_post_with_the_feature_off_gets_the_dialog_partial(logged_in, agent, budi):
    response = logged_in(agent).post(block_url(budi), {"reason": "spam"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert "<html" not in response.content.decode() and errors.BLOCKING_DISABLED in response.content.decode()


def test_without_the_permission_is_403(logged_in, contact_viewer, blocking_on, budi):
    client = logged_in(contact_viewer)
    assert client.get(block_url(budi)).status_code == 403
    response = client.post(block_url(budi), {"reason": "spam"})
    assert response.status_code == 403
    assert errors.NO_PERMISSION_BLOCK in response.content.decode()
    assert not Contact.objects.get(pk=budi.pk).is_blocked


def test_a_user_without_a_role_is_403(logged_in, nobody, blocking_on, budi):
    assert logged_in(nobody).post(block_url(budi), {"reason": "spam"}).status_code == 403
    assert not Contact.objects.get(pk=budi.pk).is_blocked


def test_anonymous_is_sent_to_login(client, blocking_on, budi):
    response = client.post(block_url(budi), {"reason": "spam"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Contact.objects.get(pk=budi.pk).is_blocked


def test_unknown_contact_is_404(logged_in, agent, blocking_on):
    assert logged_in(agent).post("/contacts/999999/block/", {"reason": "spam"}).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405(logged_in, agent, blocking_on, budi, method):
    assert getattr(logged_in(agent), method)(block_url(budi)).status_code == 405


def test_csrf_is_enforced(csrf_client, agent, blocking_on, budi):
    client = csrf_client(agent)
    assert client.post(block_url(budi), {"reason": "spam"}).status_code == 403
    assert not Contact.objects.get(pk=budi.pk).is_blocked
    # The form itself carries the token, so a browser's POST goes through.
    form = client.get(block_url(budi))
    token = form.cookies["csrftoken"].value
    response = client.post(block_url(budi), {"reason": "spam", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Contact.objects.get(pk=budi.pk).is_blocked
