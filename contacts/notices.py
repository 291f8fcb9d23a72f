"""What the console says after a contact is blocked: one sentence for the block form and the Suspected page."""

from django.utils.translation import gettext, ngettext

from blockdesk.display import format_when

from .models import Block, Contact


def blocked_notice(contact: Contact, block: Block) -> str:
    """ "Budi is blocked until 2026-12-08 10:00. 2 open tickets resolved." in the active language."""
    if block.ends_at:
        text = gettext("%(contact)s is blocked until %(end)s.") % {
            "contact": contact,
            "end": format_when(block.ends_at),
        }
    else:
        text = gettext("%(contact)s is blocked.") % {"contact": contact}
    if resolved := block.tickets_resolved:
        text += " " + ngettext("%(count)d open ticket resolved.", "%(count)d open tickets resolved.", resolved) % {
            "count": resolved
        }
    return text
