"""A block rule's value as BlockDesk stores and compares it: one spelling per address, domain and phone prefix.

Routing matches rules against normalised addresses (contacts.addresses), so a
rule is normalised the same way when it is saved; a value that cannot match
anything is refused with the reason.
"""

import re

from django.utils.translation import gettext_noop

from blockdesk.errors import Invalid

from .addresses import clean, normalise_address, normalise_email
from .spam_models import RuleKind

RULE_EMAIL_INVALID = gettext_noop("An e-mail rule needs one whole address, like spam@example.com.")
RULE_DOMAIN_INVALID = gettext_noop("A domain rule needs a domain name, like example.com (its subdomains are included).")
RULE_PHONE_PREFIX_INVALID = gettext_noop(
    "A phone prefix starts with + and the country code, then digits only, like +6281 (E.164)."
)
RULE_ADDRESS_EMPTY = gettext_noop("An address rule needs the channel address exactly as the channel sends it.")
RULE_KIND_INVALID = gettext_noop(
    "Choose what the rule matches: e-mail address, e-mail domain, phone prefix or channel address."
)

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
_EMAIL_LOCAL = re.compile(r"[^\s@]{1,64}")
# Spaces, dashes, dots and brackets people type inside a number; a prefix is "+" and 1 to 15 digits.
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_PHONE_PREFIX = re.compile(r"\+[1-9]\d{0,14}")


def normalise_rule_value(kind: str, value: str, *, channel_kind: str | None = None) -> str:
    """The value as stored and matched; raise Invalid (with the reason) if no address could ever match it."""
    if kind == RuleKind.EMAIL:
        email = normalise_email(value)
        local, at, domain = email.rpartition("@")
        if not at or not _EMAIL_LOCAL.fullmatch(local) or not _domain(domain):
            raise Invalid(RULE_EMAIL_INVALID)
        return email
    if kind == RuleKind.DOMAIN:
        domain = _domain(clean(value).lower().lstrip("@*.").rstrip("."))
        if not domain:
            raise Invalid(RULE_DOMAIN_INVALID)
        return domain
    if kind == RuleKind.PHONE_PREFIX:
        prefix = _PHONE_SEPARATORS.sub("", clean(value))
        if not _PHONE_PREFIX.fullmatch(prefix):
            raise Invalid(RULE_PHONE_PREFIX_INVALID)
        return prefix
    if kind == RuleKind.ADDRESS:
        address = normalise_address(channel_kind, value) if channel_kind else clean(value)
        if not address or len(address) > 255:
            raise Invalid(RULE_ADDRESS_EMPTY)
        return address
    raise Invalid(RULE_KIND_INVALID, field="kind")


def _domain(text: str) -> str:
    """The domain in lower case, or "" when it is not one (IDN domains are matched in their A-label form)."""
    try:
        text = text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        return ""
    return text if _DOMAIN.fullmatch(text) else ""
