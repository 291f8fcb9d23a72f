"""POST /contacts/bulk-block: many contacts, one reason and end, all or nothing."""

import json

import pytest

from blockdesk import errors
from contacts.blocking import block_contact
from contacts.models import Block, Contact
from tests import factories
from tickets.models import TicketStatus

from .conftest import API

pytestmark = pytest.mark.django_db

URL = f"{API}/contacts/bulk-block"


def _post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_blocks_each_and_reports_the_ones_blocked_already(as_user, supervisor, channel, blocking_on):
    fresh = factories.ContactFactory()
    factories.TicketFactory(contact=fresh, channel=channel, status=TicketStatus.UNASSIGNED)
    old = factories.ContactFactory()
    block_contact(actor=supervisor, contact=old, reason="spam")

    response = _post(as_user(supervisor), {"contact_ids": [fresh.pk, old.pk], "reason": "abuse", "duration": "1d"})

    assert response.status_code == 200
    assert response.json() == {"blocked": [fresh.pk], "already_blocked": [old.pk], "tickets_resolved": 1}
    assert Block.objects.get(contact=fresh).ends_at is not None


@pytest.mark.parametrize(
    "body",
    [
        {"contact_ids": [], "reason": "spam"},
        {"contact_ids": list(range(1, 202)), "reason": "spam"},
        {"contact_ids": ["x"], "reason": "spam"},
        {"contact_ids": [23539079536662632497938432], "reason": "spam"},
        {"contact_ids": [-5], "reason": "spam"},
        {"contact_ids": [1], "reason": "nope"},
        {"reason": "spam"},
    ],
)
def test_a_malformed_body_is_a_422(as_user, supervisor, blocking_on, body):
    factories.ContactFactory()
    assert _post(as_user(supervisor), body).status_code == 422
    assert not Contact.objects.filter(is_blocked=True).exists()


def test_an_unknown_id_is_a_404_and_nobody_is_blocked(as_user, supervisor, blocking_on):
    contact = factories.ContactFactory()
    response = _post(as_user(supervisor), {"contact_ids": [contact.pk, 999999], "reason": "spam"})
    assert response.status_code == 404
    assert response.json()["detail"] == errors.CONTACTS_GONE
    assert not Contact.objects.filter(is_blocked=True).exists()


def test_refused_with_blocking_off_and_without_permission(as_user, supervisor, set_switches):
    contact = factories.ContactFactory()
    nobody = factories.UserFactory()
    off = _post(as_user(supervisor), {"contact_ids": [contact.pk], "reason": "spam"})
    assert off.status_code == 403 and off.json()["detail"] == errors.BLOCKING_DISABLED
    set_switches(block_contacts_enabled=True)
    assert _post(as_user(nobody), {"contact_ids": [contact.pk], "reason": "spam"}).status_code == 403
    assert not Contact.objects.filter(is_blocked=True).exists()
