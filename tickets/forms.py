"""Forms of the dashboards and the ticket view: they parse input; the domain functions decide."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blockdesk import errors

from .models import DeliveryState, TicketStatus

# Permissions come from ModelBackend; the other backend (login throttling) grants none.
PERMISSIONS_BACKEND = "django.contrib.auth.backends.ModelBackend"
# More than a page of a list can hold; a bigger selection is a forged request.
MAX_SELECTED_TICKETS = 500


def people_who_work_tickets():
    """Active users who may be given a ticket, in one query (groups, direct permissions and superusers)."""
    people = get_user_model().objects.with_perm("tickets.work_ticket", backend=PERMISSIONS_BACKEND)
    return people.order_by("first_name", "username")


class TextForm(forms.Form):
    """A reply to the customer or an internal note."""

    text = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].error_messages["required"] = errors.EMPTY_TEXT


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, error_messages={"invalid_choice": errors.ASSIGNEE_CANNOT_WORK})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people_who_work_tickets()


class TicketIdsField(forms.Field):
    """Ticket ids from checkboxes (or hidden inputs) sharing one name."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(gettext(errors.NO_TICKETS_SELECTED)) from error
        if len(ids) > MAX_SELECTED_TICKETS:
            raise forms.ValidationError(
                gettext("Select at most %(limit)s tickets at a time.") % {"limit": MAX_SELECTED_TICKETS}
            )
        return ids


class TicketSelectionForm(forms.Form):
    ticket = TicketIdsField(error_messages={"required": _(errors.NO_TICKETS_SELECTED)})

    def first_error(self) -> str:
        return next(iter(self.errors.get("ticket", [gettext(errors.NO_TICKETS_SELECTED)])))


BAD_TIMELINE_POLL = (
    "A timeline refresh needs after (the last message id shown, 0 or more), seen (a ticket status) and"
    " optionally shown (up to 200 reply-id:delivery-state pairs, comma-separated)."
)
# Delivery states a shown reply may still move on from; read and failed are final on the page.
LIVE_DELIVERY_STATES = (DeliveryState.QUEUED, DeliveryState.SENT, DeliveryState.DELIVERED)
MAX_SHOWN_REPLIES = 200
SHOWN_REPLY = re.compile(rf"(\d{{1,18}}):({'|'.join(LIVE_DELIVERY_STATES)})")


class TimelinePollForm(forms.Form):
    """What the ticket view already shows: its newest message id, the status it was opened in, and the
    delivery state of each reply whose state may still change."""

    after = forms.IntegerField(min_value=0, max_value=2**63 - 1)
    seen = forms.ChoiceField(choices=TicketStatus.choices)
    shown = forms.CharField(required=False, max_length=MAX_SHOWN_REPLIES * 30)

    def clean_shown(self) -> dict[int, str]:
        pairs = [pair for pair in self.cleaned_data["shown"].split(",") if pair]
        matches = [SHOWN_REPLY.fullmatch(pair) for pair in pairs]
        if len(pairs) > MAX_SHOWN_REPLIES or not all(matches):
            raise forms.ValidationError(BAD_TIMELINE_POLL)
        return {int(match[1]): match[2] for match in matches}
