"""Queue filters and sort, shared by the dashboards and the API: by channel, by assignee (supervisors), waiting
longer than N minutes, oldest waiting first or by last activity. Combinable; each served by an index of
tickets_ticket (ticket_queue_waiting, ticket_queue_channel_*, ticket_assignee_*)."""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blockdesk import errors

from .models import TicketQuerySet, TicketStatus

WAITING = "waiting"
ACTIVITY = "activity"
SORTS = {WAITING: _("Oldest waiting first"), ACTIVITY: _("Last activity")}
# Queues where people wait for a first answer start oldest waiting first; the others by last activity.
WAITING_FIRST_QUEUES = (TicketStatus.UNASSIGNED, TicketStatus.BOT)
MAX_WAITING_MINUTES = 7 * 24 * 60
FILTER_PARAMETERS = ("channel", "assignee", "waiting", "sort")


def default_sort(queue_key: str) -> str:
    return WAITING if queue_key in WAITING_FIRST_QUEUES else ACTIVITY


@dataclass(frozen=True)
class QueueFilter:
    channel: int | None = None
    assignee: int | None = None
    waiting_minutes: int | None = None
    sort: str = ""

    def apply(self, tickets: TicketQuerySet, queue_key: str) -> TicketQuerySet:
        if self.channel is not None:
            tickets = tickets.filter(channel_id=self.channel)
        if self.assignee is not None:
            tickets = tickets.filter(assignee_id=self.assignee)
        if self.waiting_minutes is not None:
            tickets = tickets.waiting_since_before(timezone.now() - timedelta(minutes=self.waiting_minutes))
        sort = self.sort or default_sort(queue_key)
        return tickets.oldest_waiting_first() if sort == WAITING else tickets.newest_first()

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.channel, self.assignee, self.waiting_minutes))


class QueueFilterForm(forms.Form):
    """Parses the filters of a queue URL; ids are checked against the lists the page shows (no extra query)."""

    channel = forms.IntegerField(
        required=False, min_value=1, error_messages={"invalid": _(errors.NO_SUCH_CHANNEL_FILTER)}
    )
    assignee = forms.IntegerField(
        required=False, min_value=1, error_messages={"invalid": _(errors.NO_SUCH_ASSIGNEE_FILTER)}
    )
    waiting = forms.IntegerField(required=False, min_value=0, max_value=MAX_WAITING_MINUTES)
    sort = forms.ChoiceField(required=False, choices=[("", "")] + list(SORTS.items()))

    def __init__(self, data, *, channel_ids: set[int], assignee_ids: set[int] | None):
        super().__init__(data)
        self.channel_ids, self.assignee_ids = channel_ids, assignee_ids
        for name, text in (("channel", errors.NO_SUCH_CHANNEL_FILTER), ("assignee", errors.NO_SUCH_ASSIGNEE_FILTER)):
            self.fields[name].error_messages.update(min_value=gettext(text), max_value=gettext(text))
        for key in ("invalid", "min_value", "max_value"):
            self.fields["waiting"].error_messages[key] = gettext(errors.BAD_WAITING_FILTER)
        self.fields["sort"].error_messages["invalid_choice"] = gettext(errors.BAD_SORT)

    def clean_channel(self):
        value = self.cleaned_data["channel"]
        if value is not None and value not in self.channel_ids:
            raise forms.ValidationError(gettext(errors.NO_SUCH_CHANNEL_FILTER))
        return value

    def clean_assignee(self):
        value = self.cleaned_data["assignee"]
        if value is not None and (self.assignee_ids is None or value not in self.assignee_ids):
            raise forms.ValidationError(gettext(errors.NO_SUCH_ASSIGNEE_FILTER))
        return value

    def queue_filter(self) -> QueueFilter:
        data = self.cleaned_data
        return QueueFilter(data["channel"], data["assignee"], data["waiting"], data["sort"])

    def first_error(self) -> str:
        return next(iter(error for field_errors in self.errors.values() for error in field_errors))
