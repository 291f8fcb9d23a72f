"""Issue 16 in a real Chromium: filters kept in the URL and the live refresh, a saved reply inserted into the
reply box, a resolved ticket reopened, and the notices counter and list."""

import pytest

from tests import factories
from tests.inbound import deliver
from tickets.models import SavedReply, Ticket, TicketStatus
from tickets.queue import assign_ticket, resolve_ticket, take_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_filters_stay_in_the_url_across_the_live_refresh(page, live_server, login, supervisor):
    whatsapp, telegram = factories.ChannelFactory(name="WhatsApp"), factories.ChannelFactory(name="Telegram")
    deliver(whatsapp, "+628111", "On WhatsApp", name="Wati")
    deliver(telegram, "tg-1", "On Telegram", name="Tomo")
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=unassigned")

    page.locator("#filter-channel").select_option(label="Telegram")
    page.locator("#filter-apply").click()

    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("Tomo")
    assert f"channel={telegram.pk}" in page.url
    deliver(telegram, "tg-2", "Another on Telegram", name="Tina")
    deliver(whatsapp, "+628222", "Another on WhatsApp", name="Wulan")
    expect(page.locator("tbody tr")).to_have_count(2, timeout=15_000)  # the live refresh, still filtered
    expect(page.locator("#queue-rows")).not_to_contain_text("Wulan")


def test_a_saved_reply_is_inserted_into_the_reply_box_with_names_filled(page, live_server, login, agent, channel):
    agent.first_name = "Sari"
    agent.save()
    ticket = take_ticket(actor=agent, ticket=deliver(channel, "+628111", "Where is my parcel?", name="Budi").ticket)
    SavedReply.objects.create(title="Parcel delayed", body="Hello {contact_name}, {agent_name} here: it ships today.")
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    page.get_by_label("Insert a saved reply").fill("parcel")
    page.get_by_role("button", name="Parcel delayed").click()

    expect(page.get_by_label("Reply to Budi")).to_have_value(
        f"Hello Budi, {agent.get_full_name()} here: it ships today."
    )


def test_a_resolved_ticket_is_reopened_back_to_its_agent(page, live_server, login, agent, channel):
    ticket = take_ticket(actor=agent, ticket=deliver(channel, "+628111", "Help", name="Budi").ticket)
    resolve_ticket(actor=agent, ticket=ticket)
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    page.get_by_role("button", name="Reopen").click()

    expect(page.locator("#notifications")).to_contain_text(f"Ticket #{ticket.pk} reopened")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ASSIGNED


def test_an_assignment_shows_in_the_notices_counter_and_list(page, live_server, login, supervisor, agent, channel):
    ticket = deliver(channel, "+628111", "Help", name="Budi").ticket
    assign_ticket(actor=supervisor, ticket=ticket, assignee=agent)
    login(page, agent)

    expect(page.locator("#nav-notices .counter")).to_have_text("1")
    page.locator("#nav-notices").click()

    expect(page.locator("#notice-list")).to_contain_text(f"#{ticket.pk} from Budi was assigned to you")
    page.reload()
    expect(page.locator("#nav-notices .counter")).to_have_count(0)
