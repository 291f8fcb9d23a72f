from django import forms

from .models import ApiToken


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        label="What is it for?",
        help_text="A name to tell your tokens apart, e.g. “CRM sync”.",
    )
