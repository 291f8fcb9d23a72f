"""Unblocking a contact that has no blocked tickets is a plain confirmation, not a choice between zeros."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from contacts.models import Block, Contact, UnblockChoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def budi(supervisor, blocked_contact):
    return blocked_contact(supervisor, name="Budi", tickets=0)


def unblock_url(contact):
    return reverse("contacts:unblock", args=[contact.pk])


def test_a_contact_without_blocked_tickets_gets_one_unblock_button(logged_in, supervisor, budi):
    page = logged_in(supervisor).get(unblock_url(budi), HTTP_HX_REQUEST="true").content.decode()

    assert '<p class="unblock-plain">Unblock Budi? It has no blocked tickets.</p>' in page
    assert page.count('type="submit"') == 1
    assert '<button type="submit" name="choice" value="unblock_all" class="button primary">Unblock</button>' in page
    assert ">Cancel</a>" in page
    for zero_choice in ("Unblock All", "Delete All", "0 blocked tickets", "0 messages"):
        assert zero_choice not in page


def test_the_plain_unblock_unblocks(logged_in, supervisor, budi):
    response = logged_in(supervisor).post(unblock_url(budi), {"choice": "unblock_all"})

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Budi is unblocked; no blocked tickets."]
    assert not Contact.objects.get(pk=budi.pk).is_blocked
    assert Block.objects.get(contact=budi).lifted_with == UnblockChoice.UNBLOCK_ALL


def test_a_contact_with_blocked_tickets_still_gets_the_choice(logged_in, supervisor, blocked_contact):
    contact = blocked_contact(supervisor, name="Citra", tickets=1, messages=2)
    page = logged_in(supervisor).get(unblock_url(contact)).content.decode()
    assert ">Unblock All</button>" in page and ">Delete All</button>" in page
    assert "It has no blocked tickets." not in page
