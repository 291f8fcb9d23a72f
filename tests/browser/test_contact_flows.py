"""Contacts flows in a real Chromium, clicking as a person would.

An administrator switches blocking on; an agent blocks a contact from the 360
view dialog; a supervisor unblocks one contact with Unblock All and another
with Delete All. Screenshots of each main screen go to artifacts/screenshots/.
"""

import re

import pytest
from django.utils import timezone

from contacts.blocking import block_contact
from contacts.models import Block, BlockReason, Contact
from settings_app.models import SystemSettings
from tests import factories
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)


def expect_text(locator, text):
    from playwright.sync_api import expect

    expect(locator).to_contain_text(text)


def blocked_contact(by, name, *, tickets, messages):
    contact = factories.ContactFactory(name=name)
    block_contact(actor=by, contact=contact, reason=BlockReason.SPAM, note="Sends ads")
    for _ in range(tickets):
        channel = factories.ChannelFactory()
        factories.ContactIdentityFactory(contact=contact, channel=channel)
        ticket = factories.TicketFactory(
            contact=contact, channel=channel, status=TicketStatus.BLOCKED, message_count=messages
        )
        factories.MessageFactory.create_batch(messages, ticket=ticket, sent_at=timezone.now())
    return contact


def test_login_page(page, live_server, screenshot):
    page.goto(f"{live_server.url}/login/")
    expect_text(page.locator("h1"), "Log in to BlockDesk")
    screenshot(page, "login")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "login-390")


def test_administrator_switches_blocking_on(page, live_server, login, screenshot, administrator):
    from playwright.sync_api import expect

    login(page, administrator)
    page.get_by_role("link", name="System settings").click()
    expect(page.get_by_role("heading", name="System settings")).to_be_visible()
    expect(
        page.get_by_text("contacts already blocked stay blocked, and supervisors can still unblock them")
    ).to_be_visible()
    screenshot(page, "settings")
    page.get_by_label("Block contacts").check()
    page.get_by_role("button", name="Save settings").click()
    expect_text(page.locator("#notifications"), "blocking contacts is on")
    expect(page.get_by_label("Block contacts")).to_be_checked()
    assert SystemSettings.objects.get().block_contacts_enabled

    # Notifications can be dismissed (console.js, no inline script).
    page.locator("#notifications .notice-close").first.click()
    expect(page.locator("#notifications .notice")).to_have_count(0)


def test_agent_blocks_a_contact_from_the_360_dialog(page, live_server, login, screenshot, agent, channel, blocking_on):
    from playwright.sync_api import expect

    budi = factories.ContactFactory(name="Budi", phone="+6281234567890")
    factories.ContactIdentityFactory(contact=budi, channel=channel)
    factories.TicketFactory(contact=budi, channel=channel, status=TicketStatus.ASSIGNED, assignee=agent)
    factories.ContactFactory.create_batch(6)

    console_errors, failed_urls = [], []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("response", lambda response: response.status >= 400 and failed_urls.append(response.url))
    login(page, agent)
    page.goto(f"{live_server.url}/contacts/")
    screenshot(page, "contacts")

    dialog = page.locator("#dialog")
    page.get_by_role("link", name="Budi", exact=True).click()
    expect(dialog).to_be_visible()
    expect_text(dialog.locator("#dialog-title"), "Budi")
    expect_text(dialog, "+6281234567890")
    screenshot(page, "contact-360")

    # Escape closes the dialog; the row opens it again.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.locator("tr.row-link", has_text="Budi").locator("td").nth(1).click()
    expect(dialog).to_be_visible()

    dialog.get_by_role("link", name="Block", exact=True).click()
    expect(dialog.get_by_text("Resolve this contact's open tickets")).to_be_visible()
    expect(dialog.get_by_label("Resolve this contact's open tickets")).to_be_checked()
    screenshot(page, "block-form")
    dialog.get_by_label("Abuse").check()
    dialog.get_by_label("Note").fill("Threatens agents")
    dialog.get_by_role("button", name="Block Budi").click()

    expect(page).to_have_url(re.compile(r"/contacts/\?tab=blocked$"))
    expect_text(page.locator("#notifications"), "Budi is blocked.")
    expect(page.locator(".tab.active")).to_contain_text("Blocked")
    expect(page.locator("table.contacts tbody tr")).to_have_count(1)
    expect_text(page.locator("table.contacts tbody"), "Budi")

    budi.refresh_from_db()
    assert budi.is_blocked and budi.blocked_reason == "abuse" and budi.blocked_note == "Threatens agents"
    assert Ticket.objects.get(contact=budi).status == TicketStatus.RESOLVED

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "contacts-blocked-390")
    # Nothing refused by the Content-Security-Policy, no script errors, no missing files (but the favicon).
    assert [url for url in failed_urls if not url.endswith("/favicon.ico")] == []
    assert [text for text in console_errors if "Failed to load resource" not in text] == []


def test_agent_sees_no_block_button_with_the_feature_off(page, live_server, login, agent):
    from playwright.sync_api import expect

    factories.ContactFactory(name="Budi")
    login(page, agent)
    page.goto(f"{live_server.url}/contacts/")
    page.get_by_role("link", name="Budi", exact=True).click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name="Block", exact=True)).to_have_count(0)
    dialog.locator(".actions").get_by_role("link", name="Close", exact=True).click()
    expect(dialog).to_be_hidden()


def test_supervisor_unblocks_with_unblock_all_and_with_delete_all(
    page, live_server, login, screenshot, supervisor, blocking_on
):
    from playwright.sync_api import expect

    citra = blocked_contact(supervisor, "Citra", tickets=2, messages=3)
    dewi = blocked_contact(supervisor, "Dewi", tickets=2, messages=4)
    dewi_ticket_ids = list(Ticket.objects.filter(contact=dewi).values_list("id", flat=True))

    login(page, supervisor)
    page.goto(f"{live_server.url}/contacts/?tab=blocked")
    expect(page.locator(".tab.active .count")).to_have_text("2")
    dialog = page.locator("#dialog")

    # Citra: Unblock All moves her blocked tickets to Unassigned (the BOT is off).
    page.get_by_role("link", name="Citra", exact=True).click()
    expect_text(dialog, "Sends ads")
    dialog.get_by_role("link", name="Unblock", exact=True).click()
    expect_text(dialog, "2 blocked tickets")
    expect_text(dialog, "6 messages")
    expect(dialog.get_by_role("button")).to_have_count(2)  # Unblock All, Delete All
    expect(dialog.get_by_role("link", name="Cancel")).to_be_visible()
    screenshot(page, "unblock-confirmation")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "unblock-confirmation-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Cancel changes nothing.
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Contact.objects.get(pk=citra.pk).is_blocked

    page.get_by_role("link", name="Citra", exact=True).click()
    dialog.get_by_role("link", name="Unblock", exact=True).click()
    dialog.get_by_role("button", name="Unblock All").click()
    expect_text(page.locator("#notifications"), "Citra is unblocked; 2 blocked tickets moved to Unassigned.")
    expect(page.locator(".tab.active .count")).to_have_text("1")
    expect(page.locator("table.contacts tbody")).not_to_contain_text("Citra")

    # Dewi: Delete All removes her blocked tickets and their messages.
    page.get_by_role("link", name="Dewi", exact=True).click()
    dialog.get_by_role("link", name="Unblock", exact=True).click()
    expect_text(dialog, "2 blocked tickets and 8 messages")
    dialog.get_by_role("button", name="Delete All").click()
    expect_text(page.locator("#notifications"), "Dewi is unblocked; 2 tickets and 8 messages deleted.")
    expect(page.locator(".tab.active .count")).to_have_text("0")
    expect_text(page.locator("main"), "No blocked contacts")

    # The lists and the database agree.
    page.goto(f"{live_server.url}/contacts/")
    for name in ("Citra", "Dewi"):
        expect(page.locator("tr.row-link", has_text=name).locator(".badge-active")).to_be_visible()
    page.get_by_role("link", name="Citra", exact=True).click()
    expect(dialog.locator(".badge-unassigned")).to_have_count(2)
    page.keyboard.press("Escape")
    page.get_by_role("link", name="Dewi", exact=True).click()
    expect_text(dialog, "No tickets you can see.")

    assert set(Ticket.objects.filter(contact=citra).values_list("status", flat=True)) == {TicketStatus.UNASSIGNED}
    assert not Ticket.objects.filter(id__in=dewi_ticket_ids).exists()
    assert not Message.objects.filter(ticket_id__in=dewi_ticket_ids).exists()
    assert not Contact.objects.filter(pk__in=[citra.pk, dewi.pk], is_blocked=True).exists()
    assert Block.objects.get(contact=dewi).messages_deleted == 8
