"""A visitor whose browser prefers Bahasa Indonesia sees the widget and the hosted chat page in Indonesian.

The shop page is on 127.0.0.1 and the chat on localhost (another site, as on a customer's): the widget's button
and frame texts come from the chat's widget/ address, the page's from its own rendering, both in the language
the browser asks for. The project's compiled catalogue is read (tests/i18n/conftest.py).
"""

from contextlib import contextmanager
from urllib.parse import urlencode

import pytest

from channels.webchat_models import WebchatChannel
from contacts.models import Channel
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.browser.webchat_host")]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shop_url(live_server, chat) -> str:
    port = live_server.url.rsplit(":", 1)[1]
    params = {
        "widget": f"{live_server.url}/static/channels/widget.js",
        "chat": f"{live_server.url}/chat/{chat.public_id}/",
        "user_id": "",
        "name": "",
        "email": "",
        "hash": "",
    }
    return f"http://127.0.0.1:{port}/host/?{urlencode(params)}"


@contextmanager
def shop_page(browser, live_server, chat, *, locale: str):
    """The customer's shop page, with the widget, in a browser that prefers `locale`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    shop = context.new_page()
    shop.set_default_timeout(10_000)
    try:
        shop.goto(_shop_url(live_server, chat))
        yield shop
    finally:
        context.close()


@pytest.fixture
def shop_chat(live_server):
    channel = factories.ChannelFactory(name="Toko", kind=Channel.Kind.WEBCHAT)
    port = live_server.url.rsplit(":", 1)[1]
    return WebchatChannel.objects.create(channel=channel, allowed_origins=f"http://127.0.0.1:{port}")


def test_an_indonesian_visitor_sees_the_widget_in_indonesian(browser, live_server, screenshot, shop_chat):
    with shop_page(browser, live_server, shop_chat, locale="id-ID") as shop:
        shop.get_by_role("button", name="Obrolan dengan kami").click()
        expect(shop.get_by_role("button", name="Tutup obrolan")).to_be_visible()
        widget = shop.frame_locator('iframe[title="Obrolan"]')
        expect(widget.get_by_text("Tulis pesan kepada kami; tim kami menjawab di sini.")).to_be_visible()
        expect(widget.get_by_role("button", name="Kirim")).to_be_visible()

        # Past the page's own limit, the server's refusal shows under the form, in Indonesian too.
        widget.get_by_label("Pesan Anda").evaluate("text => { text.removeAttribute('maxlength'); }")
        widget.get_by_label("Pesan Anda").fill("x" * 4001)
        widget.get_by_role("button", name="Kirim").click()
        expect(widget.get_by_role("alert")).to_have_text("Pesan paling banyak 4000 karakter.")
        screenshot(shop, "webchat-widget-indonesian")


def test_any_other_visitor_sees_the_widget_in_english(browser, live_server, shop_chat):
    with shop_page(browser, live_server, shop_chat, locale="fr-FR") as shop:
        shop.get_by_role("button", name="Chat with us").click()
        expect(shop.get_by_role("button", name="Close chat")).to_be_visible()
        widget = shop.frame_locator('iframe[title="Chat"]')
        expect(widget.get_by_role("button", name="Send")).to_be_visible()
