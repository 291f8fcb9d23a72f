"""Django admin for Telegram bots: the token (write-only), the Bot API address, the webhook and its secret token."""

import secrets

from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .telegram import webhook_path
from .telegram_forms import TelegramChannelForm
from .telegram_models import TelegramChannel

SECRET_SHOWN_ONCE = gettext_noop(
    "The webhook's secret token is {secret} — shown only now. You need not copy it: "
    "`manage.py telegram_set_webhook {channel} --url https://<this desk>` hands it to Telegram."
)


@admin.register(TelegramChannel)
class TelegramChannelAdmin(admin.ModelAdmin):
    form = TelegramChannelForm
    list_display = ["channel", "bot_username", "api_base_url"]
    fields = ["channel", "bot_token", "api_base_url", "bot_username", "webhook"]
    readonly_fields = ["bot_username", "webhook"]
    actions = ["new_secret_token"]

    def get_readonly_fields(self, request, obj=None):
        # The channel is chosen once: Telegram delivers to its webhook address.
        return [*self.readonly_fields, "channel"] if obj is not None else self.readonly_fields

    @admin.display(description=_("Webhook path"))
    def webhook(self, obj):
        return webhook_path(obj.channel) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request, gettext(SECRET_SHOWN_ONCE).format(secret=obj.secret_token, channel=obj.channel_id)
            )

    @admin.action(description=_("Make a new webhook secret token (then run telegram_set_webhook again)"))
    def new_secret_token(self, request, queryset):
        for bot in queryset:
            bot.secret_token = secrets.token_urlsafe()
            bot.save(update_fields=["secret_token"])
            self.message_user(
                request,
                gettext(SECRET_SHOWN_ONCE).format(secret=bot.secret_token, channel=bot.channel_id),
                messages.WARNING,
            )
