"""Possible duplicates: other contacts that are probably the same person as this one.

The same phone (any spelling, on the contact or a channel address), the same e-mail (any case, likewise) or
the same name (any case and spacing). Exact matches only, each read through an index (contact_phone,
contact_email_lower, contact_name_lower, identity_address), so the look-up costs the same at 20,000
contacts or 2 million; a similarity over every contact's name cost the 360 view 50–70 ms at 20,000.
"""

from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_noop

from blockdesk import errors

from .editing import parse_phone
from .models import Contact, ContactIdentity

SHOWN = 5
# Shorter names match too many people to mean anything.
MIN_NAME_LENGTH = 3

SAME_PHONE = gettext_noop("same phone")
SAME_EMAIL = gettext_noop("same e-mail")
SAME_NAME = gettext_noop("same name")


@dataclass(frozen=True)
class PossibleDuplicate:
    contact: Contact
    why: str


def _phones(contact: Contact) -> list[str]:
    """The contact's phone as written and in E.164, so either spelling on another contact matches."""
    if not contact.phone:
        return []
    try:
        normalised = parse_phone(contact.phone)
    except errors.Invalid:
        return [contact.phone]
    return list(dict.fromkeys([contact.phone, normalised]))


def _with_an_address_in(addresses: list[str]) -> Q:
    """Contacts a channel knows by one of these addresses.

    On PostgreSQL as `id = ANY(ARRAY(SELECT contact_id …))`: the identities are read once and the ids join the
    other conditions' bitmap index scans; `id IN (SELECT …)` would make the planner read every contact.
    """
    at_address = ContactIdentity.objects.filter(external_id__in=addresses).values("contact_id")
    if connection.vendor == "postgresql":
        ids = ArraySubquery(at_address)
        return Q(Func(F("pk"), ids, arg_joiner=" = ANY(", template="(%(expressions)s))", output_field=BooleanField()))
    return Q(pk__in=at_address)


def possible_duplicates(contact: Contact, limit: int = SHOWN) -> list[PossibleDuplicate]:
    """Live contacts sharing a phone or e-mail with this one (on the contact or a channel address), or its name.

    One query, whatever the number of contacts.
    """
    phones, email, name = _phones(contact), contact.email.strip().lower(), " ".join(contact.name.split()).lower()
    # E-mail addresses are stored in lower case (contacts.addresses.normalise_email); the written one matches too.
    emails = list(dict.fromkeys([contact.email.strip(), email])) if email else []
    conditions = Q()
    if phones:
        conditions |= Q(phone__in=phones)
    if email:
        conditions |= Q(email_lower=email)
    if len(name) >= MIN_NAME_LENGTH:
        conditions |= Q(name_lower=name)
    if phones or emails:
        conditions |= _with_an_address_in(phones + emails)
    if not conditions:
        return []
    # Why each shown row matched (PostgreSQL computes these for the shown rows only, after the LIMIT).
    why = {
        f"{kind}_address": Exists(ContactIdentity.objects.filter(contact=OuterRef("pk"), external_id__in=addresses))
        for kind, addresses in (("phone", phones), ("email", emails))
        if addresses
    }
    found = (
        Contact.objects.live()
        .exclude(pk=contact.pk)
        .alias(email_lower=Lower("email"), name_lower=Lower("name"))
        .filter(conditions)
        .annotate(**why)
        .order_by("-is_blocked", "created_at", "id")[:limit]
    )
    return [PossibleDuplicate(contact=row, why=_why(row, phones, email)) for row in found]


def _why(row: Contact, phones: list[str], email: str) -> str:
    if phones and (row.phone in phones or row.phone_address):
        return gettext(SAME_PHONE)
    if email and (row.email.lower() == email or row.email_address):
        return gettext(SAME_EMAIL)
    return gettext(SAME_NAME)
