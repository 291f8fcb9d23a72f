"""Django admin for WhatsApp numbers: the same write-only secrets as the set-up page, the verify token shown once."""

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .whatsapp_forms import WhatsAppChannelForm, webhook_path
from .whatsapp_models import WhatsAppChannel

TOKEN_SHOWN_ONCE = gettext_noop("{label} for the Meta app's webhook (shown once, only its hash is kept): {value}")


class WhatsAppChannelAdminForm(WhatsAppChannelForm):
    class Meta(WhatsAppChannelForm.Meta):
        fields = ["channel", *WhatsAppChannelForm.Meta.fields]


@admin.register(WhatsAppChannel)
class WhatsAppChannelAdmin(admin.ModelAdmin):
    form = WhatsAppChannelAdminForm
    list_display = ["channel", "phone_number_id", "mirror_blocks", "webhook"]
    fields = ["channel", "phone_number_id", "app_secret", "access_token", "new_verify_token", "api_base_url"]
    fields += ["mirror_blocks"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # The channel is chosen once: Meta's webhook address names it.
        return ["channel"] if obj is not None else []

    @admin.display(description=_("Webhook path"))
    def webhook(self, obj: WhatsAppChannel) -> str:
        return webhook_path(obj.channel)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for label, value in form.shown_once.items():
            messages.warning(request, gettext(TOKEN_SHOWN_ONCE).format(label=label, value=value))
