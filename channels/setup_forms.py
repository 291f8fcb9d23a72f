"""Input of the channel set-up pages: a new channel's name and kind, and a channel's name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.channels import NAME_MAX_LENGTH
from contacts.models import Channel


class NewChannelForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH, help_text=_("How the console names it, e.g. “Support WhatsApp”.")
    )
    kind = forms.ChoiceField(choices=Channel.Kind.choices)


class ChannelNameForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH)
