"""Console: Merge with… (search, confirmation, merge), the merged contact's URL, Edit, possible duplicates."""

import pytest
from django.utils.html import escape

from blockdesk import errors
from contacts.blocking import block_contact
from contacts.models import AuditEntry, BlockReason, Contact
from tests.inbound import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(channel):
    survivor = deliver(channel, "+6281100000001", "first", name="Budi").contact
    merged = deliver(channel, "+6281100000002", "second", name="Budi Santoso").contact
    return survivor, merged


def test_the_360_view_offers_merge_edit_and_shows_a_possible_duplicate(logged_in, administrator, pair):
    survivor, merged = pair
    Contact.objects.filter(pk=merged.pk).update(phone="+6281200000009")
    Contact.objects.filter(pk=survivor.pk).update(phone="081200000009")

    page = logged_in(administrator).get(f"/contacts/{survivor.pk}/").content.decode()

    assert f'href="/contacts/{survivor.pk}/merge/"' in page and "Merge with…" in page
    assert f'href="/contacts/{survivor.pk}/edit/"' in page
    assert "Possible duplicates" in page and f'href="/contacts/{survivor.pk}/merge/{merged.pk}/"' in page


def test_an_agent_sees_neither_merge_nor_edit(logged_in, agent, pair):
    survivor, _ = pair

    page = logged_in(agent).get(f"/contacts/{survivor.pk}/").content.decode()

    assert "Merge with…" not in page and f"/contacts/{survivor.pk}/edit/" not in page


def test_merge_search_finds_the_other_contact(logged_in, supervisor, pair):
    survivor, merged = pair

    page = logged_in(supervisor).get(f"/contacts/{survivor.pk}/merge/?q=Santoso").content.decode()

    assert f'href="/contacts/{survivor.pk}/merge/{merged.pk}/"' in page
    assert f'href="/contacts/{survivor.pk}/merge/{survivor.pk}/"' not in page


def test_the_confirmation_says_what_moves_and_the_block_consequence(logged_in, supervisor, blocking_on, channel, pair):
    survivor, merged = pair
    block_contact(actor=supervisor, contact=merged, reason=BlockReason.SPAM, resolve_open_tickets=False)

    page = logged_in(supervisor).get(f"/contacts/{survivor.pk}/merge/{merged.pk}/").content.decode()

    assert "1 channel address: +6281100000002 on WhatsApp" in page
    assert escape(f"{merged} is blocked, so {survivor} becomes blocked (spam)") in page
    assert "become one" in page
    assert f'href="/contacts/{merged.pk}/merge/{survivor.pk}/"' in page  # keep the other instead


def test_merging_redirects_to_the_survivor_and_the_merged_url_follows(logged_in, supervisor, pair):
    survivor, merged = pair
    client = logged_in(supervisor)

    response = client.post(f"/contacts/{survivor.pk}/merge/{merged.pk}/", follow=True)

    assert response.redirect_chain[-1][0] == f"/contacts/{survivor.pk}/"
    assert "is merged into Budi" in response.content.decode()
    assert Contact.objects.get(pk=merged.pk).merged_into_id == survivor.pk
    moved = client.get(f"/contacts/{merged.pk}/")
    assert (moved.status_code, moved["Location"]) == (302, f"/contacts/{survivor.pk}/")


def test_merging_a_contact_merged_meanwhile_says_so_and_changes_nothing(logged_in, supervisor, channel, pair):
    survivor, merged = pair
    third = deliver(channel, "+6281100000003").contact
    Contact.objects.filter(pk=merged.pk).update(merged_into=third)

    response = logged_in(supervisor).post(f"/contacts/{survivor.pk}/merge/{merged.pk}/", follow=True)

    assert response.status_code == 404
    assert escape(errors.MERGED_AWAY.format(survivor=third.pk)) in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MERGED).exists()


def test_edit_saves_and_audits(logged_in, administrator, pair):
    contact, _ = pair
    data = {"name": "Budi Baru", "phone": "+62 812 3456 7890", "email": "", "note": "VIP"}

    response = logged_in(administrator).post(f"/contacts/{contact.pk}/edit/", data, follow=True)

    assert "Saved: Name, Phone, Note." in response.content.decode()
    contact.refresh_from_db()
    assert (contact.name, contact.phone, contact.note) == ("Budi Baru", "+6281234567890", "VIP")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EDITED).count() == 3


def test_an_invalid_phone_shows_the_form_again_and_changes_nothing(logged_in, administrator, pair):
    contact, _ = pair

    response = logged_in(administrator).post(f"/contacts/{contact.pk}/edit/", {"name": "New", "phone": "abc"})

    assert response.status_code == 200
    assert escape(errors.INVALID_PHONE) in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).name == "Budi"


def test_a_supervisor_is_refused_edit(logged_in, supervisor, pair):
    contact, _ = pair

    response = logged_in(supervisor).post(f"/contacts/{contact.pk}/edit/", {"name": "New"})

    assert response.status_code == 403
    assert escape(errors.NO_PERMISSION_EDIT_CONTACT) in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).name == "Budi"
