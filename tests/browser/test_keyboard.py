"""The console from the keyboard, in a real Chromium (keyboard.js).

j/k move through a list and Enter opens the row; r, typing and Ctrl+Enter send
a reply and e resolves; ? opens the help and Esc closes it; b opens the block
dialog; every dialog gives the focus back to what opened it; keys typed in a
field stay in the field.
"""

import pytest

from tests import factories
from tests.inbound import deliver
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def focused(page) -> str:
    """The focused element, told by its id, else its tag and text."""
    return page.evaluate("(e => e.id || e.tagName + ':' + e.textContent.trim())(document.activeElement)")


@pytest.fixture
def three_tickets(channel):
    for phone, name in (("+628111", "Ani"), ("+628222", "Budi"), ("+628333", "Citra")):
        deliver(channel, phone, f"Hello from {name}", name=name)
    return list(Ticket.objects.order_by("-last_message_at", "-id"))


def test_j_k_and_enter_through_the_supervisors_list(page, live_server, login, supervisor, three_tickets, screenshot):
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=unassigned")
    links = page.locator("[data-keyboard-list] tr.row-link a.row-title").evaluate_all("all => all.map(a => a.id)")
    assert len(links) == 3

    page.keyboard.press("j")
    assert focused(page) == links[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # the last row stays the last
    assert focused(page) == links[2]
    page.keyboard.press("k")
    assert focused(page) == links[1]
    expect(page.locator("tr.row-link").nth(1)).to_have_css("background-color", "rgb(232, 238, 252)")
    screenshot(page, "keyboard-list")

    second = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text(second)
    assert page.url.endswith(f"/tickets/{Ticket.objects.get(contact__name=second).pk}/")

    page.go_back()
    page.keyboard.press("j")
    chosen = page.evaluate("document.activeElement.textContent.trim()")
    assert chosen in {ticket.contact.name for ticket in three_tickets}
    page.keyboard.press("o")
    expect(page.locator("h1")).to_contain_text(chosen)


@pytest.mark.parametrize("send", ["Control+Enter", "Meta+Enter"])
def test_r_typing_and_ctrl_enter_send_a_reply_and_e_resolves(page, live_server, login, agent, channel, send):
    ticket = deliver(channel, "+628444", "Where is my parcel?", name="Dewi").ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    page.keyboard.press("r")
    expect(page.get_by_label("Reply to Dewi")).to_be_focused()
    expect(page.get_by_label("Reply to Dewi")).to_have_value("")  # the r itself is not typed
    page.keyboard.type("It arrives tomorrow, Dewi.")
    page.keyboard.press(send)

    expect(page.locator(".message.out")).to_contain_text("It arrives tomorrow, Dewi.")
    assert Message.objects.filter(ticket=ticket, direction=Message.Direction.OUT, author=agent).count() == 1

    page.keyboard.press("e")
    expect(page.locator("#notifications")).to_contain_text(f"Ticket #{ticket.pk} resolved.")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_keys_typed_in_a_field_stay_in_the_field(page, live_server, login, supervisor, three_tickets):
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=unassigned")
    search = page.get_by_label("Search contacts, tickets and messages")
    search.click()
    page.keyboard.type("jk?o")
    expect(search).to_have_value("jk?o")
    expect(search).to_be_focused()
    expect(page.locator("#keyboard-help")).not_to_be_visible()

    page.goto(f"{live_server.url}/tickets/{three_tickets[0].pk}/")
    Ticket.objects.filter(pk=three_tickets[0].pk).update(status=TicketStatus.ASSIGNED, assignee=supervisor)
    page.reload()
    reply = page.get_by_label(f"Reply to {three_tickets[0].contact.name}")
    reply.click()
    page.keyboard.type("j")
    page.keyboard.type("erb")
    expect(reply).to_have_value("jerb")
    expect(reply).to_be_focused()
    expect(page.locator("#dialog")).not_to_be_visible()
    assert Ticket.objects.get(pk=three_tickets[0].pk).status == TicketStatus.ASSIGNED


def test_question_mark_opens_the_help_and_esc_gives_the_focus_back(
    page, live_server, login, supervisor, three_tickets, screenshot
):
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=unassigned")
    page.keyboard.press("j")
    row_link = focused(page)

    page.keyboard.press("?")
    help_overlay = page.locator("#keyboard-help")
    expect(help_overlay).to_be_visible()
    expect(help_overlay.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    expect(help_overlay.get_by_role("button", name="Close")).to_be_focused()
    screenshot(page, "keyboard-help")
    page.keyboard.press("j")  # the list behind the overlay does not move
    page.keyboard.press("Escape")
    expect(help_overlay).not_to_be_visible()
    assert focused(page) == row_link

    page.keyboard.press("?")
    help_overlay.get_by_role("button", name="Close").click()
    expect(help_overlay).not_to_be_visible()
    assert focused(page) == row_link

    page.set_viewport_size({"width": 390, "height": 844})
    page.keyboard.press("?")
    expect(help_overlay.get_by_role("button", name="Close")).to_be_in_viewport()
    screenshot(page, "keyboard-help-390")
    page.keyboard.press("Escape")
    expect(help_overlay).not_to_be_visible()


def test_b_opens_the_block_dialog_and_esc_gives_the_focus_back(
    page, live_server, login, supervisor, channel, blocking_on
):
    ticket = deliver(channel, "+628555", "Cheap pills", name="Eko").ticket
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    page.keyboard.press("b")
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading", name="Block Eko?")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    expect(page.get_by_role("link", name="Block contact")).to_be_focused()
    ticket.contact.refresh_from_db()
    assert not ticket.contact.is_blocked


def test_dialogs_opened_from_the_contacts_list_give_the_focus_back_to_the_row(
    page, live_server, login, supervisor, channel, blocking_on
):
    for name in ("Fajar", "Gita"):
        contact = factories.ContactFactory(name=name)
        factories.ContactIdentityFactory(contact=contact, channel=channel)
    login(page, supervisor)
    page.goto(f"{live_server.url}/contacts/")

    page.keyboard.press("j")
    row_link = focused(page)
    name = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")  # the 360 view opens in the dialog
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading", name=name)).to_be_visible()

    page.keyboard.press("b")  # from the 360 view, its Block button: the block form in the same dialog
    expect(dialog.get_by_role("heading", name=f"Block {name}?")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    assert focused(page) == row_link

    page.keyboard.press("o")
    expect(dialog.get_by_role("heading", name=name)).to_be_visible()
    dialog.get_by_role("link", name="Close").first.click()
    expect(dialog).not_to_be_visible()
    assert focused(page) == row_link


def test_ctrl_enter_in_the_block_forms_note_blocks_nobody(page, live_server, login, supervisor, channel, blocking_on):
    ticket = deliver(channel, "+628666", "Hello", name="Hadi").ticket
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.keyboard.press("b")
    note = page.locator("#dialog").get_by_label("Note")
    note.click()
    page.keyboard.type("Sends ads")
    page.keyboard.press("Control+Enter")

    expect(note).to_be_visible()
    ticket.contact.refresh_from_db()
    assert not ticket.contact.is_blocked
