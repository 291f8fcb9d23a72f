"""Input of the contacts pages: list filters, the block form, the unblock choice, the profile, the merge search."""

from django import forms
from django.utils.translation import gettext_lazy as _

from blockdesk import errors

from .block_ends import DURATION_CHOICES, FOREVER, UNTIL_DATE, block_end
from .editing import clean_profile
from .models import BlockReason, UnblockChoice

ALL = "all"
BLOCKED = "blocked"


class ContactFilterForm(forms.Form):
    """The contacts list's query string: which tab, what search, which page."""

    tab = forms.ChoiceField(choices=[(ALL, _("All")), (BLOCKED, _("Blocked"))], required=False)
    q = forms.CharField(max_length=200, required=False, strip=True)
    page = forms.CharField(max_length=12, required=False)

    def filters(self) -> tuple[str, str, str]:
        """Return (tab, q, page), falling back to the defaults for anything invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("tab") or ALL, data.get("q") or "", data.get("page") or "1"


class BlockContactForm(forms.Form):
    reason = forms.ChoiceField(choices=BlockReason.choices, initial=BlockReason.SPAM, widget=forms.RadioSelect)
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    duration = forms.ChoiceField(
        choices=DURATION_CHOICES,
        initial=FOREVER,
        required=False,
        error_messages={"invalid_choice": errors.BLOCK_DURATION_INVALID},
    )
    until = forms.DateField(required=False, error_messages={"invalid": _("Enter the date as YYYY-MM-DD.")})
    resolve_open_tickets = forms.BooleanField(
        label=_("Resolve this contact's open tickets"), required=False, initial=True
    )
    next = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if "duration" in data and "until" in data:
            duration = data["duration"] or FOREVER
            try:
                data["ends_at"] = block_end(duration, data["until"])
            except errors.Invalid as invalid:
                self.add_error("until" if duration == UNTIL_DATE else "duration", invalid.detail)
        return data


class UnblockContactForm(forms.Form):
    choice = forms.ChoiceField(choices=UnblockChoice.choices)
    next = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)


class ContactEditForm(forms.Form):
    """The 360 view's profile: each value is checked by contacts.editing (phone to E.164, e-mail)."""

    name = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(
        max_length=50, required=False, help_text=_("With its country code, e.g. +62 812 3456 7890.")
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
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


class BulkBlockForm(BlockContactForm):
    """The contacts list's Block selected: the ticked contacts, then the block form's fields once for all."""

    contact = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={"required": errors.NO_CONTACTS_SELECTED, "invalid_choice": errors.BAD_CONTACT_SELECTION},
    )
    confirm = forms.BooleanField(required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        ids = data.getlist("contact") if data is not None else []
        # Any whole number is a choice; whether it is a contact is the domain's to say.
        self.fields["contact"].choices = [(value, value) for value in ids if value.isdigit() and len(value) <= 18]

    def selected(self) -> list[int]:
        return self.cleaned_data.get("contact") or []

    def first_error(self) -> str:
        for field in ("contact", "__all__", "duration", "until", "reason", "note"):
            if field in self.errors:
                return self.errors[field][0]
        return next(iter(self.errors.values()))[0]
