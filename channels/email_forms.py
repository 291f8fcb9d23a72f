"""The form an administrator fills in for a mailbox; passwords are write-only (blank keeps the stored one)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .email_models import EmailChannel

SECRET_FIELDS = ("imap_password", "smtp_password")
KEEP_HELP = _("Never shown again once saved; leave blank to keep the stored one.")


class EmailChannelForm(forms.ModelForm):
    imap_password = forms.CharField(
        label=_("IMAP password"), required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )
    smtp_password = forms.CharField(
        label=_("SMTP password"), required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = EmailChannel
        fields = [
            "address",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "imap_password",
            "imap_folder",
            "processed_action",
            "processed_folder",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_user",
            "smtp_password",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            self.fields[name].help_text = KEEP_HELP
            self.initial[name] = ""  # never rendered back, not even into the form's initial data

    def clean(self):
        data = super().clean()
        for name in SECRET_FIELDS:
            if not data.get(name) and self.instance.pk:
                # Blank keeps what is stored (read from the database, not the instance a bad POST may have changed).
                data[name] = getattr(EmailChannel.objects.get(pk=self.instance.pk), name)
        return data
