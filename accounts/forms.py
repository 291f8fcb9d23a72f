from django import forms

from .models import LANGUAGE_CHOICES, ApiToken
from .profiles import BAD_LANGUAGE, BAD_TIME_ZONE, time_zone_choices


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        label="What is it for?",
        help_text="A name to tell your tokens apart, e.g. “CRM sync”.",
    )


class ProfileForm(forms.Form):
    language = forms.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        label="Language",
        help_text="Used by the admin site now, and by each console page as it is translated.",
        error_messages={"invalid_choice": BAD_LANGUAGE},
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        required=False,
        label="Time zone",
        help_text="Every time in the console is shown in this zone.",
        error_messages={"invalid_choice": BAD_TIME_ZONE.replace("{value}", "%(value)s")},
    )
