"""Personal API tokens: issue one for a user (the raw token is shown once), revoke it."""

from django.contrib import admin, messages

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["token_prefix", "user", "name", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "name", "token_prefix"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    actions = ["revoke_selected"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name"]
        return ["user", "name", "token_prefix", "created_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "token_prefix", "created_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        raw = None if change else obj.set_new_token()
        super().save_model(request, obj, form, change)
        if raw:
            messages.success(request, f"The API token for {obj.user} is shown only now; store it: {raw}")

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token.revoke()
        self.message_user(request, f"Revoked {len(tokens)} token(s).", messages.SUCCESS)
