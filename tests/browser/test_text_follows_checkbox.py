"""Text that follows a checkbox, in a real Chromium: the settings' On/Off labels and the block form's outcome."""

import pytest

from tests.inbound import deliver
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_settings_label_follows_its_checkbox(page, live_server, login, screenshot, administrator):
    from playwright.sync_api import expect

    login(page, administrator)
    page.goto(f"{live_server.url}/settings/")
    bot = page.get_by_label("BOT", exact=True)
    saved_off = page.locator('[data-unchecked-for="id_bot_enabled"]')
    unsaved_on = page.locator('[data-checked-for="id_bot_enabled"]')
    expect(saved_off).to_have_text("Currently Off")
    expect(saved_off).to_be_visible()
    expect(unsaved_on).to_be_hidden()

    bot.check()
    expect(unsaved_on).to_have_text("On, not saved yet")
    expect(unsaved_on).to_be_visible()
    expect(saved_off).to_be_hidden()
    screenshot(page, "settings-bot-unsaved")

    bot.uncheck()
    expect(saved_off).to_be_visible()
    expect(unsaved_on).to_be_hidden()

    bot.check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator('[data-checked-for="id_bot_enabled"]')).to_have_text("Currently On")
    expect(page.locator('[data-checked-for="id_bot_enabled"]')).to_be_visible()
    expect(page.locator('[data-unchecked-for="id_bot_enabled"]')).to_be_hidden()


def test_the_block_forms_outcome_follows_the_resolve_checkbox(
    page, live_server, login, screenshot, agent, channel, blocking_on
):
    from playwright.sync_api import expect

    routed = deliver(channel, "+6289999999999", "BUY NOW", name="Watch Seller")
    Ticket.objects.filter(pk=routed.ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/{routed.ticket.pk}/")
    page.get_by_role("link", name="Block contact").click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    resolving = dialog.locator(".block-outcome", has_text="Resolving them:")
    leaving = dialog.locator(".block-outcome", has_text="Leaving them open:")
    expect(dialog).to_contain_text(f"#{routed.ticket.pk} · WhatsApp · Assigned · Ana")
    expect(resolving).to_be_visible()
    expect(leaving).to_be_hidden()

    dialog.get_by_label("Resolve this contact's open tickets").uncheck()
    expect(resolving).to_be_hidden()
    expect(leaving).to_be_visible()
    expect(leaving).to_contain_text(
        f"The next message on WhatsApp joins open ticket #{routed.ticket.pk}, assigned to Ana."
    )
    screenshot(page, "block-form-left-open")

    dialog.get_by_role("button", name="Block Watch Seller").click()
    expect(page.locator("#notifications")).to_contain_text(
        f"Watch Seller is blocked. The next message on WhatsApp joins open ticket #{routed.ticket.pk}"
    )
    assert Ticket.objects.get(pk=routed.ticket.pk).status == TicketStatus.ASSIGNED
