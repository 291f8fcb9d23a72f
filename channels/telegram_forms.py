"""The Telegram channel's settings form: the bot token is write-only (blank keeps the stored one)."""

from django import forms

from .telegram import BAD_BOT_TOKEN, BOT_TOKEN
from .telegram_models import TelegramChannel

BOT_TOKEN_REQUIRED = "Paste the bot token @BotFather gave you."


class TelegramChannelForm(forms.ModelForm):
    bot_token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="From @BotFather (123456789:AA…). Stored encrypted and never shown back; leave blank to keep it.",
    )

    api_base_url = forms.URLField(
        assume_scheme="https",
        max_length=200,
        help_text="The Bot API's address (https://api.telegram.org); change it only to point at a test server.",
    )

    class Meta:
        model = TelegramChannel
        fields = ["bot_token", "api_base_url"]

    def clean_bot_token(self):
        token = self.cleaned_data["bot_token"]
        if not token:
            if self.instance.pk and self.instance.bot_token:
                return self.instance.bot_token
            raise forms.ValidationError(BOT_TOKEN_REQUIRED)
        if not BOT_TOKEN.fullmatch(token):
            raise forms.ValidationError(BAD_BOT_TOKEN)
        return token
