"""Timed blocks in the console: the form's choices, its refusals, and where the end is shown."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from blockdesk import errors
from blockdesk.display import format_when
from contacts.block_ends import block_end
from contacts.blocking import block_contact
from contacts.models import Block, Contact
from tests import factories
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def budi(channel):
    contact = factories.ContactFactory(name="Budi")
    factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.UNASSIGNED)
    return contact


def _post(client, contact, **fields):
    return client.post(reverse("contacts:block", args=[contact.pk]), {"reason": "spam", **fields})


def test_the_form_offers_every_duration_with_forever_chosen(logged_in, agent, blocking_on, budi):
    page = logged_in(agent).get(reverse("contacts:block", args=[budi.pk])).content.decode()
    for value in ("forever", "1h", "1d", "7d", "30d", "date"):
        assert f'<option value="{value}"' in page
    assert '<option value="forever" selected>' in page
    assert 'type="date"' in page and 'name="until"' in page


def test_a_day_block_ends_in_a_day_and_the_notice_says_when(logged_in, agent, blocking_on, budi):
    before = timezone.now()
    response = _post(logged_in(agent), budi, duration="1d")
    assert response.status_code == 302
    block = Block.objects.get(contact=budi)
    assert before + timedelta(days=1) <= block.ends_at <= timezone.now() + timedelta(days=1)
    [notice] = [str(m) for m in get_messages(response.wsgi_request)]
    assert notice.startswith(f"Budi is blocked until {format_when(block.ends_at)}.")


def test_until_a_date_blocks_through_that_day(logged_in, agent, blocking_on, budi):
    day = timezone.localdate() + timedelta(days=10)
    _post(logged_in(agent), budi, duration="date", until=day.isoformat())
    assert Contact.objects.get(pk=budi.pk).blocked_until == block_end("date", day)


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"duration": "date"}, errors.BLOCK_DATE_MISSING),
        ({"duration": "date", "until": "2020-01-01"}, errors.BLOCK_END_PAST),
        ({"duration": "2w"}, errors.BLOCK_DURATION_INVALID),
        ({"duration": "date", "until": "next week"}, "Enter the date as YYYY-MM-DD."),
    ],
)
def test_a_wrong_end_comes_back_in_the_form_and_blocks_nobody(logged_in, agent, blocking_on, budi, fields, refusal):
    response = _post(logged_in(agent), budi, **fields)
    assert response.status_code == 200
    assert refusal in response.content.decode()
    assert not Contact.objects.get(pk=budi.pk).is_blocked


def test_the_360_view_and_both_blocked_lists_show_the_end(logged_in, supervisor, blocking_on, channel):
    timed = factories.ContactFactory(name="Timed")
    forever = factories.ContactFactory(name="Forever")
    until = timezone.now() + timedelta(days=2)
    block_contact(actor=supervisor, contact=timed, reason="spam", until=until)
    block_contact(actor=supervisor, contact=forever, reason="spam")
    factories.TicketFactory(contact=timed, channel=channel, status=TicketStatus.BLOCKED)
    client = logged_in(supervisor)

    detail = client.get(reverse("contacts:detail", args=[timed.pk])).content.decode()
    assert f"{format_when(until)} — then it lifts by itself, as Unblock All" in detail
    assert "Never: until someone unblocks" in client.get(reverse("contacts:detail", args=[forever.pk])).content.decode()
    contacts_tab = client.get(reverse("contacts:list"), {"tab": "blocked"}).content.decode()
    assert f"ends {format_when(until)}" in contacts_tab and "no end" in contacts_tab
    blocked_list = client.get(reverse("tickets:supervisor"), {"queue": "blocked"}).content.decode()
    assert "Block ends" in blocked_list and format_when(until) in blocked_list


def test_the_date_field_is_not_needed_for_a_duration(logged_in, agent, blocking_on, budi):
    response = _post(logged_in(agent), budi, duration="1h", until="")
    assert response.status_code == 302
    assert Contact.objects.get(pk=budi.pk).blocked_until is not None
