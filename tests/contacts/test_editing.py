"""edit_contact: phone to E.164, e-mail checked, each changed field audited old → new, refusals change nothing."""

import re

import pytest

from blockdesk import errors
from contacts.editing import edit_contact
from contacts.models import AuditEntry, Contact
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return factories.ContactFactory(name="Budi", phone="+6281200000001", email="budi@example.com")


def test_each_changed_field_is_saved_and_audited_old_to_new(administrator, contact):
    changes = edit_contact(
        actor=administrator, contact=contact, name="Budi Santoso", phone="0812 3456 7890", email="budi@example.com"
    )

    contact.refresh_from_db()
    assert (contact.name, contact.phone) == ("Budi Santoso", "+6281234567890")
    assert [c.field for c in changes] == ["name", "phone"]
    rows = AuditEntry.objects.filter(action=AuditEntry.Action.EDITED, contact=contact).order_by("subject")
    assert [(r.subject, r.change, r.actor) for r in rows] == [
        ("Name", "Budi → Budi Santoso", administrator),
        ("Phone", "+6281200000001 → +6281234567890", administrator),
    ]


def test_clearing_a_field_reads_as_a_dash(administrator, contact):
    edit_contact(actor=administrator, contact=contact, email="")

    assert AuditEntry.objects.get(action=AuditEntry.Action.EDITED).change == "budi@example.com → —"


def test_nothing_changed_writes_no_audit_row(administrator, contact):
    assert edit_contact(actor=administrator, contact=contact, name=" Budi ") == []
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("values", "detail"),
    [
        ({"phone": "call me"}, errors.INVALID_PHONE),
        ({"phone": "12"}, errors.INVALID_PHONE),
        ({"email": "budi@"}, errors.INVALID_EMAIL),
        ({"name": "x" * 201}, errors.TOO_LONG.format(field="Name", limit=200)),
    ],
)
def test_bad_values_are_refused_and_change_nothing(administrator, contact, values, detail):
    with pytest.raises(errors.Invalid, match=re.escape(detail)):
        edit_contact(actor=administrator, contact=contact, **{"name": "Changed", **values})

    assert Contact.objects.get(pk=contact.pk).name == "Budi"
    assert not AuditEntry.objects.exists()


def test_without_change_contact_nobody_edits(supervisor, contact):
    with pytest.raises(errors.Forbidden, match=errors.NO_PERMISSION_EDIT_CONTACT):
        edit_contact(actor=supervisor, contact=contact, name="Changed")

    assert Contact.objects.get(pk=contact.pk).name == "Budi"
