"""Shared by the flood guard's tests: a flag the guard made, as routing would make it."""

from django.db import transaction
from django.utils import timezone

from contacts.flood_guard import flag_flood
from contacts.models import Contact
from tests import factories


def flagged(channel, contact=None, *, messages: int = 31, window_minutes: int = 5):
    """Flag a contact (a new one by default) as routing does: its row locked, in a transaction."""
    contact = contact or factories.ContactFactory()
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        return flag_flood(locked, channel=channel, messages=messages, window_minutes=window_minutes, now=timezone.now())
