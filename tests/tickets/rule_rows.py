"""Block rules written straight to the table, as the rules pages would leave them (version raised)."""

from contacts.models import BlockRule
from contacts.rule_match import rules_changed


def add_rule(kind: str, value: str, action: str, channel=None) -> BlockRule:
    rule = BlockRule.objects.create(kind=kind, value=value, action=action, channel=channel)
    rules_changed()
    return rule
