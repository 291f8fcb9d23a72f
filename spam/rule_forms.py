"""Input of the block rule pages: the list's filters and the rule form.

The form only reads what was typed; contacts.block_rules decides whether a
rule is valid (and normalises its value), and which field a refusal belongs under.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from blockdesk import errors
from contacts import block_rules
from contacts.models import Channel
from contacts.spam_models import BlockRule, RuleAction, RuleKind

ANY = ""

# Matching, as routing applies it (contacts.rule_match): shown beside the form and in the README.
KIND_HELP = _(
    "E-mail address: that address only. E-mail domain: every address at that domain and its subdomains. "
    "Phone prefix: numbers in E.164 that start with it (+62812 covers +628121234567). "
    "Channel address: the address exactly as the channel sends it (chat id, phone, e-mail)."
)
ACTION_HELP = _(
    "Quarantine blocks the contact (by this rule); its messages go to the Blocked list. "
    "Reject stores nothing; the channel is answered 200 “rejected”. "
    "Allow lets matching contacts through whatever block rule matches them too."
)
PRECEDENCE_HELP = gettext_noop(
    "Allow rules beat block rules. When several block rules match, the most specific wins: channel address, "
    "then e-mail address, then the longest domain, then the longest phone prefix. "
    "Rules are checked on each message of a contact that is not blocked; a contact a person unblocked is let "
    "through by rules from then on. While blocking is switched off in System settings, quarantine and reject "
    "rules pause."
)
CHANNEL_HELP = _("Only for a channel address rule. Empty: the address on every channel.")


class RuleFilterForm(forms.Form):
    """The rules list's query string: which action, what search, which page."""

    action = forms.ChoiceField(choices=[(ANY, _("Every action")), *RuleAction.choices], required=False)
    q = forms.CharField(max_length=200, required=False, strip=True)
    page = forms.CharField(max_length=12, required=False)

    def filters(self) -> tuple[str, str, str]:
        """Return (action, q, page), falling back to the defaults for anything invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("action") or ANY, data.get("q") or "", data.get("page") or "1"


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Matches"), choices=RuleKind.choices, help_text=KIND_HELP)
    # Longer than stored: spaces and dashes typed inside a phone prefix go when it is normalised.
    value = forms.CharField(label=_("Value"), max_length=300)
    action = forms.ChoiceField(
        label=_("Action"),
        choices=RuleAction.choices,
        initial=RuleAction.QUARANTINE,
        widget=forms.RadioSelect,
        help_text=ACTION_HELP,
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.order_by("name"),
        required=False,
        empty_label=_("Every channel"),
        help_text=CHANNEL_HELP,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=block_rules.NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, rule: BlockRule | None = None, **kwargs):
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": rule.kind,
                    "value": rule.value,
                    "action": rule.action,
                    "channel": rule.channel,
                    "note": rule.note,
                },
            )
        super().__init__(*args, **kwargs)
        if rule is not None:  # a rule keeps what it matches; a new kind is a new rule
            self.fields["kind"].disabled = True

    def add_refusal(self, error: errors.Invalid | errors.Conflict) -> None:
        """Show a refusal of contacts.block_rules under the field it names (any other, a duplicate too: the value)."""
        self.add_error(getattr(error, "field", "") or "value", error.detail)
