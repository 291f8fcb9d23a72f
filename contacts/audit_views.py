"""The administrators' audit trail (blocking, switches, channels, API tokens), and CSV exports for audits.

Every list here costs the same few queries whatever its length: entries come
with their actor, contact, channel, person and block in one join, and the CSV
exports stream rows from a server-side iterator instead of building the file
in memory. Times and people read as on every page (blockdesk.display).
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from blockdesk import errors
from blockdesk.console import console_view, require_permission
from blockdesk.display import format_when, person_name, who_blocked

from .models import AuditEntry, Contact

AUDIT_PAGE_SIZE = 50
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

AUDIT_CSV_HEADER = [
    "at",
    "action",
    "action_label",
    "actor",
    "contact_id",
    "contact_name",
    "contact_phone",
    "contact_email",
    "channel_id",
    "channel_name",
    "person",
    "subject",
    "change",
    "block_id",
    "block_reason",
    "ticket_id",
    "tickets",
    "messages",
]
BLOCKED_CSV_HEADER = ["name", "phone", "email", "blocked_at", "blocked_by", "reason", "note"]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", _("All actions")), *AuditEntry.Action.choices], required=False)
    actor = forms.CharField(required=False, max_length=150, label=_("Who"))
    q = forms.CharField(required=False, max_length=200, label=_("Contact, channel or subject"))
    since = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


# The first and last days whose midnights every time zone can turn into UTC: a filter beyond
# them is no bound at all (or matches nothing) instead of an OverflowError.
FIRST_DAY = date.min + timedelta(days=1)
LAST_DAY = date.max - timedelta(days=1)


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_entries(form: AuditFilterForm):
    """The audit entries the (bound) filter form selects, newest first, with what a row shows."""
    entries = AuditEntry.objects.select_related("actor", "contact", "channel", "target_user", "block").order_by(
        "-at", "-id"
    )
    if not form.is_valid():
        return entries
    data = form.cleaned_data
    if data["action"]:
        entries = entries.filter(action=data["action"])
    actor = data["actor"].strip()
    if actor:
        entries = entries.filter(
            Q(actor__username__icontains=actor)
            | Q(actor__first_name__icontains=actor)
            | Q(actor__last_name__icontains=actor)
            | Q(actor_name__icontains=actor)
        )
    text = data["q"].strip()
    if text:
        entries = entries.filter(
            Q(contact__name__icontains=text)
            | Q(contact__phone__icontains=text)
            | Q(contact__email__icontains=text)
            | Q(channel__name__icontains=text)
            | Q(subject__icontains=text)
        )
    since, until = data["since"], data["until"]
    if (since and since > LAST_DAY) or (until and until < FIRST_DAY):
        return entries.none()
    if since and since > FIRST_DAY:
        entries = entries.filter(at__gte=_start_of(since))
    if until and until < LAST_DAY:
        entries = entries.filter(at__lt=_start_of(until + timedelta(days=1)))
    return entries


audit_permission_required = require_permission("contacts.view_audit_trail", errors.NO_PERMISSION_AUDIT)


@require_GET
@login_required
@console_view
@audit_permission_required
def audit_trail(request):
    """List every audited act (blocking, switches, channels, API tokens), filtered and paginated."""
    form = AuditFilterForm(request.GET or None)
    page = Paginator(filtered_entries(form), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "contacts/audit/trail.html",
        {"form": form, "page": page, "entries": page.object_list, "query": query.urlencode()},
    )


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: formula-like strings get a leading quote."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_when(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _stream_csv(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def _csv_response(filename: str, lines: Iterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _audit_rows(entries) -> Iterator[list]:
    for entry in entries.iterator(chunk_size=2000):
        contact = entry.contact
        yield [
            entry.at,
            entry.action,
            entry.get_action_display(),
            entry.who,
            entry.contact_id,
            contact.name if contact else "",
            contact.phone if contact else "",
            contact.email if contact else "",
            entry.channel_id,
            entry.channel.name if entry.channel else "",
            person_name(entry.target_user),
            entry.about,
            entry.change,
            entry.block_id,
            entry.block.reason if entry.block else "",
            entry.ticket_id,
            entry.tickets,
            entry.messages,
        ]


@require_GET
@login_required
@console_view
@audit_permission_required
def audit_trail_csv(request):
    """Stream the filtered audit trail as CSV."""
    entries = filtered_entries(AuditFilterForm(request.GET or None))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _csv_response(f"blockdesk-audit-{stamp}.csv", _stream_csv(AUDIT_CSV_HEADER, _audit_rows(entries)))


def _blocked_rows(contacts) -> Iterator[list]:
    for contact in contacts.iterator(chunk_size=2000):
        yield [
            contact.name,
            contact.phone,
            contact.email,
            contact.blocked_at,
            who_blocked(contact),
            contact.blocked_reason,
            contact.blocked_note,
        ]


@require_GET
@login_required
@console_view
@require_permission("contacts.view_audit_trail", errors.NO_PERMISSION_EXPORT_BLOCKED)
def blocked_contacts_csv(request):
    """Stream the blocked contacts (the Blocked tab) as CSV, for administrators' audits."""
    contacts = Contact.objects.blocked().select_related("blocked_by").order_by("-blocked_at", "-id")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _csv_response(
        f"blockdesk-blocked-contacts-{stamp}.csv", _stream_csv(BLOCKED_CSV_HEADER, _blocked_rows(contacts))
    )
