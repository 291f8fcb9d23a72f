"""Possible duplicates: other contacts that are probably the same person as this one."""

from dataclasses import dataclass

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from blockdesk import errors

from .editing import parse_phone
from .models import Contact, ContactIdentity

SHOWN = 5
# pg_trgm similarity from which two names read as one person's ("Budi Santoso" ~ "Budi Santosa").
NAME_SIMILARITY = 0.6
# Shorter names match too many people to mean anything.
MIN_NAME_LENGTH = 3

SAME_PHONE = "same phone"
SAME_EMAIL = "same e-mail"
SIMILAR_NAME = "similar name"


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


def _close_name(name: str) -> Q | None:
    if len(name) < MIN_NAME_LENGTH:
        return None
    if connection.vendor == "postgresql":
        return Q(name_similarity__gte=NAME_SIMILARITY)
    return Q(name__iexact=name) | Q(name__istartswith=f"{name} ")


def possible_duplicates(contact: Contact, limit: int = SHOWN) -> list[PossibleDuplicate]:
    """Live contacts sharing a phone or e-mail with this one (on the contact or a channel address), or a close name.

    One query, whatever the number of contacts.
    """
    phones, email, name = _phones(contact), contact.email.strip(), " ".join(contact.name.split())
    conditions = Q()
    found = Contact.objects.live().exclude(pk=contact.pk)
    if phones:
        found = found.annotate(
            phone_address=Exists(ContactIdentity.objects.filter(contact=OuterRef("pk"), external_id__in=phones))
        )
        conditions |= Q(phone__in=phones) | Q(phone_address=True)
    if email:
        found = found.annotate(
            email_address=Exists(ContactIdentity.objects.filter(contact=OuterRef("pk"), external_id__iexact=email))
        )
        conditions |= Q(email__iexact=email) | Q(email_address=True)
    close_name = _close_name(name)
    if close_name is not None:
        if connection.vendor == "postgresql":
            found = found.annotate(name_similarity=TrigramSimilarity("name", name))
        conditions |= close_name
    if not conditions:
        return []
    rows = found.filter(conditions).order_by("-is_blocked", "created_at", "id")[:limit]
    return [PossibleDuplicate(contact=row, why=_why(row, phones, email)) for row in rows]


def _why(row: Contact, phones: list[str], email: str) -> str:
    if phones and (row.phone in phones or row.phone_address):
        return SAME_PHONE
    if email and (row.email.lower() == email.lower() or row.email_address):
        return SAME_EMAIL
    return SIMILAR_NAME
