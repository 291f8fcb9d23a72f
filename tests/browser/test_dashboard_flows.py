"""Dashboard flows in a real Chromium, clicking as a person would.

A blocked contact's new message reaches the supervisor's Blocked list (and its
live count); the supervisor unblocks the ticket and finds it in Unassigned, or
in BOT when the BOT is on; several blocked tickets are deleted at once after a
confirmation; an agent takes a ticket, replies and resolves it. Screenshots of
each dashboard tab and the ticket view go to artifacts/screenshots/.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests import factories
from tests.inbound import deliver
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def tab(page, queue):
    return page.locator(f'.tabs a[data-queue="{queue}"]')


def row(page, text):
    return page.locator("tbody tr", has_text=text)


def spammer(channel, by, phone="+6281111111111", name="Spammy Sam"):
    """A contact who wrote once, was blocked (its ticket resolved), and now writes again."""
    first = deliver(channel, phone, "Hello", name=name)
    block_contact(actor=by, contact=first.contact, reason=BlockReason.SPAM, note="Sends ads")
    return first.contact


def test_blocked_message_reaches_the_blocked_list_and_unblock_sends_it_to_unassigned(
    page, live_server, login, screenshot, supervisor, channel, blocking_on
):
    contact = spammer(channel, supervisor)
    login(page, supervisor)
    page.goto(f"{live_server.url}/tickets/supervisor/?queue=blocked")
    expect(tab(page, "blocked").locator(".count")).to_have_text("0")

    routed = deliver(channel, contact.identities.get().external_id, "Buy cheap pills now!!!")
    assert routed.ticket.status == TicketStatus.BLOCKED

    # The count and the list refresh by themselves (every 5 s), together.
    expect(tab(page, "blocked").locator(".count")).to_have_text("1", timeout=12_000)
    blocked_row = row(page, "Spammy Sam")
    expect(blocked_row).to_contain_text("Buy cheap pills now!!!")
    expect(blocked_row.locator("td.num")).to_have_text("1")
    screenshot(page, "supervisor-blocked")

    blocked_row.get_by_role("link", name="Spammy Sam").click()
    expect(page.locator("h1")).to_contain_text("Spammy Sam")
    expect(page.get_by_text("It is read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Send reply")).to_have_count(0)
    screenshot(page, "ticket-blocked")

    page.get_by_role("button", name="Unblock ticket").click()
    expect(page.locator("#notifications")).to_contain_text(f"Ticket #{routed.ticket.pk} moved to Unassigned")
    expect(row(page, "Spammy Sam")).to_have_count(0)

    tab(page, "unassigned").click()
    expect(row(page, "Spammy Sam")).to_contain_text("Buy cheap pills now!!!")
    ticket = Ticket.objects.get(pk=routed.ticket.pk)
    assert ticket.status == TicketStatus.UNASSIGNED
    ticket.contact.refresh_from_db()
    assert ticket.contact.is_blocked  # unblocking a ticket leaves the contact blocked


def test_unblocked_ticket_goes_to_the_bot_when_it_is_on(
    page, live_server, login, supervisor, channel, blocking_on, bot_on
):
    contact = spammer(channel, supervisor)
    routed = deliver(channel, contact.identities.get().external_id, "Still here")
    login(page, supervisor)

    tab(page, "blocked").click()
    row(page, "Spammy Sam").get_by_role("link", name="Spammy Sam").click()
    page.get_by_role("button", name="Unblock ticket").click()
    expect(page.locator("#notifications")).to_contain_text(f"Ticket #{routed.ticket.pk} moved to BOT")

    tab(page, "bot").click()
    expect(row(page, "Spammy Sam")).to_contain_text("Still here")
    assert Ticket.objects.get(pk=routed.ticket.pk).status == TicketStatus.BOT


def test_bulk_delete_from_the_blocked_list_after_confirmation(
    page, live_server, login, screenshot, supervisor, channel, blocking_on
):
    tickets = {}
    for i, name in enumerate(["Spam One", "Spam Two", "Spam Three"]):
        contact = spammer(channel, supervisor, phone=f"+628100000000{i}", name=name)
        for text in ["first", "second"]:
            tickets[name] = deliver(channel, contact.identities.get().external_id, f"{name} {text}").ticket
    login(page, supervisor)
    tab(page, "blocked").click()

    row(page, "Spam One").get_by_role("checkbox").check()
    row(page, "Spam Three").get_by_role("checkbox").check()
    page.get_by_role("button", name="Delete selected").click()

    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Delete 2 blocked tickets with 4 messages?")
    screenshot(page, "supervisor-blocked-bulk-delete")
    # Cancel changes nothing.
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Ticket.objects.filter(status=TicketStatus.BLOCKED).count() == 3

    page.get_by_role("button", name="Delete selected").click()
    dialog.get_by_role("button", name="Delete 2 tickets").click()

    expect(page.locator("#notifications")).to_contain_text("2 tickets and 4 messages deleted.")
    expect(row(page, "Spam Two")).to_have_count(1)
    expect(row(page, "Spam One")).to_have_count(0)
    assert list(Ticket.objects.filter(status=TicketStatus.BLOCKED)) == [tickets["Spam Two"]]
    assert not Message.objects.filter(ticket_id__in=[tickets["Spam One"].pk, tickets["Spam Three"].pk]).exists()


def test_agent_takes_replies_and_resolves(page, live_server, login, screenshot, agent, channel):
    routed = deliver(channel, "+6281234567890", "My parcel has not arrived yet. Order #4411.", name="Budi")
    login(page, agent)
    expect(page.locator("h1")).to_have_text("My tickets")
    expect(page.get_by_text("You have no open tickets")).to_be_visible()

    tab(page, "unassigned").click()
    screenshot(page, "agent-dashboard")
    row(page, "Budi").get_by_role("button", name="Take").click()

    expect(page.locator("#notifications")).to_contain_text(f"Ticket #{routed.ticket.pk} is now assigned to you")
    page.get_by_label("Reply to Budi").fill("Sorry about that, Budi. The courier delivers it tomorrow.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".message.out")).to_contain_text("The courier delivers it tomorrow.")
    expect(page.locator("#notifications")).to_contain_text("Reply queued")
    screenshot(page, "ticket-view")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "ticket-view-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#notifications")).to_contain_text(f"Ticket #{routed.ticket.pk} resolved.")
    expect(page.locator("h1")).to_have_text("My tickets")
    ticket = Ticket.objects.get(pk=routed.ticket.pk)
    assert (ticket.status, ticket.assignee) == (TicketStatus.RESOLVED, agent)
    assert ticket.messages.filter(direction=Message.Direction.OUT, author=agent).count() == 1


def test_screenshots_of_every_supervisor_tab(page, live_server, login, screenshot, supervisor, agent, blocking_on):
    channels = [factories.ChannelFactory(name=name) for name in ("WhatsApp", "Telegram", "E-mail")]
    samples = [
        ("bot", None, "Hi, what are your opening hours?"),
        ("bot", None, "Can I change my delivery address?"),
        ("unassigned", None, "The app crashes when I pay with my card."),
        ("unassigned", None, "I was charged twice for order #5521."),
        ("assigned", agent, "Thanks, that worked! One more question…"),
        ("assigned", supervisor, "Still waiting for the refund."),
        ("resolved", agent, "Great, thank you for the quick help."),
        ("blocked", None, "CLICK HERE to win a free iPhone!!!"),
        ("blocked", None, "Cheap followers, 10k for $5"),
    ]
    now = timezone.now()
    for i, (status, assignee, text) in enumerate(samples):
        factories.TicketFactory(
            status=status,
            assignee=assignee,
            channel=channels[i % len(channels)],
            last_message_preview=text,
            last_message_at=now - timedelta(minutes=7 * i),
            message_count=i + 1,
        )
    login(page, supervisor)

    for queue in ["bot", "unassigned", "assigned", "resolved", "blocked"]:
        tab(page, queue).click()
        expect(tab(page, queue)).to_have_class("tab active")
        screenshot(page, f"supervisor-{queue}")
    page.set_viewport_size({"width": 390, "height": 844})
    tab(page, "unassigned").click()
    screenshot(page, "supervisor-unassigned-390")


def test_agent_blocks_the_contact_from_their_ticket(page, live_server, login, screenshot, agent, channel, blocking_on):
    routed = deliver(channel, "+6289999999999", "BUY NOW cheap watches", name="Watch Seller")
    Ticket.objects.filter(pk=routed.ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=agent)
    login(page, agent)

    row(page, "Watch Seller").get_by_role("link", name="Watch Seller").click()
    page.get_by_role("link", name="Block contact").click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "ticket-block-contact")
    dialog.get_by_role("button", name="Block Watch Seller").click()

    expect(page.locator("#notifications")).to_contain_text("Watch Seller is blocked")
    expect(page.locator("h1")).to_contain_text("Watch Seller")
    expect(page.locator(".ticket-sub .badge-blocked")).to_have_text("Contact blocked")
    expect(page.locator(".message.note")).to_contain_text("Contact blocked by Ana (spam): ticket resolved.")
    expect(page.get_by_role("link", name="Block contact")).to_have_count(0)
    ticket = Ticket.objects.select_related("contact").get(pk=routed.ticket.pk)
    assert ticket.contact.is_blocked
    assert ticket.status == TicketStatus.RESOLVED


def test_select_all_on_the_blocked_list_then_unblock_selected(
    page, live_server, login, supervisor, channel, blocking_on
):
    for i in range(3):
        contact = spammer(channel, supervisor, phone=f"+628200000000{i}", name=f"Spammer {i}")
        deliver(channel, contact.identities.get().external_id, "buy now")
    login(page, supervisor)
    tab(page, "blocked").click()

    page.get_by_role("checkbox", name="Select every ticket on this page").check()
    page.get_by_role("button", name="Unblock selected").click()
    page.locator("#dialog").get_by_role("button", name="Unblock 3 tickets").click()

    expect(page.locator("#notifications")).to_contain_text("3 tickets")
    assert not Ticket.objects.filter(status=TicketStatus.BLOCKED).exists()
    assert Ticket.objects.filter(status=TicketStatus.UNASSIGNED).count() == 3
