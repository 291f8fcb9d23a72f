"""Django admin for e-mail mailboxes: IMAP and SMTP settings (passwords write-only) and how the poll goes."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .email_forms import EmailChannelForm
from .email_models import EmailChannel


@admin.register(EmailChannel)
class EmailChannelAdmin(admin.ModelAdmin):
    form = EmailChannelForm
    list_display = ["channel", "address", "imap_host", "last_polled_at", "last_poll_error", "automatic_skipped"]
    readonly_fields = [
        "uid_validity",
        "last_uid",
        "last_polled_at",
        "last_poll_error",
        "automatic_skipped",
        "unreadable_skipped",
    ]
    fieldsets = [
        (None, {"fields": ["channel", "address"]}),
        (
            _("Incoming mail (IMAP)"),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_user",
                    "imap_password",
                    "imap_folder",
                    "processed_action",
                    "processed_folder",
                ]
            },
        ),
        (_("Replies (SMTP)"), {"fields": ["smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password"]}),
        (_("Polling"), {"fields": readonly_fields}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The form names the settings fields; the admin adds the channel, chosen once.
        kwargs["fields"] = ["channel", *EmailChannelForm.Meta.fields]
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "channel"] if obj is not None else self.readonly_fields
