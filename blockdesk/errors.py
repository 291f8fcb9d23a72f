"""Named errors raised by BlockDesk's domain functions.

Every door (console, API, admin, commands) maps them the same way:
Forbidden → 403, NotFound → 404, Conflict → 409, Invalid → 422/form error.
Texts are constants so tests and templates can import them: English msgids,
marked with gettext_noop, translated when an error is raised into the language
active for whoever asked (the person's, or the browser's).
"""

from django.utils.translation import gettext, gettext_noop


class DomainError(Exception):
    """A refused state change, with a text fit to show the person who asked."""

    def __init__(self, detail: str):
        detail = gettext(detail)
        super().__init__(detail)
        self.detail = detail


class Forbidden(DomainError):
    """The actor lacks the permission, or the feature is switched off."""


class FeatureDisabled(Forbidden):
    """The block-contacts feature is switched off."""


class NotFound(DomainError):
    """The object does not exist, or the actor may not see it."""


class MergedAway(NotFound):
    """The contact was merged into another one: answer 404 and name the survivor."""

    def __init__(self, detail: str, *, merged_into: int):
        super().__init__(detail)
        self.merged_into = merged_into


class Conflict(DomainError):
    """The object is not in a state that allows the change."""


class Invalid(DomainError):
    """A value the change cannot accept; `field` names it, for a form to show the refusal under that field."""

    def __init__(self, detail: str, *, field: str = ""):
        super().__init__(detail)
        self.field = field


BLOCKING_DISABLED = gettext_noop(
    "Blocking contacts is switched off. An administrator can switch it on in System settings."
)
NO_PERMISSION_BLOCK = gettext_noop("You do not have permission to block contacts.")
NO_PERMISSION_UNBLOCK = gettext_noop("You do not have permission to unblock contacts.")
NO_PERMISSION_UNBLOCK_TICKET = gettext_noop("You do not have permission to unblock blocked tickets.")
NO_PERMISSION_DELETE_TICKET = gettext_noop("You do not have permission to delete blocked tickets.")
NO_PERMISSION_SETTINGS = gettext_noop("Only administrators can change system settings.")
NO_PERMISSION_WORK = gettext_noop("You do not have permission to work on tickets.")
NO_PERMISSION_ASSIGN = gettext_noop("You do not have permission to assign tickets.")
# Console refusals: the text of each 403 and 404 page (blockdesk.console shows them).
NO_ROLE = gettext_noop(
    "Your account has no role yet. Ask an administrator to add you to Agents, Supervisors or Administrators."
)
NO_PERMISSION_VIEW_CONTACTS = gettext_noop("You do not have permission to see contacts.")
NO_PERMISSION_VIEW_TICKETS = gettext_noop("You do not have permission to see tickets.")
NO_PERMISSION_SUPERVISOR_DASHBOARD = gettext_noop("Only supervisors can see every queue.")
NO_PERMISSION_BLOCKED_LIST = gettext_noop("Only supervisors can see the Blocked list.")
NO_PERMISSION_AUDIT = gettext_noop("Only administrators can see the audit trail.")
NO_PERMISSION_EXPORT_BLOCKED = gettext_noop("Only administrators can export the blocked contacts.")
NO_PERMISSION_PAGE = gettext_noop("You do not have permission to see this page.")
PAGE_NOT_FOUND = gettext_noop("There is no such page. It may have moved, or the link is mistyped.")
NO_SUCH_QUEUE = gettext_noop("There is no such queue.")
NO_SUCH_DASHBOARD = gettext_noop("There is no such dashboard.")
NO_SUCH_ACTION = gettext_noop("There is no such action.")
ALREADY_BLOCKED = gettext_noop("This contact is already blocked.")
NOT_BLOCKED = gettext_noop("This contact is not blocked.")
BLOCK_END_PAST = gettext_noop("A timed block must end in the future: pick a later date, or block forever.")
BLOCK_DURATION_INVALID = gettext_noop(
    "Choose how long the block lasts: forever, 1 hour, 1 day, 7 days, 30 days or until a date."
)
BLOCK_DATE_MISSING = gettext_noop("Pick the date the block lasts until.")
NO_CONTACTS_SELECTED = gettext_noop("Select at least one contact.")
BAD_CONTACT_SELECTION = gettext_noop(
    "The selection holds something that is not a contact: reload the list and select again."
)
TOO_MANY_CONTACTS = gettext_noop("Select at most {limit} contacts at a time.")
CONTACTS_GONE = gettext_noop(
    "Some of the selected contacts no longer exist (merged or deleted): reload the list and select again."
)
BLOCK_END_TWICE = gettext_noop("Give either a duration or an exact end (until), not both.")
TICKET_NOT_BLOCKED = gettext_noop("This ticket is not blocked.")
TICKETS_NOT_BLOCKED = gettext_noop("Some of the selected tickets are not blocked (any more); nothing was changed.")
NO_TICKETS_SELECTED = gettext_noop("Select at least one ticket.")
INVALID_REASON = gettext_noop("Choose a reason: spam, abuse or other.")
INVALID_UNBLOCK_CHOICE = gettext_noop("Choose Unblock All or Delete All.")
TICKET_CLOSED = gettext_noop(
    "This ticket is resolved. Reopen it to work on it again (a blocked contact's ticket cannot be reopened)."
)
TICKET_IS_BLOCKED = gettext_noop("This ticket is blocked; a supervisor must unblock it first.")
TICKET_NOT_UNASSIGNED = gettext_noop("Only an unassigned ticket can be taken.")
TICKET_NOT_WITH_BOT = gettext_noop("Only a ticket with the BOT can be handed over.")
TICKET_NOT_YOURS = gettext_noop("This ticket is assigned to someone else.")
ASSIGNEE_CANNOT_WORK = gettext_noop("That person cannot work on tickets.")
EMPTY_TEXT = gettext_noop("Write a message first.")
NO_PERMISSION_CHANNELS = gettext_noop("Only administrators can manage channels.")
CHANNEL_NAME_INVALID = gettext_noop("Give the channel a name of 1 to 100 characters.")
CHANNEL_NAME_TAKEN = gettext_noop("A channel named {name!r} already exists.")
UNKNOWN_CHANNEL_KIND = gettext_noop("Unknown kind {kind!r}; choose one of: {kinds}.")
CHANNEL_ALREADY_ACTIVE = gettext_noop("This channel is already switched on.")
CHANNEL_ALREADY_INACTIVE = gettext_noop("This channel is already switched off.")
API_TOKEN_ONLY_FOR_YOURSELF = gettext_noop("A personal API token is made by its owner, for themselves only.")
API_TOKEN_NAME_TOO_LONG = gettext_noop("Name the token in at most 100 characters.")
API_TOKEN_OWNER_INACTIVE = gettext_noop("This account is inactive; a token for it would not work.")
NO_PERMISSION_REVOKE_API_TOKEN = gettext_noop("Only its owner or an administrator can revoke this API token.")
API_TOKEN_NOT_FOUND = gettext_noop("No such API token among yours.")
API_TOKEN_ALREADY_REVOKED = gettext_noop("This API token is already revoked.")
CSRF_FAILED = gettext_noop("This form has expired or was sent from another page. Reload the page and try again.")
NO_PERMISSION_MERGE = gettext_noop("You do not have permission to merge contacts.")
NO_PERMISSION_EDIT_CONTACT = gettext_noop("You do not have permission to edit contacts.")
MERGED_AWAY = gettext_noop("This contact was merged into contact #{survivor}.")
MERGE_WITH_ITSELF = gettext_noop("Choose another contact: a contact cannot be merged with itself.")
MERGE_ALREADY_MERGED = gettext_noop(
    "One of the two contacts was merged into another one meanwhile; nothing was changed."
)
INVALID_PHONE = gettext_noop("Enter a phone number with its country code, e.g. +62 812 3456 7890.")
INVALID_EMAIL = gettext_noop("Enter an e-mail address such as name@example.com.")
TOO_LONG = gettext_noop("{field}: at most {limit} characters.")
NOT_EDITABLE = gettext_noop("These fields cannot be edited: {fields}.")
NO_PERMISSION_SEARCH = gettext_noop("You do not have permission to search contacts or tickets.")
# Delivery of replies (tickets.outbox): the reasons a reply shows when it was not sent, and refusals.
DELIVERY_CONTACT_BLOCKED = gettext_noop("Not sent: the contact is blocked.")
DELIVERY_UNDELIVERABLE = gettext_noop("Not sent: {reason}")
DELIVERY_NO_SENDER = gettext_noop("Not sent: replies cannot be sent on {kind} channels yet.")
DELIVERY_ATTEMPTS_USED_UP = gettext_noop("Gave up after {attempts} attempts. Last error: {reason}")
DELIVERY_SENDER_CRASHED = gettext_noop("The sender failed unexpectedly: {error}")
NOT_A_FAILED_DELIVERY = gettext_noop("Only a reply whose delivery failed can be retried.")
RETRY_CONTACT_BLOCKED = gettext_noop("This contact is blocked; nothing is sent to them.")
UNKNOWN_RECEIPT_STATE = gettext_noop("Unknown receipt state {state!r}; send delivered or read.")
NO_SUCH_MESSAGE = gettext_noop("There is no such message.")
NO_PERMISSION_FAILED_DELIVERIES = gettext_noop("Only supervisors can see the failed deliveries.")

# Working the queues (issue 16).
TICKET_NOT_RESOLVED = gettext_noop("Only a resolved ticket can be reopened.")
REOPEN_CONTACT_BLOCKED = gettext_noop(
    "This contact is blocked, so their conversation cannot be reopened. Unblock the contact first if you mean to "
    "talk to them again."
)
REOPEN_OTHER_OPEN = gettext_noop("This contact already has an open ticket on this channel (#{pk}); continue there.")
NO_SUCH_CHANNEL_FILTER = gettext_noop("No such channel.")
NO_SUCH_ASSIGNEE_FILTER = gettext_noop("No such person to filter by.")
BAD_WAITING_FILTER = gettext_noop("Waiting longer than takes a whole number of minutes, from 0 to 10080 (a week).")
BAD_SORT = gettext_noop("Sort by waiting time or by last activity.")
NO_PERMISSION_SLA = gettext_noop("Only supervisors can see the SLA view.")
NO_PERMISSION_TEAM_REPLIES = gettext_noop("Only supervisors can manage the team's saved replies.")
SAVED_REPLY_NOT_FOUND = gettext_noop("No such saved reply.")
SAVED_REPLY_EMPTY = gettext_noop("A saved reply needs a title and a text.")
# Spam overview (/spam/, GET /api/v1/spam/overview).
NO_PERMISSION_SPAM_OVERVIEW = gettext_noop("Only supervisors and administrators can see the spam overview.")
