"""Live lists and timeline in a real Chromium: what arrives while a page is open shows without a reload.

The refresh interval is shortened to half a second (settings.CONSOLE_REFRESH_SECONDS); a refresh never moves
focus, pauses while Blocked tickets are ticked, and never touches the text typed in the reply box.
"""

import pytest

from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests.inbound import deliver
from tickets import queue
from tickets.models import DeliveryState
from tickets.outbox import record_receipt, send_reply

pytestmark = pytest.mark.django_db(transaction=True)

ARRIVES = 5_000  # ms: ten refreshes


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(autouse=True)
def fast_refresh(settings):
    settings.CONSOLE_REFRESH_SECONDS = 0.5


def _count(page, queue_key):
    return page.locator(f'.tabs a[data-queue="{queue_key}"] .count')


def test_a_new_conversation_appears_in_the_open_queue_with_its_badge(page, live_server, login, supervisor, channel):
    first = deliver(channel, "+6281200000001", "Where is my parcel?", name="Budi")
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=unassigned")
    take = page.locator(f"#ticket-{first.ticket.pk}-take")
    take.focus()

    second = deliver(channel, "+6281200000002", "Can I pay by card?", name="Citra")

    expect(page.locator("tbody tr", has_text="Citra")).to_contain_text("Can I pay by card?", timeout=ARRIVES)
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(_count(page, "unassigned")).to_have_text("2")
    # Oldest waiting first (issue 16): the newcomer joins the end; the keyboard user is still on the same Take button.
    expect(page.locator("tbody tr").first).to_have_attribute("data-ticket", str(first.ticket.pk))
    expect(page.locator("tbody tr").last).to_have_attribute("data-ticket", str(second.ticket.pk))
    expect(take).to_be_focused()
    assert page.evaluate("document.activeElement.id") == f"ticket-{first.ticket.pk}-take"


def test_a_focused_tab_keeps_focus_while_the_badges_change(page, live_server, login, supervisor, channel):
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=bot")
    page.locator("#tab-blocked").focus()

    deliver(channel, "+6281200000003", "Hello", name="Dewi")

    expect(_count(page, "unassigned")).to_have_text("1", timeout=ARRIVES)
    expect(page.locator("#tab-blocked")).to_be_focused()


def test_the_blocked_list_waits_while_tickets_are_ticked(page, live_server, login, supervisor, channel, blocking_on):
    spam = deliver(channel, "+6281200000004", "Cheap crypto", name="Spammy Sam")
    block_contact(actor=supervisor, contact=spam.contact, reason=BlockReason.SPAM)
    waiting = deliver(channel, "+6281200000004", "Buy now", name="Spammy Sam")
    other = deliver(channel, "+6281200000005", "Win a prize", name="Prize Pete")
    block_contact(actor=supervisor, contact=other.contact, reason=BlockReason.SPAM)
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=blocked")
    box = page.locator(f"#ticket-{waiting.ticket.pk}-select")
    box.check()
    expect(page.locator("#live-paused")).to_be_visible()

    later = deliver(channel, "+6281200000005", "Win a prize again", name="Prize Pete")
    page.wait_for_timeout(2_000)  # four refreshes' time

    expect(page.locator("tbody tr")).to_have_count(1)
    expect(_count(page, "blocked")).to_have_text("1")
    expect(box).to_be_checked()

    box.uncheck()
    expect(page.locator("#live-paused")).to_be_hidden()
    expect(page.locator(f'tbody tr[data-ticket="{later.ticket.pk}"]')).to_be_visible(timeout=ARRIVES)
    expect(_count(page, "blocked")).to_have_text("2")


def test_the_timeline_shows_new_messages_and_keeps_the_reply_being_typed(page, live_server, login, agent, channel):
    routed = deliver(channel, "+6281200000006", "My order is missing", name="Eka")
    queue.take_ticket(actor=agent, ticket=routed.ticket)
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/{routed.ticket.pk}/")
    reply = page.get_by_label("Reply to Eka")
    reply.fill("Sorry to hear that, let me ")
    reply.press("End")

    deliver(channel, "+6281200000006", "It was order 1234", name="Eka")

    timeline = page.locator("#timeline .message")
    expect(timeline.last).to_contain_text("It was order 1234", timeout=ARRIVES)
    expect(timeline).to_have_count(2)
    expect(page.locator("#ticket-status")).to_contain_text("2 messages")
    expect(reply).to_have_value("Sorry to hear that, let me ")
    expect(reply).to_be_focused()
    reply.press_sequentially("check.")
    expect(reply).to_have_value("Sorry to hear that, let me check.")


def test_a_ticket_resolved_elsewhere_says_so_on_the_open_page(page, live_server, login, supervisor, agent, channel):
    routed = deliver(channel, "+6281200000007", "Hello", name="Fajar")
    queue.take_ticket(actor=agent, ticket=routed.ticket)
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/{routed.ticket.pk}/")

    queue.resolve_ticket(actor=agent, ticket=routed.ticket)

    status = page.locator("#ticket-status")
    expect(status.locator(".badge")).to_have_text("Resolved", timeout=ARRIVES)
    expect(status).to_contain_text("This ticket is now Resolved: it changed after you opened it.")


def test_a_replys_delivery_state_changes_on_the_open_page(page, live_server, login, agent, channel):
    routed = deliver(channel, "+6281200000008", "Is it shipped?", name="Gita")
    ticket = queue.take_ticket(actor=agent, ticket=routed.ticket)
    reply = send_reply(actor=agent, ticket=ticket, text="Yes, this morning")
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    badge = page.locator(f"#message-{reply.pk} .delivery")
    expect(badge).to_have_text("Queued")

    record_receipt(message=reply, state=DeliveryState.DELIVERED)
    expect(badge).to_have_text("Delivered", timeout=ARRIVES)
    record_receipt(message=reply, state=DeliveryState.READ)

    expect(badge).to_have_text("Read", timeout=ARRIVES)
    expect(page.locator("#timeline .message")).to_have_count(2)
