"""The WhatsApp settings form of the channel set-up page: secrets write-only, the verify token shown once."""

from django import forms
from django.db import models
from django.urls import reverse
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from contacts.models import Channel

from .whatsapp_models import WhatsAppChannel

SECRET_REQUIRED = gettext_noop("Paste the {what}: the channel cannot work without it.")
SECRET_KEPT = gettext_noop("Leave empty to keep the stored one; it is never shown back.")


def webhook_path(channel: Channel) -> str:
    """The address to paste as the Meta app's webhook callback URL (the set-up page makes it absolute)."""
    return reverse("whatsapp:webhook", args=[channel.pk])


def _formfield(model_field, **kwargs):
    if isinstance(model_field, models.URLField):
        kwargs["assume_scheme"] = "https"  # Django 6's default, and the Graph API's
    return model_field.formfield(**kwargs)


class WhatsAppChannelForm(forms.ModelForm):
    """Edits a WhatsApp number's settings; after save, `shown_once` holds a new verify token to show once."""

    app_secret = forms.CharField(required=False, strip=True, widget=forms.PasswordInput(render_value=False))
    access_token = forms.CharField(required=False, strip=True, widget=forms.PasswordInput(render_value=False))
    new_verify_token = forms.BooleanField(
        required=False,
        label=_("Make a new verify token"),
        help_text=_("The old one stops working. Paste the new one into the Meta app's webhook settings."),
    )

    class Meta:
        model = WhatsAppChannel
        fields = ["phone_number_id", "app_secret", "access_token", "api_base_url", "mirror_blocks"]
        labels = {"api_base_url": _("API base URL")}
        formfield_callback = _formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown_once: dict[str, str] = {}
        for name in ("app_secret", "access_token"):
            model_field = WhatsAppChannel._meta.get_field(name)
            self.fields[name].label = capfirst(model_field.verbose_name)
            self.fields[name].help_text = model_field.help_text
            if getattr(self.instance, name, ""):
                self.fields[name].help_text = format_lazy("{} {}", model_field.help_text, _(SECRET_KEPT))

    def _secret(self, name: str, what: str) -> str:
        value = self.cleaned_data.get(name, "")
        if value:
            return value
        stored = getattr(self.instance, name, "")
        if not stored:
            raise forms.ValidationError(gettext(SECRET_REQUIRED).format(what=what))
        return stored

    def clean_app_secret(self) -> str:
        return self._secret("app_secret", gettext("app secret"))

    def clean_access_token(self) -> str:
        return self._secret("access_token", gettext("access token"))

    def save(self, commit: bool = True) -> WhatsAppChannel:
        number = super().save(commit=False)
        if not number.verify_token_hash or self.cleaned_data.get("new_verify_token"):
            self.shown_once = {gettext("Verify token"): number.set_new_verify_token()}
        if commit:
            number.save()
        return number
