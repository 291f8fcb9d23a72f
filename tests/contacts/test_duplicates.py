"""possible_duplicates: same phone (any spelling, contact or channel address), same e-mail, same name; one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.duplicates import SAME_EMAIL, SAME_NAME, SAME_PHONE, possible_duplicates
from contacts.models import Contact
from tests import factories

pytestmark = pytest.mark.django_db


def _found(contact):
    return {(d.contact.pk, d.why) for d in possible_duplicates(contact)}


def test_same_phone_in_another_spelling_and_on_a_channel_address(channel):
    contact = factories.ContactFactory(name="Budi", phone="0812 3456 7890", email="")
    same_phone = factories.ContactFactory(name="Someone", phone="+6281234567890", email="")
    by_address = factories.ContactFactory(name="Else", phone="", email="")
    by_address.identities.create(channel=channel, external_id="+6281234567890")
    factories.ContactFactory(name="Stranger", phone="+6281299999999", email="")

    assert _found(contact) == {(same_phone.pk, SAME_PHONE), (by_address.pk, SAME_PHONE)}


def test_same_email_ignoring_case():
    contact = factories.ContactFactory(name="Budi", phone="", email="Budi@Example.com")
    twin = factories.ContactFactory(name="B.", phone="", email="budi@example.com")

    assert _found(contact) == {(twin.pk, SAME_EMAIL)}


def test_the_same_name_in_any_case():
    contact = factories.ContactFactory(name="Budi Santoso", phone="", email="")
    close = factories.ContactFactory(name="budi santoso", phone="", email="")
    factories.ContactFactory(name="Ani Wijaya", phone="", email="")

    assert _found(contact) == {(close.pk, SAME_NAME)}


def test_merged_away_contacts_and_the_contact_itself_are_not_duplicates(supervisor):
    contact = factories.ContactFactory(name="Budi", phone="+6281234567890", email="")
    twin = factories.ContactFactory(name="Budi", phone="+6281234567890", email="")
    survivor = factories.ContactFactory(name="Zed", phone="", email="")
    Contact.objects.filter(pk=twin.pk).update(merged_into=survivor)

    assert _found(contact) == set()


def test_one_query_however_many_match():
    contact = factories.ContactFactory(name="Budi", phone="+6281234567890", email="budi@example.com")
    factories.ContactFactory.create_batch(8, name="Budi", phone="+6281234567890")

    with CaptureQueriesContext(connection) as queries:
        found = possible_duplicates(contact)

    assert len(found) == 5 and len(queries) == 1


def test_a_channel_address_in_another_case_and_a_close_but_different_name(channel):
    contact = factories.ContactFactory(name="Budi Santoso", phone="", email="Budi@Example.com")
    by_address = factories.ContactFactory(name="Else", phone="", email="")
    by_address.identities.create(channel=channel, external_id="budi@example.com")
    factories.ContactFactory(name="Budi Santosa", phone="", email="")  # one letter off: exact names only

    assert _found(contact) == {(by_address.pk, SAME_EMAIL)}
