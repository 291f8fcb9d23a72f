"""Every sentence the console shows about where messages go, in each state, is what routing then does."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from contacts.blocking import block_contact
from tests import factories
from tests.inbound import deliver
from tickets.destination import ALL_TO_BLOCKED_LIST, OTHERS_TO_BLOCKED_LIST
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db

ADDRESS = "+628111"


def block_url(contact):
    return reverse("contacts:block", args=[contact.pk])


def detail_url(contact):
    return reverse("contacts:detail", args=[contact.pk])


def ticket_url(ticket):
    return reverse("tickets:detail", args=[ticket.pk])


@pytest.fixture
def telegram(db):
    return factories.ChannelFactory(name="Telegram")


@pytest.fixture
def budi(channel, telegram, agent, other_agent):
    """Budi: an identity on Telegram (no ticket) and open tickets on WhatsApp (Ana's) and Line (Ben's)."""
    contact = factories.ContactFactory(name="Budi", phone=ADDRESS)
    factories.ContactIdentityFactory(contact=contact, channel=telegram, external_id=ADDRESS)
    factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    line = factories.ChannelFactory(name="Line")
    factories.TicketFactory(contact=contact, channel=line, status=TicketStatus.ASSIGNED, assignee=other_agent)
    return contact


def _tickets(contact):
    return {t.channel.name: t for t in Ticket.objects.filter(contact=contact).select_related("channel")}


# --- The block form: what it resolves, and where messages go either way -----------------------------


def test_the_block_form_lists_the_tickets_it_resolves_and_whose_they_are(logged_in, agent, blocking_on, budi):
    tickets = _tickets(budi)
    page = logged_in(agent).get(block_url(budi)).content.decode()

    assert "Budi has 2 open tickets:" in page
    # Ana's own ticket links to it; Ben's, which Ana may not open, is listed as text.
    line, whatsapp = tickets["Line"], tickets["WhatsApp"]
    assert f"<li>#{line.pk} · Line · Assigned · Ben</li>" in page
    assert f'<li><a href="{ticket_url(whatsapp)}">#{whatsapp.pk}</a> · WhatsApp · Assigned · Ana</li>' in page


def test_the_block_form_names_the_bot_and_unassigned_queues(logged_in, supervisor, blocking_on, channel, telegram):
    contact = factories.ContactFactory(name="Budi")
    bot = factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.BOT)
    waiting = factories.TicketFactory(contact=contact, channel=telegram, status=TicketStatus.UNASSIGNED)

    page = logged_in(supervisor).get(block_url(contact)).content.decode()

    assert f'<a href="{ticket_url(waiting)}">#{waiting.pk}</a> · Telegram · Unassigned · Unassigned</li>' in page
    assert f'<a href="{ticket_url(bot)}">#{bot.pk}</a> · WhatsApp · BOT · BOT</li>' in page


def test_the_block_form_says_where_messages_go_when_resolving_and_when_not(logged_in, agent, blocking_on, budi):
    tickets = _tickets(budi)
    page = logged_in(agent).get(block_url(budi)).content.decode()

    box = f"block-resolve-{budi.pk}"
    assert f'data-checked-for="{box}"><strong>Resolving them:</strong> {escape(ALL_TO_BLOCKED_LIST)}</p>' in page
    left_open = (
        f"The next message on Line joins open ticket #{tickets['Line'].pk}, assigned to Ben. "
        f"The next message on WhatsApp joins open ticket #{tickets['WhatsApp'].pk}, assigned to Ana. "
        f"{OTHERS_TO_BLOCKED_LIST}"
    )
    assert f'data-unchecked-for="{box}"><strong>Leaving them open:</strong> {escape(left_open)}</p>' in page
    assert "From now on, messages from" not in page


def test_the_block_form_of_a_contact_without_open_tickets_has_one_outcome(logged_in, agent, blocking_on, telegram):
    contact = factories.ContactFactory(name="Citra")
    factories.ContactIdentityFactory(contact=contact, channel=telegram)

    page = logged_in(agent).get(block_url(contact)).content.decode()

    assert f'<p class="help block-outcome">Citra has no open tickets. {escape(ALL_TO_BLOCKED_LIST)}</p>' in page
    assert '<input type="hidden" name="resolve_open_tickets" value="on">' in page
    assert 'type="checkbox"' not in page and "Leaving them open" not in page


@pytest.mark.parametrize("tickets", [1, 15])
def test_the_block_form_costs_the_same_queries_for_1_or_15_open_tickets(
    logged_in, agent, other_agent, blocking_on, tickets, django_assert_num_queries
):
    contact = factories.ContactFactory(name="Budi")
    for n in range(tickets):
        owner = agent if n % 2 else other_agent
        factories.TicketFactory(contact=contact, status=TicketStatus.ASSIGNED, assignee=owner)
    client = logged_in(agent)
    # session, user, permissions, contact (the switches read in its statement), its channels,
    # its open tickets, which of them Ana may open
    with django_assert_num_queries(7):
        page = client.get(block_url(contact)).content.decode()
    assert f"Budi has {tickets} open ticket" in page


def test_blocking_without_resolving_says_the_open_ticket_takes_the_next_message(logged_in, agent, blocking_on, channel):
    first = deliver(channel, ADDRESS)

    response = logged_in(agent).post(block_url(first.contact), {"reason": "spam"})

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Budi is blocked. The next message on WhatsApp joins open ticket #{first.ticket.pk} in the Unassigned queue."
    ]
    assert deliver(channel, ADDRESS).ticket.pk == first.ticket.pk


# --- The 360 view: per channel -----------------------------------------------------------------------


def test_the_360_view_says_an_unassigned_ticket_takes_the_next_message_with_the_bot_on(
    logged_in, supervisor, channel, telegram, set_switches
):
    ticket = deliver(channel, ADDRESS).ticket
    factories.ContactIdentityFactory(contact=ticket.contact, channel=telegram, external_id="tg-1")
    set_switches(bot_enabled=True)

    page = logged_in(supervisor).get(detail_url(ticket.contact)).content.decode()

    assert "<li>The next message on Telegram opens a new ticket with the BOT.</li>" in page
    assert f"<li>The next message on WhatsApp joins open ticket #{ticket.pk} in the Unassigned queue.</li>" in page
    assert "reach the BOT" not in page
    assert deliver(channel, ADDRESS).ticket.pk == ticket.pk
    assert deliver(telegram, "tg-1").ticket.status == TicketStatus.BOT


def test_the_360_view_of_a_blocked_contact_points_to_the_blocked_list(
    logged_in, supervisor, channel, blocking_on, set_switches
):
    contact = deliver(channel, ADDRESS).contact
    block_contact(actor=supervisor, contact=contact, reason="spam")

    page = logged_in(supervisor).get(detail_url(contact)).content.decode()

    sentence = "The next message on WhatsApp goes to a new blocked ticket in the supervisors' Blocked list."
    assert f"<li>{escape(sentence)}</li>" in page


def test_the_360_view_of_a_contact_no_channel_knows(logged_in, supervisor):
    page = logged_in(supervisor).get(detail_url(factories.ContactFactory())).content.decode()
    assert "No channel knows this contact yet, so no message can arrive." in page


# --- A resolved ticket ------------------------------------------------------------------------------


def test_a_blocked_contacts_resolved_ticket_says_the_next_message_goes_to_the_blocked_list(
    logged_in, supervisor, channel, blocking_on
):
    ticket = deliver(channel, ADDRESS).ticket
    block_contact(actor=supervisor, contact=ticket.contact, reason="spam")

    page = logged_in(supervisor).get(ticket_url(ticket)).content.decode()

    assert (
        escape(
            "This ticket is resolved. The next message on WhatsApp goes to a new blocked ticket "
            "in the supervisors' Blocked list."
        )
        in page
    )
    assert "opens a new ticket" not in page


def test_a_resolved_ticket_says_a_newer_open_ticket_takes_the_next_message(logged_in, supervisor, channel, bot_on):
    old = deliver(channel, ADDRESS).ticket
    Ticket.objects.filter(pk=old.pk).update(status=TicketStatus.RESOLVED)
    newer = deliver(channel, ADDRESS).ticket

    page = logged_in(supervisor).get(ticket_url(old)).content.decode()

    assert f"This ticket is resolved. The next message on WhatsApp joins open ticket #{newer.pk} with the BOT." in page


def test_a_resolved_ticket_of_an_active_contact_opens_a_new_ticket(logged_in, supervisor, channel):
    ticket = deliver(channel, ADDRESS).ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.RESOLVED)

    page = logged_in(supervisor).get(ticket_url(ticket)).content.decode()

    assert "This ticket is resolved. The next message on WhatsApp opens a new ticket in the Unassigned queue." in page


# --- The assignee sees who resolved the ticket and why -----------------------------------------------


def test_the_assignee_reads_in_the_timeline_who_blocked_and_resolved_the_ticket(
    logged_in, agent, supervisor, blocking_on, channel
):
    ticket = deliver(channel, ADDRESS).ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)
    logged_in(supervisor).post(block_url(ticket.contact), {"reason": "spam", "resolve_open_tickets": "on"})

    page = logged_in(agent).get(ticket_url(ticket)).content.decode()

    assert "Sari · note" in page and "Contact blocked by Sari (spam): ticket resolved." in page
