"""Fixtures for console (server-rendered page) tests."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests import factories
from tickets.models import TicketStatus


@pytest.fixture
def logged_in(client):
    """logged_in(user) returns the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def csrf_client():
    """csrf_client(user) returns a client that enforces CSRF like a browser, signed in as user."""

    def make(user):
        checked = Client(enforce_csrf_checks=True)
        checked.force_login(user)
        return checked

    return make


@pytest.fixture
def contact_viewer(db):
    """A user who may see contacts and nothing else (no block, no unblock)."""
    user = factories.UserFactory(username="viewer", first_name="Vera")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="contacts", codename="view_contact"))
    return user


@pytest.fixture
def nobody(db):
    """A signed-in user with no role at all."""
    return factories.UserFactory(username="nobody", first_name="Nina")


@pytest.fixture
def blocked_contact(set_switches):
    """blocked_contact(by, name=..., tickets=2, messages=3) makes a blocked contact with blocked tickets.

    Each blocked ticket is on its own channel and holds `messages` customer messages.
    The block is made through block_contact with the feature switched on, then the
    switch is put back as it was.
    """
    from settings_app.switches import current_switches

    def make(by, *, name="Budi", tickets=2, messages=3, reason=BlockReason.SPAM, note=""):
        contact = factories.ContactFactory(name=name)
        was_on = current_switches().block_contacts_enabled
        set_switches(block_contacts_enabled=True)
        block_contact(actor=by, contact=contact, reason=reason, note=note)
        set_switches(block_contacts_enabled=was_on)
        for _ in range(tickets):
            channel = factories.ChannelFactory()
            factories.ContactIdentityFactory(contact=contact, channel=channel, external_id=f"{contact.phone}")
            ticket = factories.TicketFactory(
                contact=contact, channel=channel, status=TicketStatus.BLOCKED, message_count=messages
            )
            factories.MessageFactory.create_batch(messages, ticket=ticket, sent_at=timezone.now())
        contact.refresh_from_db()
        return contact

    return make
