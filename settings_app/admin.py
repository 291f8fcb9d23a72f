"""System settings as one page: no list, no add, no delete; saving goes through update_switches."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from .models import SystemSettings
from .switches import update_switches


@admin.register(SystemSettings)
class SystemSettingsAdmin(admin.ModelAdmin):
    fields = ["block_contacts_enabled", "bot_enabled", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = SystemSettings.load()
        return redirect(reverse("admin:settings_app_systemsettings_change", args=[row.pk]))

    def save_model(self, request, obj, form, change):
        # Not obj.save(): update_switches checks the permission and clears the cached switches.
        update_switches(
            actor=request.user,
            block_contacts_enabled=form.cleaned_data["block_contacts_enabled"],
            bot_enabled=form.cleaned_data["bot_enabled"],
        )
        obj.refresh_from_db()
