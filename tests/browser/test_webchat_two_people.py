"""Two people in a real Chromium: a visitor in the web chat widget on a customer's site, an agent in the console.

They talk both ways; the agent blocks the visitor; the visitor writes again, notices nothing, and the message
lands in the supervisor's Blocked list; Unblock All; the agent's next reply reaches the widget. The shop page
is on 127.0.0.1 and the chat on localhost: another site, as on a customer's. Replies are sent at once
(the immediate tasks backend stands in for the worker); each must show in the widget within 2 s.
"""

import re
from urllib.parse import urlencode

import pytest

from channels import webchat
from channels.webchat_models import WebchatChannel
from contacts.models import Channel
from tests import factories
from tickets import outbox, queue
from tickets.models import DeliveryState, Message, Ticket, TicketStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.browser.webchat_host")]

LIVE = 2_000  # ms: what the visitor and the agent may wait for the other's message
NAME = "Rina Lestari"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(autouse=True)
def fast_console_and_immediate_delivery(settings):
    settings.CONSOLE_REFRESH_SECONDS = 0.5
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _shop_url(live_server, chat) -> str:
    port = live_server.url.rsplit(":", 1)[1]
    params = {
        "widget": f"{live_server.url}/static/channels/widget.js",
        "chat": f"{live_server.url}/chat/{chat.public_id}/",
        "user_id": "c-1001",
        "name": NAME,
        "email": "rina@example.com",
        "hash": webchat.identifier_hash(chat.identity_secret, "c-1001"),
    }
    return f"http://127.0.0.1:{port}/host/?{urlencode(params)}"


def _say(widget, text):
    widget.get_by_label("Your message").fill(text)
    widget.get_by_label("Your message").press("Enter")
    expect(widget.locator(".chat-message.mine", has_text=text)).to_be_visible(timeout=LIVE)


def _take_and_reply(page, live_server, text):
    page.goto(f"{live_server.url}/tickets/?queue=unassigned")
    page.locator("tbody tr", has_text=NAME).get_by_role("button", name="Take").click()
    page.get_by_label(f"Reply to {NAME}").fill(text)
    page.get_by_role("button", name="Send reply").click()


def test_a_visitor_and_an_agent_talk_block_and_unblock(
    browser, live_server, login, screenshot, agent, supervisor, blocking_on
):
    channel = factories.ChannelFactory(name="Shop chat", kind=Channel.Kind.WEBCHAT)
    port = live_server.url.rsplit(":", 1)[1]
    chat = WebchatChannel.objects.create(channel=channel, allowed_origins=f"http://127.0.0.1:{port}")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    shop, desk, boss = (context.new_page() for context in contexts)
    for page in (shop, desk, boss):
        page.set_default_timeout(10_000)
    try:
        # The agent watches the Unassigned queue; the visitor opens the chat on the shop's site and writes.
        login(desk, agent)
        desk.goto(f"{live_server.url}/tickets/?queue=unassigned")
        shop.goto(_shop_url(live_server, chat))
        shop.get_by_role("button", name="Chat with us").click()
        widget = shop.frame_locator('iframe[title="Chat"]')
        expect(widget.get_by_role("heading", name="Shop chat")).to_be_visible()
        _say(widget, "Hi, my parcel is late.")

        # The conversation arrives in the agent's open list without a reload; the agent takes it and answers.
        expect(desk.locator("tbody tr", has_text=NAME)).to_contain_text("Hi, my parcel is late.", timeout=LIVE)
        _take_and_reply(desk, live_server, "Sorry! It ships today.")
        expect(widget.locator(".chat-message.theirs", has_text="Sorry! It ships today.")).to_be_visible(timeout=LIVE)

        # The visitor answers; the agent's open ticket shows it live.
        _say(widget, "Thanks, and the tracking number?")
        expect(desk.locator(".message.in", has_text="the tracking number?")).to_be_visible(timeout=LIVE)
        first_reply = Message.objects.get(body="Sorry! It ships today.")
        assert first_reply.delivery_state == DeliveryState.READ
        screenshot(shop, "webchat-widget")

        # The agent blocks the visitor (resolving the ticket); the visitor writes again and notices nothing.
        desk.get_by_role("link", name="Block contact").click()
        dialog = desk.locator("#dialog")
        dialog.get_by_label("Spam").check()
        dialog.get_by_role("button", name=f"Block {NAME}").click()
        expect(desk.locator("#notifications")).to_contain_text(f"{NAME} is blocked")
        _say(widget, "Hello?? Answer me!")
        expect(widget.locator("#chat-error")).to_be_empty()

        # The supervisor finds it in the Blocked list and unblocks the contact with Unblock All.
        login(boss, supervisor)
        boss.goto(f"{live_server.url}/tickets/supervisor/?queue=blocked")
        expect(boss.locator("tbody tr", has_text=NAME)).to_contain_text("Hello?? Answer me!")
        boss.goto(f"{live_server.url}/contacts/?tab=blocked")
        boss.get_by_role("link", name=NAME, exact=True).click()
        boss.locator("#dialog").get_by_role("link", name="Unblock", exact=True).click()
        boss.locator("#dialog").get_by_role("button", name="Unblock All").click()
        expect(boss.locator("#notifications")).to_contain_text(
            f"{NAME} is unblocked; 1 blocked ticket moved to Unassigned."
        )

        # The released ticket is a normal conversation: the agent's next reply reaches the widget.
        _take_and_reply(desk, live_server, "Welcome back. Tracking: JNE123.")
        expect(widget.locator(".chat-message.theirs", has_text="Tracking: JNE123.")).to_be_visible(timeout=LIVE)
        ticket = Ticket.objects.get(channel=channel, status=TicketStatus.ASSIGNED)
        conversation = ticket.messages.exclude(direction=Message.Direction.NOTE)
        assert [m.body for m in conversation] == ["Hello?? Answer me!", "Welcome back. Tracking: JNE123."]
        assert ticket.contact.identities.get().external_id == "user:c-1001"
    finally:
        for context in contexts:
            context.close()


def test_the_hosted_chat_page_shows_the_history_after_a_reload(page, live_server, agent):
    channel = factories.ChannelFactory(name="Shop chat", kind=Channel.Kind.WEBCHAT)
    chat = WebchatChannel.objects.create(channel=channel)
    page.goto(f"{live_server.url}/chat/{chat.public_id}/")
    expect(page.get_by_text("No messages yet.")).to_be_visible()
    _say(page, "Is the blue one in stock?")
    ticket = Ticket.objects.get(channel=channel)
    ticket = queue.take_ticket(actor=agent, ticket=ticket)
    outbox.send_reply(actor=agent, ticket=ticket, text="Yes, 3 left.")
    expect(page.locator(".chat-message.theirs", has_text="Yes, 3 left.")).to_be_visible(timeout=LIVE)

    page.reload()
    expect(page.locator(".chat-message")).to_have_text(
        [re.compile("You.*Is the blue one in stock"), re.compile("Ana.*Yes, 3 left")]
    )
    expect(page.get_by_text("No messages yet.")).to_have_count(0)
