from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from blockdesk.encryption import EncryptedTextField


class BotAnswerer(models.TextChoices):
    NOBODY = "nobody", _("Nobody (tickets wait in the BOT queue)")
    WEBHOOK = "webhook", _("Bot webhook")
    BUILTIN = "builtin", _("Built-in bot")


class SystemSettings(models.Model):
    """The one row of switches an administrator controls (pk is always 1)."""

    SINGLETON_PK = 1

    block_contacts_enabled = models.BooleanField(
        "block contacts",
        default=False,
        help_text="Agents and supervisors may block contacts. Switching it off keeps existing blocks.",
    )
    bot_enabled = models.BooleanField(
        "BOT",
        default=False,
        help_text="New and released tickets go to the BOT first instead of the Unassigned queue.",
    )
    bot_answerer = models.CharField(
        "who answers BOT tickets",
        max_length=10,
        choices=BotAnswerer.choices,
        default=BotAnswerer.NOBODY,
        help_text="Each customer message in a BOT ticket goes to the bot webhook, or to the built-in bot.",
    )
    bot_webhook_url = models.URLField("bot webhook URL", max_length=500, blank=True)
    # Needed in clear (BlockDesk signs each POST to the bot with it, and the bot sends it back as its bearer
    # token), so stored encrypted with FIELD_ENCRYPTION_KEY and never shown back.
    bot_webhook_secret = EncryptedTextField("bot webhook secret", blank=True)
    waiting_alert_minutes = models.PositiveIntegerField(
        "waiting alert (minutes)",
        default=15,
        help_text="Queues colour a customer's waiting time past this many minutes; the SLA view counts them.",
    )
    blocked_ticket_retention_days = models.PositiveIntegerField(
        "blocked ticket retention (days)",
        null=True,
        blank=True,
        help_text="Blocked tickets quiet for longer are deleted as by Delete All (their message ids remembered). "
        "Empty keeps them until a supervisor acts.",
    )
    # Renewed by every change of the block rules (contacts.rule_match.rules_changed): read with the switches, it
    # tells each process whether the rules it compiled are still the ones in force, at no extra round trip.
    rules_version = models.PositiveBigIntegerField(default=0, editable=False)
    flood_guard_enabled = models.BooleanField(
        "flood guard",
        default=True,
        help_text="Flag a contact as suspected spam when it sends more than the flood limit within the window.",
    )
    flood_messages = models.PositiveIntegerField(
        "flood limit (messages)", default=30, help_text="More messages than this within the window is a flood."
    )
    flood_minutes = models.PositiveIntegerField("flood window (minutes)", default=5)
    flood_auto_block = models.BooleanField(
        "flood guard blocks by itself",
        default=False,
        help_text="The flood guard blocks a flooding contact itself (audit actor “flood guard”), not only flags it.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "system settings"
        verbose_name_plural = "system settings"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="system_settings_singleton")]

    def __str__(self):
        return "System settings"

    @classmethod
    def load(cls) -> "SystemSettings":
        row, _ = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return row
