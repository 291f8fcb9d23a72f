"""Django admin for block rules: adding, changing and deleting go through contacts.block_rules.

So the admin writes the same audit rows and raises rules_version as the
console and the API do. The form asks block_rules.check_rule first, so an
invalid or duplicate value is an error on the form, not a failed save.
Hits and the last hit are routing's counts: read-only here.
"""

from contextlib import suppress

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from blockdesk import errors
from blockdesk.admin_base import ReadOnlyAdmin

from .block_rules import check_rule, create_rule, delete_rule, update_rule
from .spam_models import BlockRule, RuleHitDay


class BlockRuleAdminForm(forms.ModelForm):
    class Meta:
        model = BlockRule
        fields = ["kind", "value", "action", "channel", "note"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        rule = self.instance if self.instance.pk else None
        try:
            data["value"] = check_rule(
                kind=data.get("kind", self.instance.kind),
                value=data["value"],
                action=data["action"],
                channel=data.get("channel"),
                note=data.get("note", ""),
                rule=rule,
            )
        except errors.Invalid as error:
            self.add_error(error.field or "value", error.detail)
        except errors.Conflict as error:
            self.add_error("value", error.detail)
        return data


@admin.register(BlockRule)
class BlockRuleAdmin(admin.ModelAdmin):
    form = BlockRuleAdminForm
    list_display = ["__str__", "channel", "note", "hits", "last_hit_at", "created_by", "created_at"]
    list_filter = ["action", "kind"]
    search_fields = ["value", "note"]
    list_select_related = ["channel", "created_by"]
    readonly_fields = ["hits", "last_hit_at", "created_by", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a rule keeps what it matches (update_rule changes no kind)
            return ["kind", *self.readonly_fields]
        return self.readonly_fields

    def changeform_view(self, request, *args, **kwargs):
        """A twin rule saved by someone else between the form's check and the save: say so, change nothing."""
        try:
            return super().changeform_view(request, *args, **kwargs)
        except (errors.Conflict, errors.Invalid, errors.NotFound) as error:
            self.message_user(request, error.detail, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            rule = create_rule(
                actor=request.user,
                kind=data["kind"],
                value=data["value"],
                action=data["action"],
                channel=data["channel"],
                note=data["note"],
            )
            obj.pk = rule.pk
            obj.refresh_from_db()
            return
        update_rule(
            actor=request.user,
            rule=obj,
            value=data["value"],
            action=data["action"],
            note=data["note"],
            channel=data["channel"],
        )
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        delete_rule(actor=request.user, rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            # Deleted meanwhile by someone else: what the person asked for holds.
            with suppress(errors.NotFound):
                delete_rule(actor=request.user, rule=rule)


@admin.register(RuleHitDay)
class RuleHitDayAdmin(ReadOnlyAdmin):
    """Routing's daily counts of each rule's hits (the spam overview reads them)."""

    list_display = ["day", "rule", "action", "channel", "hits"]
    list_filter = ["action", "channel"]
    date_hierarchy = "day"
    list_select_related = ["rule", "channel"]
