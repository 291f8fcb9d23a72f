"""Block selected, from the contacts list: the ticks, the confirmation that counts, one reason and end for all."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from blockdesk import errors
from contacts.blocking import BULK_BLOCK_MAX, block_contact
from contacts.models import AuditEntry, Block, Contact
from tests import factories
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db

BULK = "/contacts/block/"


@pytest.fixture
def three(channel):
    people = [factories.ContactFactory(name=name) for name in ("Ani", "Budi", "Cici")]
    factories.TicketFactory(contact=people[0], channel=channel, status=TicketStatus.UNASSIGNED)
    factories.TicketFactory(contact=people[1], channel=channel, status=TicketStatus.UNASSIGNED)
    return people


def _notices(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_list_offers_ticks_to_who_may_block(logged_in, agent, supervisor, blocking_on, three):
    page = logged_in(agent).get("/contacts/").content.decode()
    assert 'id="bulk-block-form"' in page
    assert f'name="contact" value="{three[0].pk}" form="bulk-block-form"' in page


def test_no_ticks_with_blocking_off(logged_in, agent, three):
    page = logged_in(agent).get("/contacts/").content.decode()
    assert "bulk-block-form" not in page


def test_the_confirmation_counts_contacts_and_open_tickets_and_changes_nothing(logged_in, agent, blocking_on, three):
    response = logged_in(agent).post(BULK, {"contact": [c.pk for c in three]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Block 3 contacts?" in page
    assert "3 contacts with 2 open tickets between them" in page
    assert not Contact.objects.filter(is_blocked=True).exists()


def test_confirming_blocks_all_with_one_reason_and_end(logged_in, agent, blocking_on, three):
    before = timezone.now()
    response = logged_in(agent).post(
        BULK,
        {
            "contact": [c.pk for c in three],
            "reason": "abuse",
            "duration": "7d",
            "confirm": "on",
            "note": "ring",
            "resolve_open_tickets": "on",
        },
    )
    assert response.status_code == 302
    assert _notices(response) == ["3 contacts blocked, 2 open tickets resolved."]
    blocks = Block.objects.order_by("contact_id")
    assert [(b.contact_id, b.reason, b.note, b.blocked_by_id) for b in blocks] == [
        (c.pk, "abuse", "ring", agent.pk) for c in three
    ]
    assert all(before + timedelta(days=7) <= b.ends_at <= timezone.now() + timedelta(days=7) for b in blocks)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.BLOCKED).count() == 3
    assert not Ticket.objects.filter(status=TicketStatus.UNASSIGNED).exists()


def test_contacts_blocked_already_are_left_as_they_were_and_named(logged_in, supervisor, blocking_on, three):
    block_contact(actor=supervisor, contact=three[2], reason="other", note="first")
    response = logged_in(supervisor).post(
        BULK, {"contact": [c.pk for c in three], "reason": "spam", "confirm": "on", "resolve_open_tickets": "on"}
    )
    assert _notices(response) == [
        "2 contacts blocked, 2 open tickets resolved. Already blocked, left as they were: Cici."
    ]
    assert Block.objects.get(contact=three[2]).note == "first"


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        ({}, errors.NO_CONTACTS_SELECTED),
        ({"contact": ["abc"]}, errors.BAD_CONTACT_SELECTION),
        ({"contact": [str(n) for n in range(1, BULK_BLOCK_MAX + 2)]}, errors.TOO_MANY_CONTACTS.format(limit=200)),
    ],
)
def test_a_bad_selection_is_refused_on_the_list(logged_in, agent, blocking_on, three, data, refusal):
    response = logged_in(agent).post(BULK, {**data, "reason": "spam", "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/contacts/"
    assert _notices(response) == [refusal]
    assert not Contact.objects.filter(is_blocked=True).exists()


def test_an_unknown_contact_is_a_404_and_blocks_nobody(logged_in, agent, blocking_on, three):
    response = logged_in(agent).post(BULK, {"contact": [three[0].pk, 999999], "reason": "spam", "confirm": "on"})
    assert response.status_code == 404
    assert errors.CONTACTS_GONE in response.content.decode()
    assert not Contact.objects.filter(is_blocked=True).exists()


def test_a_wrong_end_comes_back_on_the_confirmation(logged_in, agent, blocking_on, three):
    data = {"contact": [three[0].pk], "reason": "spam", "duration": "date", "until": "2020-01-01", "confirm": "on"}
    response = logged_in(agent).post(BULK, data)
    assert response.status_code == 200
    assert errors.BLOCK_END_PAST in response.content.decode()
    assert not Contact.objects.filter(is_blocked=True).exists()


def test_unticked_resolve_leaves_open_tickets_open(logged_in, agent, blocking_on, three):
    response = logged_in(agent).post(BULK, {"contact": [three[0].pk], "reason": "spam", "confirm": "on"})
    assert _notices(response) == ["1 contact blocked."]
    assert Ticket.objects.get(contact=three[0]).status == TicketStatus.UNASSIGNED


def test_get_is_not_allowed(logged_in, agent, blocking_on):
    assert logged_in(agent).get(BULK).status_code == 405
