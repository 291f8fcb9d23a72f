"""The hosted chat page: a visitor writes, sees replies and their history; refusals store nothing.

Identity: a signed cookie names a new visitor ("visitor:<uuid>"); the host site's verified user (identifier
hash) joins the contact known as "user:<id>"; a wrong hash is a 403 and nothing is stored. Every POST needs the
page's signed token and an allowed Origin; sending is rate limited per visitor and per client address.
"""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from channels import webchat
from channels.webchat_views import BAD_POLL, VISITOR_COOKIE
from contacts.blocking import block_contact
from contacts.models import BlockReason, Contact, ContactIdentity
from tests import factories
from tickets import outbox, queue
from tickets.delivery import attempt_delivery
from tickets.models import DeliveryState, Message, Ticket, TicketStatus

from .conftest import SHOP
from .visitor import ChatVisitor

pytestmark = pytest.mark.django_db


def _reply(agent, ticket, text):
    """An agent's reply, delivered as a worker does it (the webchat sender stores it for the widget)."""
    message = outbox.send_reply(actor=agent, ticket=ticket, text=text)
    attempt_delivery(message.pk, 0)
    message.refresh_from_db()
    return message


def _visitor_ticket(visitor: ChatVisitor) -> Ticket:
    return Ticket.objects.get(channel=visitor.chat.channel)


def _take(agent, ticket):
    queue.take_ticket(actor=agent, ticket=ticket)
    ticket.refresh_from_db()
    return ticket


# --- The page and the visitor cookie ------------------------------------------------------------


def test_the_page_names_a_new_visitor_in_a_signed_cookie_and_stores_nothing(chat):
    visitor = ChatVisitor(chat)
    response = visitor.open()
    assert response.status_code == 200
    cookie = response.cookies[VISITOR_COOKIE]
    assert cookie["path"] == f"/chat/{chat.public_id}/" and cookie["httponly"]
    assert cookie["samesite"] == "Lax"  # plain http in tests; SameSite=None needs Secure (test below)
    named = webchat.visitor_from(chat, cookie.value, "cookie")
    assert re.fullmatch(r"visitor:[0-9a-f-]{36}", named.key)
    assert not Contact.objects.exists() and not ContactIdentity.objects.exists()


def test_with_secure_cookies_the_visitor_cookie_works_in_another_sites_iframe(chat, settings):
    settings.SESSION_COOKIE_SECURE = True
    cookie = Client().get(f"/chat/{chat.public_id}/").cookies[VISITOR_COOKIE]
    assert cookie["samesite"] == "None" and cookie["secure"]


def test_the_same_cookie_is_the_same_visitor_and_a_forged_one_a_new_visitor(chat):
    visitor = ChatVisitor(chat)
    first = visitor.open().context["visitor"]
    assert visitor.open().context["visitor"] == first
    visitor.client.cookies[VISITOR_COOKIE] = webchat.signed_visitor(chat, first, "cookie") + "x"
    assert visitor.open().context["visitor"] != first


def test_an_unknown_or_switched_off_chat_is_a_404(chat):
    assert Client().get("/chat/00000000-0000-0000-0000-000000000000/").status_code == 404
    chat.channel.is_active = False
    chat.channel.save()
    response = Client().get(f"/chat/{chat.public_id}/")
    assert response.status_code == 404 and webchat.CHAT_NOT_FOUND in response.content.decode()


# --- Framing: only the channel's allowed origins ------------------------------------------------


def test_only_the_channels_origins_may_frame_the_chat_page_and_the_console_stays_unframeable(chat, client):
    page = Client().get(f"/chat/{chat.public_id}/")
    assert "frame-ancestors https://shop.example.com https://www.shop.example.com" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    assert "script-src 'self'" in page["Content-Security-Policy"]
    login = client.get("/login/")
    assert "frame-ancestors 'none'" in login["Content-Security-Policy"] and login["X-Frame-Options"] == "DENY"


def test_a_chat_without_allowed_origins_opens_only_on_its_own(chat):
    chat.allowed_origins = ""
    chat.save()
    page = Client().get(f"/chat/{chat.public_id}/")
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"] and page["X-Frame-Options"] == "DENY"


# --- Sending ------------------------------------------------------------------------------------


def test_a_visitor_message_is_routed_like_any_channels_and_the_poll_shows_it(chat):
    visitor = ChatVisitor(chat)
    visitor.open()
    response = visitor.send("  Where is my order?  ")
    assert response.status_code == 204 and response["HX-Trigger"] == "chat-refresh"
    ticket = _visitor_ticket(visitor)
    assert ticket.status == TicketStatus.UNASSIGNED and ticket.message_count == 1
    message = ticket.messages.get()
    assert message.body == "Where is my order?" and message.direction == Message.Direction.IN
    identity = ContactIdentity.objects.get(channel=chat.channel)
    assert identity.external_id == visitor.open().context["visitor"].key
    assert visitor.polled_bodies(visitor.poll(after=0)) == ["Where is my order?"]


def test_without_javascript_the_form_posts_and_comes_back_to_the_page(chat):
    visitor = ChatVisitor(chat)
    visitor.open()
    response = visitor.client.post(
        f"/chat/{chat.public_id}/messages/", {"text": "Hi", "token": visitor.token}, headers={"Origin": SHOP}
    )
    assert response.status_code == 302 and response["Location"] == f"/chat/{chat.public_id}/"
    assert "Hi" in visitor.client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("text", "error"),
    [("   ", webchat.EMPTY_MESSAGE), ("x" * 4001, webchat.MESSAGE_TOO_LONG.format(limit=4000))],
)
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_stored(chat, text, error):
    visitor = ChatVisitor(chat)
    visitor.open()
    response = visitor.send(text)
    assert response.status_code == 422 and response.content.decode() == error
    assert not Message.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize(
    ("origin", "status"), [("https://evil.example", 403), ("", 403), (SHOP, 204), ("https://SHOP.example.com/", 204)]
)
def test_a_post_must_come_from_the_chat_page_or_an_allowed_site(chat, origin, status):
    visitor = ChatVisitor(chat)
    visitor.open()
    response = visitor.send("Hello", origin=origin)
    assert response.status_code == status
    assert Message.objects.exists() == (status == 204)
    if status == 403:
        assert response.content.decode() == webchat.ORIGIN_NOT_ALLOWED


def test_a_post_without_the_pages_token_or_with_another_chats_is_refused(chat):
    other = factories.ChannelFactory(name="Other chat", kind="webchat")
    other_chat = type(chat).objects.create(channel=other)
    visitor = ChatVisitor(chat)
    visitor.open()
    elsewhere = ChatVisitor(other_chat)
    elsewhere.open()
    for token in ("", "nonsense", elsewhere.token):
        response = visitor.send("Hello", token=token)
        assert response.status_code == 403 and response.content.decode() == webchat.CHAT_SESSION_EXPIRED
    assert not Message.objects.exists()


def test_the_chat_urls_take_only_their_method(chat):
    client = Client()
    assert client.get(f"/chat/{chat.public_id}/messages/").status_code == 405
    assert client.get(f"/chat/{chat.public_id}/poll/").status_code == 405
    assert client.post(f"/chat/{chat.public_id}/").status_code == 405


def test_a_bad_poll_position_is_a_400(chat):
    visitor = ChatVisitor(chat)
    visitor.open()
    for after in ("x", "-1", "9" * 30):
        response = visitor.poll(after=after)
        assert response.status_code == 400 and response.content.decode() == BAD_POLL


# --- Rate limits --------------------------------------------------------------------------------


def test_a_visitor_sending_too_fast_gets_429_with_retry_after_and_nothing_more_is_stored(chat):
    chat.messages_per_visitor = 2
    chat.save()
    visitor = ChatVisitor(chat)
    visitor.open()
    assert [visitor.send(f"m{n}").status_code for n in range(2)] == [204, 204]
    response = visitor.send("m2")
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 1 <= wait <= webchat.RATE_WINDOW
    assert response.content.decode() == webchat.TOO_MANY_MESSAGES.format(seconds=wait)
    assert Message.objects.count() == 2
    # Another visitor from another address is not held back by this one.
    other = ChatVisitor(chat, address="198.51.100.1")
    other.open()
    assert other.send("hello").status_code == 204


def test_one_address_is_limited_across_its_visitors(chat):
    chat.messages_per_address = 3
    chat.save()
    visitors = [ChatVisitor(chat, address="198.51.100.9") for _ in range(2)]
    for visitor in visitors:
        visitor.open()
    statuses = [visitors[n % 2].send(f"m{n}").status_code for n in range(4)]
    assert statuses == [204, 204, 204, 429]
    stranger = ChatVisitor(chat, address="198.51.100.10")
    stranger.open()
    assert stranger.send("hello").status_code == 204


def test_behind_a_proxy_the_address_limit_counts_each_client_not_the_proxy(chat, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    chat.messages_per_address = 2
    chat.save()
    proxy = "10.0.0.2"
    first = ChatVisitor(chat, Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9"))
    second = ChatVisitor(chat, Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.10"))
    for visitor in (first, second):
        visitor.open()
    assert [first.send(f"m{n}").status_code for n in range(3)] == [204, 204, 429]
    assert [second.send(f"m{n}").status_code for n in range(2)] == [204, 204]


# --- Replies, receipts, history -----------------------------------------------------------------


def test_a_reply_is_sent_delivered_when_fetched_and_read_in_a_visible_tab(chat, agent):
    visitor = ChatVisitor(chat)
    visitor.open()
    visitor.send("Hello?")
    visitor.poll()
    ticket = _take(agent, _visitor_ticket(visitor))
    reply = _reply(agent, ticket, "Hi, Ana here.")
    assert reply.delivery_state == DeliveryState.SENT

    hidden = visitor.poll(visible=False)
    assert visitor.polled_bodies(hidden) == ["Hi, Ana here."]
    assert "Ana" in hidden.content.decode()
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.DELIVERED

    assert visitor.polled_bodies(visitor.poll(visible=True)) == []
    reply.refresh_from_db()
    assert reply.delivery_state == DeliveryState.READ


def test_after_a_reload_the_visitor_sees_the_conversation_without_notes(chat, agent):
    visitor = ChatVisitor(chat)
    visitor.open()
    visitor.send("Hello?")
    ticket = _take(agent, _visitor_ticket(visitor))
    _reply(agent, ticket, "How can I help?")
    queue.add_note(actor=agent, ticket=ticket, text="Internal: VIP")
    page = visitor.open()
    assert [m.body for m in page.context["messages"]] == ["Hello?", "How can I help?"]
    assert "Internal: VIP" not in page.content.decode()


def test_a_reply_that_is_not_sent_is_not_shown(chat, agent):
    visitor = ChatVisitor(chat)
    visitor.open()
    visitor.send("Hello?")
    ticket = _take(agent, _visitor_ticket(visitor))
    queued = outbox.send_reply(actor=agent, ticket=ticket, text="Still queued")  # no worker ran
    assert queued.delivery_state == DeliveryState.QUEUED
    assert visitor.polled_bodies(visitor.poll(after=0)) == ["Hello?"]
    assert "Still queued" not in visitor.open().content.decode()


def test_a_reply_sent_after_a_later_message_was_shown_still_arrives(chat, agent):
    visitor = ChatVisitor(chat)
    visitor.open()
    visitor.send("Hello?")
    ticket = _take(agent, _visitor_ticket(visitor))
    late = outbox.send_reply(actor=agent, ticket=ticket, text="Late reply")
    visitor.send("Anyone?")
    assert visitor.polled_bodies(visitor.poll()) == ["Hello?", "Anyone?"]
    Message.objects.filter(pk=late.pk).update(delivery_state=DeliveryState.SENT)
    assert visitor.polled_bodies(visitor.poll()) == ["Late reply"]
    assert visitor.polled_bodies(visitor.poll()) == []


def test_the_webchat_sender_is_registered_and_reports_sent(chat):
    from tickets.outbox import sender_for

    assert sender_for("webchat") is webchat.deliver_to_widget
    message = Message(pk=41)
    result = webchat.deliver_to_widget(message)
    assert result.state == DeliveryState.SENT and result.provider_message_id == "webchat:41"


# --- Blocked visitors notice nothing ------------------------------------------------------------


def test_a_blocked_visitor_is_answered_as_usual_and_the_message_lands_in_the_blocked_list(
    chat, supervisor, blocking_on
):
    visitor = ChatVisitor(chat)
    visitor.open()
    visitor.send("Buy cheap followers")
    contact = Contact.objects.get()
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM, resolve_open_tickets=True)
    visitor.poll(after=0)

    response = visitor.send("Buy cheap followers again")
    assert response.status_code == 204
    blocked = Ticket.objects.get(contact=contact, status=TicketStatus.BLOCKED)
    assert blocked.messages.get().body == "Buy cheap followers again"
    assert visitor.polled_bodies(visitor.poll()) == ["Buy cheap followers again"]
    assert "Buy cheap followers again" in visitor.open().content.decode()


# --- Identity verification ----------------------------------------------------------------------


def _verified(chat, user_id="42", **extra):
    return {
        "user_id": user_id,
        "name": "Rina Lestari",
        "email": "rina@example.com",
        "identifier_hash": webchat.identifier_hash(chat.identity_secret, user_id),
        **extra,
    }


def test_a_verified_user_joins_their_known_contact(chat):
    known = factories.ContactFactory(name="Rina L.")
    ContactIdentity.objects.create(contact=known, channel=chat.channel, external_id="user:42")
    visitor = ChatVisitor(chat)
    assert visitor.open(**_verified(chat)).status_code == 200
    visitor.send("It's me again")
    assert Ticket.objects.get(channel=chat.channel).contact == known
    # The cookie remembers the user: a reload without the parameters is still them.
    assert visitor.open().context["visitor"].key == "user:42"


def test_a_verified_new_user_becomes_a_contact_with_the_sites_name_and_email(chat):
    visitor = ChatVisitor(chat)
    visitor.open(**_verified(chat, user_id="77"))
    visitor.send("Hello")
    identity = ContactIdentity.objects.get(channel=chat.channel)
    assert identity.external_id == "user:77"
    assert (identity.contact.name, identity.contact.email) == ("Rina Lestari", "rina@example.com")


@pytest.mark.parametrize(
    "change",
    [{"identifier_hash": "0" * 64}, {"identifier_hash": ""}, {"user_id": "43"}, {"user_id": ""}],
    ids=["wrong hash", "no hash", "another user's hash", "no user id"],
)
def test_a_wrong_identifier_hash_is_refused_and_nothing_is_stored(chat, change):
    params = {**_verified(chat), **change}
    response = Client().get(f"/chat/{chat.public_id}/", params)
    assert response.status_code == 403
    assert escape(webchat.IDENTITY_NOT_VERIFIED) in response.content.decode()
    assert VISITOR_COOKIE not in response.cookies
    assert not Contact.objects.exists() and not ContactIdentity.objects.exists()


def test_a_hash_made_with_another_channels_secret_is_refused(chat):
    params = _verified(chat)
    params["identifier_hash"] = webchat.identifier_hash("another-secret", "42")
    assert Client().get(f"/chat/{chat.public_id}/", params).status_code == 403


def test_the_sites_id_must_fit_a_channel_address_and_a_bad_email_is_dropped(chat):
    too_long = "9" * (webchat.MAX_USER_ID_LENGTH + 1)
    response = Client().get(f"/chat/{chat.public_id}/", _verified(chat, user_id=too_long))
    assert response.status_code == 400
    assert escape(webchat.BAD_USER_ID.format(limit=webchat.MAX_USER_ID_LENGTH)) in response.content.decode()
    assert VISITOR_COOKIE not in response.cookies

    visitor = ChatVisitor(chat)
    visitor.open(**_verified(chat, name="Ri\x00na", email="not an address"))
    visitor.send("Hello")
    contact = Contact.objects.get()
    assert (contact.name, contact.email) == ("Rina", "")


def test_a_message_with_a_nul_character_is_refused(chat):
    visitor = ChatVisitor(chat)
    visitor.open()
    response = visitor.send("before\x00after")
    assert response.status_code == 422 and response.content.decode() == webchat.MESSAGE_HAS_NUL
    assert not Message.objects.exists()


def test_a_refusal_inside_the_widget_is_framed_like_the_chat(chat):
    response = Client().get(f"/chat/{chat.public_id}/", _verified(chat, identifier_hash="0" * 64))
    assert response.status_code == 403
    assert "frame-ancestors https://shop.example.com" in response["Content-Security-Policy"]


def test_without_javascript_an_expired_page_says_so_inside_the_widget(chat):
    response = Client().post(
        f"/chat/{chat.public_id}/messages/", {"text": "Hi", "token": "old"}, headers={"Origin": SHOP}
    )
    assert response.status_code == 403
    assert escape(webchat.CHAT_SESSION_EXPIRED) in response.content.decode()
    assert "frame-ancestors https://shop.example.com" in response["Content-Security-Policy"]
    assert not Message.objects.exists()
