"""Staff API for contacts: list, detail, block, unblock — permissions, errors and database state."""

import json

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from blockdesk import errors
from blockdesk.api_auth import BAD_PERSONAL_TOKEN, NO_PERSONAL_TOKEN
from blockdesk.errors import NO_PERMISSION_VIEW_CONTACTS
from contacts.access import CONTACT_NOT_FOUND
from contacts.blocking import block_contact
from contacts.models import AuditEntry, Block, Contact
from tests import factories
from tickets.models import Message, Ticket, TicketStatus

from .conftest import API, bearer

pytestmark = pytest.mark.django_db


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def spammer(channel, supervisor, blocking_on):
    """A blocked contact with one blocked ticket of 3 messages."""
    contact = factories.ContactFactory(name="Spam Bot")
    block_contact(actor=supervisor, contact=contact, reason="spam", note="crypto offers")
    ticket = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.BLOCKED, message_count=3)
    factories.MessageFactory.create_batch(3, ticket=ticket)
    return contact


@pytest.fixture
def viewer(db):
    """A signed-in person who may see contacts and nothing else."""
    user = factories.UserFactory(username="viewer")
    user.user_permissions.add(*_perms("contacts.view_contact"))
    return user


def _perms(*dotted):
    from django.contrib.auth.models import Permission

    return [Permission.objects.get(content_type__app_label=d.split(".")[0], codename=d.split(".")[1]) for d in dotted]


# Authentication ----------------------------------------------------------------------------------


def test_missing_token_answers_401(client):
    response = client.get(f"{API}/contacts")

    assert response.status_code == 401
    assert response.json() == {"detail": NO_PERSONAL_TOKEN}


def test_revoked_token_answers_401(client, supervisor):
    token, raw = ApiToken.issue(user=supervisor)
    token.revoke()

    response = client.get(f"{API}/contacts", headers=bearer(raw))

    assert response.status_code == 401
    assert response.json() == {"detail": BAD_PERSONAL_TOKEN}


def test_token_of_an_inactive_user_answers_401(client, supervisor, token_for):
    raw = token_for(supervisor)
    supervisor.is_active = False
    supervisor.save()

    assert client.get(f"{API}/contacts", headers=bearer(raw)).status_code == 401


def test_channel_token_is_not_a_personal_token(client, channel_token):
    assert client.get(f"{API}/contacts", headers=bearer(channel_token)).status_code == 401


def test_session_login_is_not_enough(client, supervisor):
    client.force_login(supervisor)

    assert client.get(f"{API}/contacts").status_code == 401


# List ----------------------------------------------------------------------------------------------


def test_list_answers_items_and_count(as_user, supervisor, spammer):
    factories.ContactFactory(name="Ani")

    response = as_user(supervisor).get(f"{API}/contacts")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [c["name"] for c in body["items"]] == ["Ani", "Spam Bot"]
    blocked = body["items"][1]
    assert blocked["is_blocked"] is True
    assert blocked["block"]["reason"] == "spam"
    assert blocked["block"]["note"] == "crypto offers"
    assert blocked["block"]["blocked_by"] == {"id": supervisor.pk, "username": "supervisor", "name": "Sari"}
    assert blocked["block"]["blocked_at"]
    assert body["items"][0]["block"] is None
    assert set(body["items"][0]) >= {"id", "name", "phone", "email", "is_blocked", "block"}


@pytest.mark.parametrize(("blocked", "names"), [("true", ["Spam Bot"]), ("false", ["Ani"])])
def test_list_filters_by_blocked(as_user, supervisor, spammer, blocked, names):
    factories.ContactFactory(name="Ani")

    body = as_user(supervisor).get(f"{API}/contacts", {"blocked": blocked}).json()

    assert [c["name"] for c in body["items"]] == names
    assert body["count"] == 1


def test_list_searches_name_phone_and_email(as_user, agent):
    factories.ContactFactory(name="Budi", phone="+628111", email="budi@example.com")
    factories.ContactFactory(name="Citra", phone="+628222", email="citra@example.com")
    client = as_user(agent)

    assert [c["name"] for c in client.get(f"{API}/contacts", {"q": "bud"}).json()["items"]] == ["Budi"]
    assert [c["name"] for c in client.get(f"{API}/contacts", {"q": "8222"}).json()["items"]] == ["Citra"]
    assert [c["name"] for c in client.get(f"{API}/contacts", {"q": "citra@"}).json()["items"]] == ["Citra"]


def test_list_pages_with_limit_and_offset(as_user, supervisor):
    for name in "ABCDE":
        factories.ContactFactory(name=name)

    body = as_user(supervisor).get(f"{API}/contacts", {"limit": 2, "offset": 2}).json()

    assert [c["name"] for c in body["items"]] == ["C", "D"]
    assert body["count"] == 5


def test_default_page_is_50(as_user, supervisor):
    factories.ContactFactory.create_batch(51)

    body = as_user(supervisor).get(f"{API}/contacts").json()

    assert (len(body["items"]), body["count"]) == (50, 51)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"blocked": "maybe"}, "blocked"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00"}, "q"),
    ],
)
def test_bad_list_parameters_answer_422(as_user, supervisor, params, field):
    response = as_user(supervisor).get(f"{API}/contacts", params)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert field in response.json()["detail"]


def test_list_costs_the_same_queries_for_3_or_30_contacts(as_user, supervisor, blocking_on):
    client = as_user(supervisor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/contacts", {"limit": 200}).status_code == 200
        return len(captured)

    queries()  # the token's first use of the minute also notes last_used_at; count the reads after it
    for contact in factories.ContactFactory.create_batch(3):
        block_contact(actor=supervisor, contact=contact, reason="spam")
    few = queries()
    for contact in factories.ContactFactory.create_batch(27):
        block_contact(actor=factories.SupervisorFactory(), contact=contact, reason="spam")
    many = queries()

    assert few == many


def test_list_without_view_permission_answers_403(as_user):
    nobody = factories.UserFactory(username="nobody")

    response = as_user(nobody).get(f"{API}/contacts")

    assert response.status_code == 403
    assert response.json() == {"detail": NO_PERMISSION_VIEW_CONTACTS}


# Detail ----------------------------------------------------------------------------------------------


def test_detail_adds_identities_and_blocked_ticket_counts(as_user, supervisor, spammer, channel):
    factories.ContactIdentityFactory(contact=spammer, channel=channel, external_id="+6299")

    response = as_user(supervisor).get(f"{API}/contacts/{spammer.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == spammer.pk
    assert body["identities"] == [
        {"channel": {"id": channel.pk, "name": "WhatsApp", "kind": "whatsapp"}, "external_id": "+6299"}
    ]
    assert body["blocked_tickets"] == {"tickets": 1, "messages": 3}


def test_detail_of_an_unknown_contact_answers_404(as_user, supervisor):
    response = as_user(supervisor).get(f"{API}/contacts/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": CONTACT_NOT_FOUND}


def test_detail_without_view_permission_answers_404(as_user, spammer):
    assert as_user(factories.UserFactory(username="nobody")).get(f"{API}/contacts/{spammer.pk}").status_code == 404


@pytest.mark.parametrize("contact_id", ["abc", "0", str(2**63)])
def test_detail_with_a_bad_id_answers_422(as_user, supervisor, contact_id):
    response = as_user(supervisor).get(f"{API}/contacts/{contact_id}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contact_id"


# Block -----------------------------------------------------------------------------------------------


def test_block_blocks_and_resolves_open_tickets(as_user, agent, channel, blocking_on):
    contact = factories.ContactFactory()
    ticket = factories.TicketFactory(contact=contact, channel=channel)

    response = post_json(
        as_user(agent), f"{API}/contacts/{contact.pk}/block", {"reason": "abuse", "note": "  shouting  "}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["tickets_resolved"] == 1
    assert body["contact"]["is_blocked"] is True
    assert body["contact"]["block"]["reason"] == "abuse"
    assert body["contact"]["block"]["note"] == "shouting"
    contact.refresh_from_db()
    assert contact.is_blocked
    assert Block.objects.get(contact=contact).blocked_by == agent
    assert AuditEntry.objects.get(contact=contact).action == AuditEntry.Action.BLOCKED
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED


def test_block_can_leave_open_tickets_open(as_user, supervisor, channel, blocking_on):
    contact = factories.ContactFactory()
    ticket = factories.TicketFactory(contact=contact, channel=channel)

    body = post_json(
        as_user(supervisor), f"{API}/contacts/{contact.pk}/block", {"reason": "spam", "close_open_tickets": False}
    ).json()

    assert body["tickets_resolved"] == 0
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.UNASSIGNED


def test_block_with_the_feature_off_answers_403_saying_so(as_user, supervisor):
    contact = factories.ContactFactory()

    response = post_json(as_user(supervisor), f"{API}/contacts/{contact.pk}/block", {"reason": "spam"})

    assert response.status_code == 403
    assert response.json() == {"detail": errors.BLOCKING_DISABLED}
    contact.refresh_from_db()
    assert not contact.is_blocked


def test_block_without_permission_answers_403(as_user, viewer, blocking_on):
    contact = factories.ContactFactory()

    response = post_json(as_user(viewer), f"{API}/contacts/{contact.pk}/block", {"reason": "spam"})

    assert response.status_code == 403
    assert response.json() == {"detail": errors.NO_PERMISSION_BLOCK}


def test_blocking_a_blocked_contact_answers_409(as_user, supervisor, spammer):
    response = post_json(as_user(supervisor), f"{API}/contacts/{spammer.pk}/block", {"reason": "spam"})

    assert response.status_code == 409
    assert response.json() == {"detail": errors.ALREADY_BLOCKED}
    assert Block.objects.filter(contact=spammer).count() == 1


def test_block_unknown_contact_answers_404(as_user, supervisor, blocking_on):
    assert post_json(as_user(supervisor), f"{API}/contacts/999999/block", {"reason": "spam"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"), [({}, "reason"), ({"reason": "rude"}, "reason"), ({"reason": "spam", "note": 5}, "note")]
)
def test_block_with_bad_values_answers_422(as_user, supervisor, blocking_on, body, field):
    contact = factories.ContactFactory()

    response = post_json(as_user(supervisor), f"{API}/contacts/{contact.pk}/block", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_block_with_a_body_that_is_not_json_answers_400(as_user, supervisor, blocking_on):
    contact = factories.ContactFactory()

    response = as_user(supervisor).post(f"{API}/contacts/{contact.pk}/block", "spam", content_type="application/json")

    assert response.status_code == 400


def test_block_by_get_answers_405(as_user, supervisor):
    assert as_user(supervisor).get(f"{API}/contacts/1/block").status_code == 405


# Unblock -------------------------------------------------------------------------------------------


def test_unblock_all_releases_blocked_tickets(as_user, supervisor, spammer):
    response = post_json(as_user(supervisor), f"{API}/contacts/{spammer.pk}/unblock", {"tickets": "unblock_all"})

    assert response.status_code == 200
    body = response.json()
    assert (body["released"], body["deleted"], body["messages_deleted"]) == (1, 0, 0)
    assert body["contact"]["is_blocked"] is False
    assert body["contact"]["block"] is None
    assert Ticket.objects.get(contact=spammer).status == TicketStatus.UNASSIGNED
    assert Block.objects.get(contact=spammer).lifted_with == "unblock_all"


def test_delete_all_deletes_blocked_tickets_and_messages(as_user, supervisor, spammer):
    response = post_json(as_user(supervisor), f"{API}/contacts/{spammer.pk}/unblock", {"tickets": "delete_all"})

    assert response.status_code == 200
    body = response.json()
    assert (body["released"], body["deleted"], body["messages_deleted"]) == (0, 1, 3)
    assert not Ticket.objects.filter(contact=spammer).exists()
    assert not Message.objects.filter(ticket__contact=spammer).exists()
    assert Block.objects.get(contact=spammer).messages_deleted == 3


def test_unblock_works_with_the_feature_switched_off(as_user, supervisor, spammer, set_switches):
    set_switches(block_contacts_enabled=False)

    response = post_json(as_user(supervisor), f"{API}/contacts/{spammer.pk}/unblock", {"tickets": "unblock_all"})

    assert response.status_code == 200


def test_agent_cannot_unblock(as_user, agent, spammer):
    response = post_json(as_user(agent), f"{API}/contacts/{spammer.pk}/unblock", {"tickets": "unblock_all"})

    assert response.status_code == 403
    assert response.json() == {"detail": errors.NO_PERMISSION_UNBLOCK}
    assert Contact.objects.get(pk=spammer.pk).is_blocked


def test_unblocking_a_contact_that_is_not_blocked_answers_409(as_user, supervisor):
    contact = factories.ContactFactory()

    response = post_json(as_user(supervisor), f"{API}/contacts/{contact.pk}/unblock", {"tickets": "unblock_all"})

    assert response.status_code == 409
    assert response.json() == {"detail": errors.NOT_BLOCKED}


@pytest.mark.parametrize("body", [{}, {"tickets": "keep"}, {"tickets": None}])
def test_unblock_needs_a_valid_choice(as_user, supervisor, spammer, body):
    response = post_json(as_user(supervisor), f"{API}/contacts/{spammer.pk}/unblock", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tickets"


def test_unblock_unknown_contact_answers_404(as_user, supervisor):
    response = post_json(as_user(supervisor), f"{API}/contacts/999999/unblock", {"tickets": "unblock_all"})

    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_block_over_real_http(live_server, supervisor, token_for, blocking_on):
    contact = factories.ContactFactory()

    response = requests.post(
        f"{live_server.url}{API}/contacts/{contact.pk}/block",
        json={"reason": "spam", "note": "", "close_open_tickets": True},
        headers=bearer(token_for(supervisor)),
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json()["contact"]["is_blocked"] is True


@pytest.mark.parametrize(("persona", "counts"), [("agent", None), ("supervisor", {"tickets": 1, "messages": 3})])
def test_blocked_counts_only_for_who_may_see_the_blocked_list(request, as_user, spammer, persona, counts):
    """Agents may see contacts but not blocked tickets: the detail gives them no counts."""
    response = as_user(request.getfixturevalue(persona)).get(f"{API}/contacts/{spammer.pk}")

    assert response.status_code == 200
    assert response.json()["blocked_tickets"] == counts
