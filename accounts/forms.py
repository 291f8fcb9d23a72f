from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LANGUAGE_CHOICES, ApiToken
from .profiles import BAD_LANGUAGE, BAD_TIME_ZONE_CHOICE, time_zone_choices


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        label=_("What is it for?"),
        help_text=_("A name to tell your tokens apart, e.g. “CRM sync”."),
    )


class ProfileForm(forms.Form):
    language = forms.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        label=_("Language"),
        help_text=_("Used by the admin site now, and by each console page as it is translated."),
        error_messages={"invalid_choice": _(BAD_LANGUAGE)},
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        required=False,
        label=_("Time zone"),
        help_text=_("Every time in the console is shown in this zone."),
        error_messages={"invalid_choice": BAD_TIME_ZONE_CHOICE},
    )
