"""Every time on a console page is in the viewer's own time zone, in the one format (blockdesk.display)."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.profiles import save_profile
from tests import factories
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db

MIDNIGHT_UTC = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def ticket(db):
    ticket = factories.TicketFactory(status=TicketStatus.UNASSIGNED, last_message_at=MIDNIGHT_UTC)
    factories.MessageFactory(ticket=ticket, sent_at=MIDNIGHT_UTC, body="Halo")
    return ticket


@pytest.fixture
def in_jayapura(db):
    person = factories.SupervisorFactory(username="jayapura")
    save_profile(person=person, language="", time_zone="Asia/Jayapura")
    return person


@pytest.fixture
def in_utc(db):
    person = factories.SupervisorFactory(username="utc")
    save_profile(person=person, language="", time_zone="UTC")
    return person


@pytest.mark.parametrize(
    ("viewer", "shown"),
    [("in_jayapura", "2026-12-01 09:00"), ("in_utc", "2026-12-01 00:00"), ("site_zone", "2026-12-01 07:00")],
)
def test_the_same_ticket_in_each_viewers_zone(client, ticket, viewer, shown, request, settings, supervisor):
    settings.TIME_ZONE = "Asia/Jakarta"  # the site's zone: for whoever chose none
    client.force_login(supervisor if viewer == "site_zone" else request.getfixturevalue(viewer))

    detail = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    queue = client.get(f"{reverse('tickets:supervisor')}?queue=unassigned").content.decode()

    # The message's time in the timeline, the ticket's last message in the details and in the queue's row.
    assert detail.count(f">{shown}</time>") == 1
    assert f"<dt>Last message</dt><dd>{shown}</dd>" in detail
    assert f">{shown}</time>" in queue


def test_one_persons_zone_does_not_leak_into_the_next_request(client, ticket, in_jayapura, supervisor, settings):
    settings.TIME_ZONE = "UTC"
    client.force_login(in_jayapura)
    assert "2026-12-01 09:00" in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    client.force_login(supervisor)
    assert "2026-12-01 00:00" in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()


def test_a_csv_export_is_in_the_viewers_zone_too(client, administrator, blocking_on, settings):
    """The export streams its rows after the view returns: the zone must still be the viewer's then."""
    from contacts.blocking import block_contact
    from contacts.models import Contact

    settings.TIME_ZONE = "UTC"
    contact = factories.ContactFactory(name="Sam")
    block_contact(actor=administrator, contact=contact, reason="spam")
    Contact.objects.filter(pk=contact.pk).update(blocked_at=MIDNIGHT_UTC)
    save_profile(person=administrator, language="", time_zone="Asia/Jayapura")
    client.force_login(administrator)

    response = client.get(reverse("audit:blocked_contacts_csv"))
    rows = b"".join(response.streaming_content).decode()

    assert "2026-12-01 09:00" in rows
    assert "2026-12-01 00:00" not in rows
