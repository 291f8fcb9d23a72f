"""Input of the contacts pages: list filters, the block form, the unblock choice, the profile, the merge search."""

from django import forms

from blockdesk import errors

from .editing import clean_profile
from .models import BlockReason, UnblockChoice

ALL = "all"
BLOCKED = "blocked"


class ContactFilterForm(forms.Form):
    """The contacts list's query string: which tab, what search, which page."""

    tab = forms.ChoiceField(choices=[(ALL, "All"), (BLOCKED, "Blocked")], required=False)
    q = forms.CharField(max_length=200, required=False, strip=True)
    page = forms.CharField(max_length=12, required=False)

    def filters(self) -> tuple[str, str, str]:
        """Return (tab, q, page), falling back to the defaults for anything invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("tab") or ALL, data.get("q") or "", data.get("page") or "1"


class BlockContactForm(forms.Form):
    reason = forms.ChoiceField(choices=BlockReason.choices, initial=BlockReason.SPAM, widget=forms.RadioSelect)
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    resolve_open_tickets = forms.BooleanField(label="Resolve this contact's open tickets", required=False, initial=True)
    next = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)


class UnblockContactForm(forms.Form):
    choice = forms.ChoiceField(choices=UnblockChoice.choices)
    next = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)


class ContactEditForm(forms.Form):
    """The 360 view's profile: each value is checked by contacts.editing (phone to E.164, e-mail)."""

    name = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(max_length=50, required=False, help_text="With its country code, e.g. +62 812 3456 7890.")
    email = forms.CharField(label="E-mail", max_length=254, required=False)
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        for name in self.fields:
            if name in data:
                try:
                    data.update(clean_profile({name: data[name]}))
                except errors.Invalid as error:
                    self.add_error(name, error.detail)
        return data


class MergeSearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, strip=True)

    def text(self) -> str:
        return self.cleaned_data["q"] if self.is_valid() else ""
