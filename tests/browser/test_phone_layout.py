"""Every main page, as the role that sees it, at 390 px (a phone) and 1280 px: nothing wider than the screen.

At 390 px the navigation folds behind a Menu button that opens and shows the links; at 1280 px the links are
in the bar. Each page is saved to artifacts/screenshots/<width>-<page>.png.
"""

import pytest

from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests.inbound import deliver
from tickets import outbox, queue
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# A preview and a note with no place to break: the pages must wrap or cut them, never widen.
LONG_WORD = "https://shop.example.com/orders/" + "A1B2C3D4" * 12


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def console(supervisor, agent, administrator, channel, blocking_on, set_switches):
    """A day's console: every queue has tickets, one contact is blocked and wrote again, the audit has rows."""
    waiting = deliver(channel, "+6281200000001", f"My parcel is late {LONG_WORD}", name="Maria Fernanda de la Cruz")
    mine = deliver(channel, "+6281200000002", "Can I change my address?", name="Budi Santoso")
    queue.take_ticket(actor=agent, ticket=mine.ticket)
    outbox.send_reply(actor=agent, ticket=mine.ticket, text="Of course, which address?")
    done = deliver(channel, "+6281200000003", "Thanks, all good", name="Citra")
    queue.take_ticket(actor=agent, ticket=done.ticket)
    queue.resolve_ticket(actor=agent, ticket=done.ticket)
    spam = deliver(channel, "+6281200000004", "Cheap crypto", name="Spammy Sam")
    block_contact(actor=supervisor, contact=spam.contact, reason=BlockReason.SPAM, note=LONG_WORD)
    deliver(channel, "+6281200000004", f"Buy now {LONG_WORD}", name="Spammy Sam")
    set_switches(bot_enabled=True)
    deliver(channel, "+6281200000005", "Hi bot", name="Dewi")
    return {"waiting": waiting.ticket, "mine": mine.ticket, "spammer": spam.contact, "talker": mine.contact}


def _overflow(page) -> int:
    """How many pixels the page is wider than the window (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _check_menu(page, width, screenshot=None, screenshot_name=""):
    button = page.get_by_role("button", name="Menu")
    links = page.locator("#main-nav a")
    if width == PHONE["width"]:
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(links.first).to_be_hidden()
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        for link in links.all():
            expect(link).to_be_visible()
        assert _overflow(page) <= 0
        if screenshot_name:
            screenshot(page, screenshot_name)
        page.keyboard.press("Escape")
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(button).to_be_focused()
        expect(links.first).to_be_hidden()
    else:
        expect(button).to_be_hidden()
        for link in links.all():
            expect(link).to_be_visible()


def _visit(page, live_server, screenshot, width, name, path, *, status=200, menu=True):
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == status, path
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0, f"{name} is {_overflow(page)} px wider than {width} px"
    if menu:
        _check_menu(page, width, screenshot, f"{width}-{name}-menu" if name == "supervisor-bot" else "")
    screenshot(page, f"{width}-{name}")


@pytest.fixture(params=[PHONE, DESKTOP], ids=["390", "1280"])
def sized(request, browser):
    context = browser.new_context(viewport=request.param)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page, request.param["width"]
    context.close()


def test_supervisor_pages_fit(sized, live_server, login, screenshot, console, supervisor):
    page, width = sized
    login(page, supervisor)
    for status in TicketStatus:
        _visit(
            page, live_server, screenshot, width, f"supervisor-{status.value}", f"/tickets/supervisor/?queue={status}"
        )
    waiting = console["waiting"]
    _visit(page, live_server, screenshot, width, "ticket-supervisor", f"/tickets/{waiting.pk}/")
    spammer, talker = console["spammer"], console["talker"]
    _visit(page, live_server, screenshot, width, "contacts-all", "/contacts/")
    _visit(page, live_server, screenshot, width, "contacts-blocked", "/contacts/?tab=blocked")
    _visit(page, live_server, screenshot, width, "contact-360-page", f"/contacts/{talker.pk}/")
    _visit(page, live_server, screenshot, width, "block-form", f"/contacts/{talker.pk}/block/")
    _visit(page, live_server, screenshot, width, "unblock-confirmation", f"/contacts/{spammer.pk}/unblock/")
    _visit(page, live_server, screenshot, width, "search", "/search/?q=parcel")

    page.goto(f"{live_server.url}/contacts/")
    page.get_by_role("link", name="Budi Santoso", exact=True).click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    assert _overflow(page) <= 0
    assert page.evaluate("document.getElementById('dialog').scrollWidth <= window.innerWidth")
    screenshot(page, f"{width}-contact-360-dialog")
    dialog.get_by_role("link", name="Block", exact=True).click()
    expect(dialog.get_by_label("Note")).to_be_visible()
    assert page.evaluate("document.getElementById('dialog').scrollWidth <= window.innerWidth")
    screenshot(page, f"{width}-block-dialog")


def test_agent_pages_fit(sized, live_server, login, screenshot, console, agent):
    page, width = sized
    login(page, agent)
    _visit(page, live_server, screenshot, width, "agent-mine", "/tickets/?queue=mine")
    _visit(page, live_server, screenshot, width, "agent-unassigned", "/tickets/?queue=unassigned")
    _visit(page, live_server, screenshot, width, "ticket-agent", f"/tickets/{console['mine'].pk}/")
    _visit(page, live_server, screenshot, width, "profile", "/account/profile/")
    _visit(page, live_server, screenshot, width, "refused-403", "/tickets/supervisor/", status=403, menu=False)
    _visit(page, live_server, screenshot, width, "not-found-404", "/tickets/999999/", status=404, menu=False)


def test_administrator_pages_fit(sized, live_server, login, screenshot, console, administrator):
    page, width = sized
    login(page, administrator)
    _visit(page, live_server, screenshot, width, "settings", "/settings/")
    _visit(page, live_server, screenshot, width, "audit-trail", "/audit/")


def test_login_page_fits(sized, live_server, screenshot, db):
    page, width = sized
    _visit(page, live_server, screenshot, width, "login", "/login/", menu=False)


def test_phone_cards_show_the_time_and_take_and_assign(page, live_server, login, console, supervisor):
    page.set_viewport_size(PHONE)
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=unassigned")
    card = page.locator("tbody tr", has_text="Maria Fernanda de la Cruz")

    expect(card.locator("time")).to_be_visible()
    expect(card.get_by_role("button", name="Take")).to_be_visible()
    expect(card.get_by_role("combobox")).to_be_visible()
    expect(card.get_by_role("button", name="Assign")).to_be_visible()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Every part of the card inside it, the Assign button too; the customer's wait on a line of its own under the
    # contact (not squeezed into a column beside the name).
    for part in (card.get_by_role("button", name="Assign"), card.locator(".time-cell")):
        inner = part.bounding_box()
        assert inner["x"] >= box["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"]
    contact, waiting = card.locator(".contact-cell").bounding_box(), card.locator(".waiting-cell").bounding_box()
    assert waiting["x"] == contact["x"] and waiting["y"] >= contact["y"] + contact["height"]


def test_the_search_box_stays_in_sight_on_a_phone_and_finds_the_conversation(page, live_server, login, console, agent):
    page.set_viewport_size(PHONE)
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/")
    box = page.get_by_role("searchbox", name="Search contacts, tickets and messages")

    expect(box).to_be_visible()  # not folded behind the Menu button
    bounds = box.bounding_box()
    assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= PHONE["width"]
    box.fill("parcel")
    box.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/search/?q=parcel")
    waiting = console["waiting"]
    expect(page.locator(f'a[href="/tickets/{waiting.pk}/#message-{waiting.messages.get().pk}"]')).to_be_visible()
    assert _overflow(page) <= 0
