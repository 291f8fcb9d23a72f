"""Block rules: add, change and delete them — each audited, each renewing SystemSettings.rules_version.

Console, Django admin and API all call these. Routing (contacts.rule_match,
tickets.routing) recompiles its rules when rules_version changes, so every
change raises it in the same transaction as the change itself: a process that
reads the new version also reads the new rules. Hits are counted by routing,
never here (a hit is not a change of the rules).
"""

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from blockdesk import errors
from settings_app.switches import forget_switches

from .audit import record
from .models import AuditEntry, Channel
from .rule_match import rules_changed
from .rule_values import RULE_KIND_INVALID, normalise_rule_value
from .spam_models import BlockRule, RuleAction, RuleKind

NO_PERMISSION_VIEW_RULES = gettext_noop("Only supervisors can see the block rules.")
NO_PERMISSION_ADD_RULE = gettext_noop("Only supervisors can add block rules.")
NO_PERMISSION_CHANGE_RULE = gettext_noop("Only supervisors can change block rules.")
NO_PERMISSION_DELETE_RULE = gettext_noop("Only supervisors can delete block rules.")
RULE_NOT_FOUND = gettext_noop("There is no such block rule. It may have been deleted.")
RULE_ACTION_INVALID = gettext_noop("Choose what the rule does: quarantine, reject or allow.")
RULE_CHANNEL_ONLY_ADDRESS = gettext_noop(
    "Only a channel address rule can name a channel; e-mail, domain and phone prefix rules hold on every channel."
)
RULE_CHANNEL_UNKNOWN = gettext_noop("There is no such channel.")
RULE_NOTE_TOO_LONG = gettext_noop("The note takes at most {limit} characters.")
RULE_DUPLICATE = gettext_noop("Rule {number} already matches {what}; change that rule instead.")

NOTE_MAX_LENGTH = BlockRule._meta.get_field("note").max_length
SUBJECT_MAX_LENGTH = AuditEntry._meta.get_field("subject").max_length
CHANGE_MAX_LENGTH = AuditEntry._meta.get_field("change").max_length

VERB_PERMISSIONS = {
    "view": ("contacts.view_blockrule", NO_PERMISSION_VIEW_RULES),
    "add": ("contacts.add_blockrule", NO_PERMISSION_ADD_RULE),
    "change": ("contacts.change_blockrule", NO_PERMISSION_CHANGE_RULE),
    "delete": ("contacts.delete_blockrule", NO_PERMISSION_DELETE_RULE),
}


def rule_refusal(actor, verb: str) -> str | None:
    """Why the actor may not view / add / change / delete block rules, or None; each verb here asks it first."""
    permission, refusal = VERB_PERMISSIONS[verb]
    return None if actor.has_perm(permission) else refusal


def _check_may(actor, verb: str) -> None:
    refusal = rule_refusal(actor, verb)
    if refusal:
        raise errors.Forbidden(refusal)


def rules_matching(*, action: str = "", kind: str = "", q: str = "") -> QuerySet[BlockRule]:
    """The rules a list shows, newest first, with what each row names (one query for any number of rows)."""
    rules = BlockRule.objects.select_related("channel", "created_by")
    if action:
        rules = rules.filter(action=action)
    if kind:
        rules = rules.filter(kind=kind)
    if q:
        rules = rules.filter(Q(value__icontains=q.strip()) | Q(note__icontains=q.strip()))
    return rules.order_by("-created_at", "-id")


def get_rule_for(actor, pk: int) -> BlockRule:
    """The rule, if the actor may see rules (else Forbidden); NotFound if there is none with that number."""
    _check_may(actor, "view")
    rule = BlockRule.objects.select_related("channel", "created_by").filter(pk=pk).first()
    if rule is None:
        raise errors.NotFound(RULE_NOT_FOUND)
    return rule


def describe(kind: str, value: str, channel: Channel | None) -> str:
    """What a rule matches, in the words the console shows: "e-mail domain spam.example on channel WhatsApp"."""
    what = {"kind": RuleKind(kind).label.lower(), "value": value, "channel": channel}
    if channel is None:
        return gettext("%(kind)s %(value)s") % what
    return gettext("%(kind)s %(value)s on channel %(channel)s") % what


def check_rule(
    *, kind: str, value: str, action: str, channel: Channel | None, note: str, rule: BlockRule | None = None
) -> str:
    """Return the value normalised, or raise Invalid (the reason) or Conflict (the rule that matches it already).

    `rule` is the rule being changed (it does not conflict with itself). Django admin's form asks this before
    saving, so its errors show on the form; the verbs ask it again inside their transaction.
    """
    if kind not in RuleKind.values:
        raise errors.Invalid(RULE_KIND_INVALID, field="kind")
    if action not in RuleAction.values:
        raise errors.Invalid(RULE_ACTION_INVALID, field="action")
    if channel is not None and kind != RuleKind.ADDRESS:
        raise errors.Invalid(RULE_CHANNEL_ONLY_ADDRESS, field="channel")
    if len(note) > NOTE_MAX_LENGTH:
        raise errors.Invalid(gettext(RULE_NOTE_TOO_LONG).format(limit=NOTE_MAX_LENGTH), field="note")
    normalised = normalise_rule_value(kind, value, channel_kind=channel.kind if channel is not None else None)
    same = BlockRule.objects.filter(kind=kind, value=normalised, channel=channel)
    if rule is not None:
        same = same.exclude(pk=rule.pk)
    existing = same.values_list("pk", flat=True).first()
    if existing is not None:
        raise errors.Conflict(gettext(RULE_DUPLICATE).format(number=existing, what=describe(kind, normalised, channel)))
    return normalised


def _rules_changed() -> None:
    """Renew rules_version, so every process recompiles its rules at its next message."""
    rules_changed()
    forget_switches()


def _save_unique(rule: BlockRule, **save) -> None:
    """Save; a twin saved by someone else since check_rule looked is the same Conflict as one found there."""
    try:
        with transaction.atomic():
            rule.save(**save)
    except IntegrityError:
        check_rule(
            kind=rule.kind, value=rule.value, action=rule.action, channel=rule.channel, note=rule.note, rule=rule
        )
        raise


def create_rule(
    *, actor, kind: str, value: str, action: str, channel: Channel | None = None, note: str = ""
) -> BlockRule:
    """Add a rule; it holds from the next inbound message on every process."""
    _check_may(actor, "add")
    note = note.strip()
    with transaction.atomic():
        normalised = check_rule(kind=kind, value=value, action=action, channel=channel, note=note)
        rule = BlockRule(kind=kind, value=normalised, action=action, channel=channel, note=note, created_by=actor)
        _save_unique(rule)
        record(AuditEntry.Action.RULE_CREATED, actor=actor, subject=_subject(rule))
        _rules_changed()
    return rule


def _subject(rule: BlockRule) -> str:
    """The rule as the audit trail stores it: in English, whatever the actor's language (stored text is data)."""
    with translation.override("en"):
        return str(rule)[:SUBJECT_MAX_LENGTH]


def _changes(before: dict, after: dict) -> str:
    """ "action: Quarantine → Reject; channel: every channel → WhatsApp" for the fields that changed."""
    return "; ".join(f"{name}: {before[name]} → {after[name]}" for name in before if before[name] != after[name])


def _fields(rule: BlockRule) -> dict:
    """The fields an audited change quotes, in English (stored text is data)."""
    with translation.override("en"):
        return {
            "value": rule.value,
            "action": str(rule.get_action_display()),
            "channel": str(rule.channel) if rule.channel is not None else "every channel",
            "note": " ".join(rule.note.split()) or "—",
        }


def update_rule(
    *,
    actor,
    rule: BlockRule,
    value: str | None = None,
    action: str | None = None,
    note: str | None = None,
    channel: Channel | None = ...,  # type: ignore[assignment]  # ... keeps the channel; None: every channel
) -> BlockRule:
    """Change a rule's value, action, note or channel (not its kind); audit "old → new"; nothing changed, no row."""
    _check_may(actor, "change")
    with transaction.atomic():
        # Lock the rule only: PostgreSQL cannot lock the nullable side (the channel) of the outer join.
        locked = BlockRule.objects.select_for_update(of=("self",)).select_related("channel").filter(pk=rule.pk).first()
        if locked is None:
            raise errors.NotFound(RULE_NOT_FOUND)
        new_channel = locked.channel if channel is ... else channel
        new_action = locked.action if action is None else action
        new_note = locked.note if note is None else note.strip()
        # A new channel may spell the same address differently (its kind normalises it), so the value is checked
        # again even when only the channel changes.
        new_value = check_rule(
            kind=locked.kind,
            value=locked.value if value is None else value,
            action=new_action,
            channel=new_channel,
            note=new_note,
            rule=locked,
        )
        before = _fields(locked)
        locked.value, locked.action, locked.channel, locked.note = new_value, new_action, new_channel, new_note
        changes = _changes(before, _fields(locked))
        if not changes:
            return locked
        _save_unique(locked, update_fields=["value", "action", "channel", "note", "updated_at"])
        record(
            AuditEntry.Action.RULE_CHANGED,
            actor=actor,
            subject=_subject(locked),
            change=changes[:CHANGE_MAX_LENGTH],
        )
        _rules_changed()
    return locked


def delete_rule(*, actor, rule: BlockRule) -> None:
    """Delete a rule; its daily hit counts stay for the spam overview (without the rule)."""
    _check_may(actor, "delete")
    with transaction.atomic():
        locked = BlockRule.objects.select_for_update().filter(pk=rule.pk).first()
        if locked is None:
            raise errors.NotFound(RULE_NOT_FOUND)
        subject = _subject(locked)
        locked.delete()
        record(AuditEntry.Action.RULE_DELETED, actor=actor, subject=subject)
        _rules_changed()
