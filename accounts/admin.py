"""Personal API tokens: an administrator sees and revokes anyone's, and makes tokens only for themselves.
Profiles: an administrator sees each person's language and time zone; each person sets their own on My profile."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from blockdesk import errors

from .models import ApiToken, Profile
from .profiles import BAD_TIME_ZONE_CHOICE, save_profile, time_zone_choices
from .tokens import issue_api_token, revoke_api_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["token_prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "name", "token_prefix"]
    list_select_related = ["user"]
    actions = ["revoke_selected"]

    def get_fields(self, request, obj=None):
        if obj is None:  # the new token is the signed-in administrator's own: nobody mints one for someone else
            return ["name"]
        return ["user", "name", "token_prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "token_prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = issue_api_token(actor=request.user, owner=request.user, name=obj.name)
        obj.pk = token.pk
        obj.refresh_from_db()
        messages.success(request, gettext("Your new API token is shown only now; store it: %(raw)s") % {"raw": raw})

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                revoke_api_token(actor=request.user, token=token)
            except errors.DomainError as error:
                self.message_user(request, f"{token}: {error.detail}", messages.WARNING)
            else:
                revoked += 1
        self.message_user(
            request,
            ngettext("Revoked %(count)s token.", "Revoked %(count)s tokens.", revoked) % {"count": revoked},
            messages.SUCCESS,
        )


class ProfileAdminForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        required=False,
        error_messages={"invalid_choice": BAD_TIME_ZONE_CHOICE},
    )

    class Meta:
        model = Profile
        fields = ["user", "language", "time_zone"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    form = ProfileAdminForm
    list_display = ["user", "language", "time_zone"]
    list_filter = ["language"]
    search_fields = ["user__username", "time_zone"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        # The one door that checks and saves a person's choices (accounts.profiles).
        saved = save_profile(person=obj.user, language=obj.language, time_zone=obj.time_zone)
        obj.pk = saved.pk
