"""Fetch-and-authorize for contacts, shared by console and API."""

from blockdesk import errors

from .models import Contact

CONTACT_NOT_FOUND = "No such contact."


def get_contact_for(user, pk) -> Contact:
    """Return the contact, or raise NotFound if it does not exist or the user may not see contacts."""
    if not user.has_perm("contacts.view_contact"):
        raise errors.NotFound(CONTACT_NOT_FOUND)
    contact = Contact.objects.select_related("blocked_by").filter(pk=pk).first()
    if contact is None:
        raise errors.NotFound(CONTACT_NOT_FOUND)
    return contact
