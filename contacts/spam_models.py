"""Spam defence's records: block rules, their daily hits, and the flood guard's flags (DESIGN.md, "Spam defence")."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    EMAIL = "email", _("E-mail address")
    DOMAIN = "domain", _("E-mail domain")
    PHONE_PREFIX = "phone_prefix", _("Phone prefix")
    ADDRESS = "address", _("Channel address")


class RuleAction(models.TextChoices):
    QUARANTINE = "quarantine", _("Quarantine")
    REJECT = "reject", _("Reject")
    ALLOW = "allow", _("Allow")


class BlockRule(models.Model):
    """A rule checked on every inbound message: block (quarantine or reject) or allow the addresses it matches.

    `value` is stored normalised (contacts.block_rules): an e-mail address or
    domain lower-cased, a phone prefix as "+" and digits, a channel address as
    the channel's kind normalises it. An address rule may name one channel;
    without one it matches that address on every channel.
    """

    kind = models.CharField(max_length=12, choices=RuleKind.choices)
    value = models.CharField(max_length=255)
    channel = models.ForeignKey(
        "contacts.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="block_rules"
    )
    action = models.CharField(max_length=10, choices=RuleAction.choices)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    hits = models.PositiveBigIntegerField(default=0, editable=False)
    last_hit_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value", "channel"],
                name="one_rule_per_channel_value",
                condition=Q(channel__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["kind", "value"], name="one_rule_per_value_any_channel", condition=Q(channel__isnull=True)
            ),
            models.CheckConstraint(
                condition=Q(channel__isnull=True) | Q(kind="address"), name="only_address_rules_name_a_channel"
            ),
        ]

    def __str__(self):
        return gettext("Rule %(number)s: %(action)s %(kind)s %(value)s") % {
            "number": self.pk,
            "action": self.get_action_display().lower(),
            "kind": self.get_kind_display().lower(),
            "value": self.value,
        }


class RuleHitDay(models.Model):
    """How often rules matched, per rule, channel and day (the spam overview); the action is kept if the rule goes."""

    rule = models.ForeignKey(BlockRule, null=True, on_delete=models.SET_NULL, related_name="hit_days")
    action = models.CharField(max_length=10, choices=RuleAction.choices)
    channel = models.ForeignKey("contacts.Channel", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hits = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "rule", "channel"], name="one_hit_row_per_rule_day")]

    def __str__(self):
        return ngettext(
            "%(count)d hit of rule %(rule)s on %(day)s", "%(count)d hits of rule %(rule)s on %(day)s", self.hits
        ) % {
            "count": self.hits,
            "rule": self.rule_id,
            "day": self.day,
        }


class FloodStatus(models.TextChoices):
    OPEN = "open", _("Suspected")
    DISMISSED = "dismissed", _("Dismissed")
    BLOCKED = "blocked", _("Blocked")
    AUTO_BLOCKED = "auto_blocked", _("Blocked by the flood guard")


class FloodFlag(models.Model):
    """The flood guard saw more than N messages from one contact within M minutes: suspected spam, until acted on."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="flood_flags")
    channel = models.ForeignKey("contacts.Channel", on_delete=models.CASCADE, related_name="+")
    flagged_at = models.DateTimeField()
    messages = models.PositiveIntegerField(help_text=_("Messages counted within the window when it was flagged."))
    window_minutes = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=FloodStatus.choices, default=FloodStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-flagged_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(status="open"), name="one_open_flood_flag_per_contact"
            )
        ]
        indexes = [models.Index(fields=["status", "-flagged_at"], name="flood_flag_status_recent")]

    def __str__(self):
        return ngettext(
            "Suspected spam: %(contact)s (%(count)d message in %(minutes)d min)",
            "Suspected spam: %(contact)s (%(count)d messages in %(minutes)d min)",
            self.messages,
        ) % {"contact": self.contact, "count": self.messages, "minutes": self.window_minutes}
