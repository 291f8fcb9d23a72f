"""Fetch-and-authorize for contacts, shared by console and API."""

from django.utils.translation import gettext, gettext_noop

from blockdesk import errors
from settings_app.switches import keep_switches, switch_columns, switches_from

from .blocking import BlockedTicketCounts, blocked_ticket_counts
from .models import SWITCHES_PREFIX, Contact

CONTACT_NOT_FOUND = gettext_noop("No such contact.")


def get_contact_for(user, pk) -> Contact:
    """Return the contact, or raise NotFound if it does not exist or the user may not see contacts.

    A contact merged into another raises MergedAway (a NotFound) naming the survivor. The system switches
    are read in the same statement and kept for the request (may this person block or unblock it?).
    """
    if not user.has_perm("contacts.view_contact"):
        raise errors.NotFound(CONTACT_NOT_FOUND)
    found = Contact.objects.select_related("blocked_by").annotate(**switch_columns(SWITCHES_PREFIX))
    contact = found.filter(pk=pk).first()
    if contact is None:
        raise errors.NotFound(CONTACT_NOT_FOUND)
    keep_switches(switches_from(contact, SWITCHES_PREFIX))
    if contact.merged_into_id is not None:
        raise errors.MergedAway(
            gettext(errors.MERGED_AWAY).format(survivor=contact.merged_into_id), merged_into=contact.merged_into_id
        )
    return contact


def visible_blocked_counts(
    user, contact: Contact, known: BlockedTicketCounts | None = None
) -> BlockedTicketCounts | None:
    """The contact's blocked tickets and messages, for people who may see the Blocked list; else None.

    known: the counts when the caller has read them already (the 360 view, from the open tickets it loads).
    """
    if not user.has_perm("tickets.view_blocked_ticket"):
        return None
    return known if known is not None else blocked_ticket_counts(contact)
