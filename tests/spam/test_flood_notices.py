"""notify_flood_flags: supervisors (those who see the Blocked list) are told of suspected spam, on commit."""

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contacts.flood_guard import auto_block_flood
from contacts.models import Contact, FloodFlag
from tests import factories
from tests.spam.flood_helpers import flagged
from tickets.models import Notice
from tickets.notices import notify_flood_flags

pytestmark = pytest.mark.django_db


def test_supervisors_are_told_after_commit(
    channel, supervisor, administrator, agent, django_capture_on_commit_callbacks
):
    flag = flagged(channel, factories.ContactFactory(name="Flooder"))
    with django_capture_on_commit_callbacks(execute=False) as pending:
        notify_flood_flags([flag, None])
    assert not Notice.objects.exists()  # nothing before the commit
    for callback in pending:
        callback()
    recipients = set(Notice.objects.filter(kind=Notice.Kind.SUSPECTED_SPAM).values_list("recipient", flat=True))
    assert recipients == {supervisor.pk, administrator.pk}
    assert Notice.objects.filter(flood_flag=flag).count() == 2


def test_no_flags_no_notices(supervisor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_flood_flags([])
    assert not Notice.objects.exists()


def test_the_notice_list_names_the_contact_and_links_the_suspected_list(
    client, channel, supervisor, django_capture_on_commit_callbacks
):
    flag = flagged(channel, factories.ContactFactory(name="Flooder"))
    with django_capture_on_commit_callbacks(execute=True):
        notify_flood_flags([flag])
    client.force_login(supervisor)
    page = client.get(reverse("tickets:notices")).content.decode()
    assert "Suspected spam</a>: Flooder sent 31 messages in 5 min." in page
    assert 'href="/spam/suspected/"' in page


def test_an_auto_block_notice_says_the_guard_blocked(client, channel, supervisor, django_capture_on_commit_callbacks):
    contact = factories.ContactFactory(name="Flooder")
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        auto_block_flood(locked, channel=channel, messages=31, window_minutes=5, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        notify_flood_flags([FloodFlag.objects.get(contact=contact)])
    client.force_login(supervisor)
    page = client.get(reverse("tickets:notices")).content.decode()
    assert "Flooder sent 31 messages in 5 min and was" in page and "blocked by the flood guard</a>" in page
