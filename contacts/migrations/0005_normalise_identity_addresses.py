"""Normalise every stored channel address, and make one contact of the people whose addresses then collide.

Routing now stores an address normalised (contacts.addresses: NFKC, no
invisible characters or surrounding spaces, valid phone numbers in E.164 on
WhatsApp and SMS channels, e-mail channels in lower case), and a new address
whose phone or e-mail is a known contact's joins that contact. This brings
the rows stored before to the same state: identities normalised; contacts
sharing an address on one channel, a phone number on phone-like channels or
an e-mail address on e-mail channels merged into one, the survivor chosen as
routing chooses (a blocked one, then the oldest). The merge is DESIGN.md's:
identities, tickets, blocks, audit entries and deleted-message records move to
the survivor; when both are blocked the merged contact's current block is
closed as "merged"; two open tickets on one channel become one (the older
keeps its id, status and assignee; a note says what joined it). The merged
contacts' rows are then deleted. It prints how many rows it changed.

The normalisation is frozen here, as it was written for this migration.
"""

import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.db import migrations
from django.db.models import Q
from django.utils import timezone

PHONE_KINDS = {"whatsapp", "sms"}
EMAIL_KINDS = {"email"}
PHONE_TEXT = re.compile(r"\+?[\d\s().\-/]+")
OPEN_STATUSES = ["bot", "unassigned", "assigned", "blocked"]
JOIN_NOTE = "Ticket #{gone} ({messages}) of the same person merged into this one when their addresses were normalised."
REPORT = (
    "  Addresses: {identities} identities normalised, {duplicates} duplicates removed; "
    "{contact_fields} contact phones/e-mails normalised; {merged} contacts merged into {survivors}; "
    "{joined} open tickets joined."
)


def clean(text):
    if text.isascii():
        return text.strip()
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf").strip()


def phone_number(text):
    text = clean(text)
    if not PHONE_TEXT.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, getattr(settings, "PHONE_DEFAULT_REGION", "ID"))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_address(kind, text):
    if kind in PHONE_KINDS:
        return phone_number(text) or clean(text)
    if kind in EMAIL_KINDS:
        return clean(text).lower()
    return clean(text)


def person_key(kind, address):
    if kind in PHONE_KINDS:
        number = phone_number(address)
        return ("phone", number) if number else None
    if kind in EMAIL_KINDS and "@" in address:
        return ("email", address)
    return None


class People:
    """Union-find over contact ids: the contacts that turn out to be one person."""

    def __init__(self):
        self.parent = {}

    def find(self, contact):
        self.parent.setdefault(contact, contact)
        while self.parent[contact] != contact:
            self.parent[contact] = self.parent[self.parent[contact]]
            contact = self.parent[contact]
        return contact

    def union(self, first, second):
        self.parent[self.find(first)] = self.find(second)

    def groups(self):
        found = {}
        for contact in list(self.parent):
            found.setdefault(self.find(contact), []).append(contact)
        return [sorted(group) for group in found.values() if len(group) > 1]


def merge(apps, survivor, merged, now):
    """Move everything of `merged` to `survivor` (blocked first, then oldest, so survivor is blocked if either is)."""
    Contact = apps.get_model("contacts", "Contact")
    Block = apps.get_model("contacts", "Block")
    AuditEntry = apps.get_model("contacts", "AuditEntry")
    ContactIdentity = apps.get_model("contacts", "ContactIdentity")
    Ticket = apps.get_model("tickets", "Ticket")
    DeletedMessage = apps.get_model("tickets", "DeletedMessage")
    if merged.is_blocked:
        Block.objects.filter(contact=merged, lifted_at__isnull=True).update(lifted_at=now, lifted_with="merged")
    for model in (ContactIdentity, Ticket, Block, AuditEntry, DeletedMessage):
        model.objects.filter(contact=merged).update(contact=survivor)
    for name in ("name", "phone", "email"):
        if not getattr(survivor, name):
            setattr(survivor, name, getattr(merged, name))
    Contact.objects.filter(pk=survivor.pk).update(name=survivor.name, phone=survivor.phone, email=survivor.email)
    Contact.objects.filter(pk=merged.pk).delete()


def join_open_tickets(apps, contact_ids, now):
    """Make the open tickets of these contacts (one person) on each channel one ticket; return how many went."""
    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    by_channel = {}
    for ticket in Ticket.objects.filter(contact_id__in=contact_ids, status__in=OPEN_STATUSES).order_by(
        "created_at", "pk"
    ):
        by_channel.setdefault(ticket.channel_id, []).append(ticket)
    joined = 0
    for kept, *gone in by_channel.values():
        for other in gone:
            moved = Message.objects.filter(ticket=other).update(ticket=kept)
            Message.objects.create(
                ticket=kept,
                channel_id=kept.channel_id,
                direction="note",
                body=JOIN_NOTE.format(gone=other.pk, messages=f"{moved} message{'' if moved == 1 else 's'}"),
                sent_at=now,
            )
            kept.last_message_at = max(kept.last_message_at, other.last_message_at)
            other.delete()
            joined += 1
        if gone:
            newest = Message.objects.filter(ticket=kept).exclude(direction="note").order_by("-sent_at", "-id").first()
            kept.message_count = Message.objects.filter(ticket=kept).count()
            if newest is not None:
                text = " ".join(newest.body.split())
                kept.last_message_preview = text if len(text) <= 140 else text[:139] + "…"
            kept.updated_at = now
            kept.save(update_fields=["message_count", "last_message_at", "last_message_preview", "updated_at"])
    return joined


def normalise(apps, schema_editor):
    Channel = apps.get_model("contacts", "Channel")
    Contact = apps.get_model("contacts", "Contact")
    ContactIdentity = apps.get_model("contacts", "ContactIdentity")
    now = timezone.now()
    kinds = dict(Channel.objects.values_list("pk", "kind"))
    identities = list(
        ContactIdentity.objects.order_by("pk").values_list("pk", "contact_id", "channel_id", "external_id")
    )

    people = People()
    first_holder = {}  # (channel, address) or person key → a contact holding it
    normalised = {}
    for pk, contact, channel, address in identities:
        people.find(contact)
        # An address with nothing left once cleaned stays as it was: no channel can deliver it again.
        address = normalised[pk] = normalise_address(kinds[channel], address) or address
        for key in ((channel, address), person_key(kinds[channel], address)):
            if key is None:
                continue
            if key in first_holder:
                people.union(contact, first_holder[key])
            else:
                first_holder[key] = contact

    merged = survivors = joined = 0
    for group in people.groups():
        contacts = sorted(Contact.objects.filter(pk__in=group), key=lambda c: (not c.is_blocked, c.created_at, c.pk))
        survivor, others = contacts[0], contacts[1:]
        joined += join_open_tickets(apps, group, now)  # first: one open ticket per contact and channel
        for other in others:
            merge(apps, survivor, other, now)
        merged += len(others)
        survivors += 1

    # One identity per channel address: the oldest row keeps it.
    kept, duplicates = set(), set()
    for pk, _, channel, _ in identities:
        if (channel, normalised[pk]) in kept:
            duplicates.add(pk)
        else:
            kept.add((channel, normalised[pk]))
    ContactIdentity.objects.filter(pk__in=duplicates).delete()
    renamed = 0
    for pk, _, _, address in identities:
        if pk in duplicates or normalised[pk] == address:
            continue
        ContactIdentity.objects.filter(pk=pk).update(external_id=normalised[pk])
        renamed += 1

    contact_fields = 0
    for contact in Contact.objects.exclude(Q(phone="") & Q(email="")).only("pk", "phone", "email"):
        phone = phone_number(contact.phone) or clean(contact.phone)
        email = clean(contact.email).lower()
        if (phone, email) != (contact.phone, contact.email):
            Contact.objects.filter(pk=contact.pk).update(phone=phone, email=email)
            contact_fields += 1

    print(
        REPORT.format(
            identities=renamed,
            duplicates=len(duplicates),
            contact_fields=contact_fields,
            merged=merged,
            survivors=survivors,
            joined=joined,
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0004_identity_address_indexes"),
        ("tickets", "0002_deleted_message_ids"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=False)]
