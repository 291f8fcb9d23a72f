"""The Telegram channel's settings form: the bot token is write-only (blank keeps the stored one)."""

from django import forms
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .telegram import BAD_BOT_TOKEN, BOT_TOKEN
from .telegram_models import TelegramChannel

BOT_TOKEN_REQUIRED = gettext_noop("Paste the bot token @BotFather gave you.")


def _formfield(field: models.Field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class TelegramChannelForm(forms.ModelForm):
    bot_token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("From @BotFather (123456789:AA…). Stored encrypted and never shown back; leave blank to keep it."),
    )

    class Meta:
        model = TelegramChannel
        fields = ["bot_token", "api_base_url"]
        formfield_callback = _formfield

    def clean_bot_token(self):
        token = self.cleaned_data["bot_token"]
        if not token:
            if self.instance.pk and self.instance.bot_token:
                return self.instance.bot_token
            raise forms.ValidationError(gettext(BOT_TOKEN_REQUIRED))
        if not BOT_TOKEN.fullmatch(token):
            raise forms.ValidationError(gettext(BAD_BOT_TOKEN))
        return token
