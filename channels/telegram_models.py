"""A Telegram channel's own settings (its bot), and the update ids its webhook has already taken."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from blockdesk.encryption import EncryptedTextField
from contacts.models import Channel

TELEGRAM_API = "https://api.telegram.org"


class TelegramChannel(models.Model):
    """The bot behind one Telegram channel: its token, the webhook's secret token and the Bot API's address."""

    channel = models.OneToOneField(
        Channel,
        on_delete=models.PROTECT,
        related_name="telegram",
        limit_choices_to={"kind": Channel.Kind.TELEGRAM},
    )
    bot_token = EncryptedTextField(
        help_text=_("The token @BotFather gave the bot (123456789:AA…); stored encrypted, never shown back.")
    )
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call. token_urlsafe
    # gives exactly the characters Telegram allows (A-Z, a-z, 0-9, _ and -), and is stdlib, so the
    # migration needs no code of ours.
    secret_token = EncryptedTextField(default=secrets.token_urlsafe, editable=False)
    api_base_url = models.URLField(
        default=TELEGRAM_API, help_text=_("The Bot API's address; change it only to point at a test server.")
    )
    bot_username = models.CharField(max_length=100, blank=True, help_text=_("Filled in by Send test (getMe)."))

    class Meta:
        verbose_name = _("Telegram bot")
        verbose_name_plural = _("Telegram bots")

    def __str__(self):
        return f"@{self.bot_username}" if self.bot_username else str(self.channel)


class TelegramUpdate(models.Model):
    """An update the webhook has taken: Telegram repeats one it thinks we missed, and a repeat must change nothing.

    Update ids are the bot's own sequence; rows older than a week are forgotten
    (Telegram gives up on an update long before, and picks a new random start
    after a week without updates).
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    update_id = models.BigIntegerField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "update_id"], name="one_telegram_update_per_channel")]

    def __str__(self):
        return f"update {self.update_id} on {self.channel_id}"
