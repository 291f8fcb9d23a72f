"""Django admin for contacts, channels and the block history.

Block, Unblock and Merge are admin actions with a confirmation page; they
call the domain functions in contacts.blocking and contacts.merging, and a
saved contact goes through contacts.editing, so the admin keeps the same
rules, locks and audit rows as the console and the API.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from blockdesk import errors
from blockdesk.admin_base import ReadOnlyAdmin, ReadOnlyInline
from blockdesk.display import messages_phrase, tickets_phrase, who_blocked
from settings_app.switches import current_switches

from .block_ends import DURATION_CHOICES, FOREVER, block_end
from .blocking import block_contact, blocked_ticket_counts, unblock_contact
from .channels import create_channel, deactivate_channel, reactivate_channel, rotate_channel_token
from .editing import EDITABLE, clean_profile, edit_contact
from .merging import merge_contacts, plan_merge
from .models import AuditEntry, Block, BlockReason, Channel, Contact, ContactIdentity, FloodFlag, UnblockChoice


class ChannelForm(forms.ModelForm):
    """The outbound secret is write-only: never shown back; left empty, the stored one stays."""

    outbound_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Signs replies sent to the outbound URL. Stored encrypted and never shown; leave empty to keep it."
        ),
    )

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "is_active",
            "signing_secret",
            "outbound_url",
            "outbound_secret",
            "requests_per_minute",
            "messages_per_minute",
        ]

    # Left empty, a limit keeps its value (the channel's, or the default for a new one).
    requests_per_minute = forms.IntegerField(
        required=False, min_value=0, help_text=Channel._meta.get_field("requests_per_minute").help_text
    )
    messages_per_minute = forms.IntegerField(
        required=False, min_value=0, help_text=Channel._meta.get_field("messages_per_minute").help_text
    )

    def _limit(self, name: str) -> int:
        value = self.cleaned_data[name]
        if value is not None:
            return value
        return getattr(self.instance, name) if self.instance.pk else Channel._meta.get_field(name).default

    def clean_requests_per_minute(self):
        return self._limit("requests_per_minute")

    def clean_messages_per_minute(self):
        return self._limit("messages_per_minute")

    def clean_outbound_secret(self):
        return self.cleaned_data["outbound_secret"] or (self.instance.outbound_secret if self.instance.pk else "")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    """Channels are created, switched off and on and get new tokens through contacts.channels: all audited."""

    form = ChannelForm
    list_display = [
        "name",
        "kind",
        "is_active",
        "requests_per_minute",
        "messages_per_minute",
        "token_prefix",
        "created_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["token_prefix", "created_at"]
    actions = ["rotate_token", "deactivate_selected", "reactivate_selected"]

    def get_fields(self, request, obj=None):
        if obj is None:  # a new channel starts switched on; switching it off is its own audited act
            return ["name", "kind", "signing_secret"]
        return [
            "name",
            "kind",
            "is_active",
            "signing_secret",
            "outbound_url",
            "outbound_secret",
            "requests_per_minute",
            "messages_per_minute",
            "token_prefix",
            "created_at",
        ]

    def save_model(self, request, obj, form, change):
        if not change:
            channel, raw = create_channel(
                actor=request.user, name=obj.name, kind=obj.kind, signing_secret=obj.signing_secret
            )
            obj.pk = channel.pk
            obj.refresh_from_db()
            messages.success(
                request,
                gettext("The token of channel “%(channel)s” is shown only now; store it: %(token)s")
                % {"channel": obj, "token": raw},
            )
            return
        if "is_active" in form.changed_data:
            wanted = obj.is_active
            obj.is_active = not wanted
            super().save_model(request, obj, form, change)
            switch = reactivate_channel if wanted else deactivate_channel
            switch(actor=request.user, channel=obj)
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Rotate the token of the selected channels"), permissions=["change"])
    def rotate_token(self, request, queryset):
        for channel in queryset:
            raw = rotate_channel_token(actor=request.user, channel=channel)
            messages.success(
                request,
                gettext("New token of channel “%(channel)s”, shown only now (the old one is void): %(token)s")
                % {"channel": channel, "token": raw},
            )

    @admin.action(description=_("Switch the selected channels off"), permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._switch_each(request, queryset, deactivate_channel, gettext_noop("Switched off channel “%(channel)s”."))

    @admin.action(description=_("Switch the selected channels on"), permissions=["change"])
    def reactivate_selected(self, request, queryset):
        self._switch_each(request, queryset, reactivate_channel, gettext_noop("Switched on channel “%(channel)s”."))

    def _switch_each(self, request, queryset, switch, done: str) -> None:
        for channel in queryset:
            try:
                switch(actor=request.user, channel=channel)
            except errors.DomainError as error:
                self.message_user(request, f"{channel}: {error.detail}", messages.WARNING)
            else:
                self.message_user(request, gettext(done) % {"channel": channel}, messages.SUCCESS)


class IdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    fields = ["channel", "external_id", "created_at"]
    readonly_fields = ["created_at"]


@admin.display(description=_("blocked by"))
def blocked_by_column(blocked) -> str:
    """Who blocked: "rule 7", "flood guard" or the person, as the console says it."""
    return who_blocked(blocked) or "-"


class BlockInline(ReadOnlyInline):
    model = Block
    verbose_name_plural = _("block history")
    readonly_fields = [blocked_by_column]
    fields = [
        "reason",
        "note",
        blocked_by_column,
        "blocked_at",
        "ends_at",
        "tickets_resolved",
        "lifted_with",
        "lifted_by",
        "lifted_at",
        "tickets_released",
        "tickets_deleted",
        "messages_deleted",
    ]


class BlockForm(forms.Form):
    reason = forms.ChoiceField(choices=BlockReason.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    resolve_open_tickets = forms.BooleanField(
        required=False,
        initial=True,
        help_text=_("Resolve the contact's open tickets, so its next message starts a blocked ticket."),
    )
    duration = forms.ChoiceField(
        choices=DURATION_CHOICES,
        initial=FOREVER,
        required=False,
        help_text=_("At its end the block lifts by itself, as Unblock All."),
    )
    until = forms.DateField(required=False, help_text=_("With “Until a date”: blocked through that whole day."))

    def clean(self):
        data = super().clean()
        if "duration" in data and "until" in data:
            try:
                data["until"] = block_end(data.pop("duration") or FOREVER, data["until"])
            except errors.Invalid as invalid:
                self.add_error("until", invalid.detail)
        return data


# Merge two contacts at a time: which one stays is chosen on the confirmation page.
MERGE_NEEDS_TWO = gettext_noop("Select exactly two contacts to merge.")


class ContactAdminForm(forms.ModelForm):
    """Name, phone, e-mail and note checked as the console checks them (phone to E.164)."""

    class Meta:
        model = Contact
        fields = list(EDITABLE)

    def clean(self):
        data = super().clean()
        for name in EDITABLE:
            if name in data:
                try:
                    data.update(clean_profile({name: data[name]}))
                except errors.Invalid as error:
                    self.add_error(name, error.detail)
        return data


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = ContactAdminForm
    list_display = ["__str__", "phone", "email", "is_blocked", "blocked_reason", "blocked_at", "merged_into"]
    list_filter = ["is_blocked", "blocked_reason"]
    search_fields = ["name", "phone", "email"]
    fields = [
        "name",
        "phone",
        "email",
        "note",
        "is_blocked",
        "blocked_reason",
        "blocked_note",
        blocked_by_column,
        "blocked_at",
        "blocked_until",
        "merged_into",
    ]
    # The block state changes only through the Block and Unblock actions, a merge only through Merge.
    readonly_fields = [
        "is_blocked",
        "blocked_reason",
        "blocked_note",
        blocked_by_column,
        "blocked_at",
        "blocked_until",
        "merged_into",
    ]
    list_select_related = ["blocked_by"]
    inlines = [IdentityInline, BlockInline]
    actions = ["block_selected", "unblock_selected", "merge_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.merged_into_id is not None:  # a tombstone: history, not a person
            return self.fields
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE}
        edit_contact(actor=request.user, contact=obj, **values)

    def has_merge_permission(self, request):
        return request.user.has_perm("contacts.merge_contact")

    @admin.action(description=_("Merge the two selected contacts"), permissions=["merge"])
    def merge_selected(self, request, queryset):
        contacts = list(queryset.order_by("id"))
        if len(contacts) != 2:
            self.message_user(request, gettext(MERGE_NEEDS_TWO), messages.ERROR)
            return None
        first, second = contacts
        if "apply" not in request.POST:
            plans = [plan_merge(survivor=first, merged=second), plan_merge(survivor=second, merged=first)]
            return self._confirmation(request, queryset, "admin/contacts/contact/merge.html", plans=plans)
        survivor, merged = (second, first) if request.POST.get("survivor") == str(second.pk) else (first, second)
        try:
            result = merge_contacts(actor=request.user, survivor=survivor, merged=merged)
        except errors.DomainError as error:
            self.message_user(request, error.detail, messages.ERROR)
            return None
        moved = {
            "addresses": ngettext("%(count)d address", "%(count)d addresses", result.identities)
            % {"count": result.identities},
            "tickets": tickets_phrase(result.tickets),
            "pairs": ngettext("%(count)d open ticket pair", "%(count)d open ticket pairs", result.tickets_joined)
            % {"count": result.tickets_joined},
        }
        self.message_user(
            request,
            gettext(
                "Merged #%(merged)s into %(survivor)s (#%(pk)s): %(addresses)s and %(tickets)s moved, %(pairs)s joined."
            )
            % {"merged": result.merged_id, "survivor": result.survivor, "pk": result.survivor.pk, **moved},
            messages.SUCCESS,
        )
        return None

    def has_block_permission(self, request):
        return request.user.has_perm("contacts.block_contact")

    def has_unblock_permission(self, request):
        return request.user.has_perm("contacts.unblock_contact")

    @admin.action(description=_("Block the selected contacts"), permissions=["block"])
    def block_selected(self, request, queryset):
        if not current_switches().block_contacts_enabled:
            self.message_user(request, gettext(errors.BLOCKING_DISABLED), messages.ERROR)
            return None
        form = BlockForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._confirmation(request, queryset, "admin/contacts/contact/block.html", form=form)
        blocked = 0
        for contact in queryset:
            try:
                block_contact(actor=request.user, contact=contact, **form.cleaned_data)
            except errors.DomainError as error:
                self.message_user(request, f"{contact}: {error.detail}", messages.ERROR)
            else:
                blocked += 1
        if blocked:
            self.message_user(
                request,
                ngettext("Blocked %(count)d contact.", "Blocked %(count)d contacts.", blocked) % {"count": blocked},
                messages.SUCCESS,
            )
        return None

    @admin.action(description=_("Unblock the selected contacts"), permissions=["unblock"])
    def unblock_selected(self, request, queryset):
        choice = request.POST.get("choice")
        if choice is None:
            rows = [(contact, blocked_ticket_counts(contact)) for contact in queryset]
            return self._confirmation(
                request, queryset, "admin/contacts/contact/unblock.html", rows=rows, choices=UnblockChoice
            )
        for contact in queryset:
            try:
                block = unblock_contact(actor=request.user, contact=contact, choice=choice)
            except errors.DomainError as error:
                self.message_user(request, f"{contact}: {error.detail}", messages.ERROR)
            else:
                self.message_user(request, _unblocked_text(contact, block), messages.SUCCESS)
        return None

    def _confirmation(self, request, queryset, template: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": gettext("Are you sure?"),
                "contacts": queryset,
                "action": request.POST["action"],
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                **context,
            },
        )


def _unblocked_text(contact: Contact, block: Block) -> str:
    released, deleted, messages_deleted = block.tickets_released, block.tickets_deleted, block.messages_deleted
    return gettext("Unblocked %(contact)s: %(released)s released, %(deleted)s and %(messages)s deleted.") % {
        "contact": contact,
        "released": tickets_phrase(released),
        "deleted": tickets_phrase(deleted),
        "messages": messages_phrase(messages_deleted),
    }


@admin.register(ContactIdentity)
class ContactIdentityAdmin(admin.ModelAdmin):
    list_display = ["external_id", "channel", "contact", "created_at"]
    list_filter = ["channel"]
    search_fields = ["external_id", "contact__name"]
    list_select_related = ["channel", "contact"]
    raw_id_fields = ["contact"]


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = [
        "contact",
        "reason",
        blocked_by_column,
        "blocked_at",
        "lifted_with",
        "lifted_by",
        "lifted_at",
        "tickets_released",
        "tickets_deleted",
        "messages_deleted",
    ]
    list_filter = ["reason", "lifted_with"]
    search_fields = ["contact__name", "contact__phone", "contact__email"]
    list_select_related = ["contact", "blocked_by", "lifted_by"]
    date_hierarchy = "blocked_at"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "who", "about", "change", "ticket_id", "tickets", "messages"]
    list_filter = ["action"]
    search_fields = ["contact__name", "contact__phone", "contact__email", "channel__name", "subject"]
    list_select_related = ["actor", "contact", "channel"]
    date_hierarchy = "at"


@admin.register(FloodFlag)
class FloodFlagAdmin(ReadOnlyAdmin):
    """The flood guard's flags: written by the guard, closed by Dismiss / Block on the Suspected page."""

    list_display = ["contact", "channel", "flagged_at", "messages", "window_minutes", "status", "resolved_by"]
    list_filter = ["status"]
    search_fields = ["contact__name", "contact__phone", "contact__email"]
    list_select_related = ["contact", "channel", "resolved_by"]
    date_hierarchy = "flagged_at"


from . import rule_admin  # noqa: E402, F401  (block rules: registered in their own module)
