"""Read-only admin bases for histories that only the domain functions write."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A history nobody edits by hand: it is written by the domain functions only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent, never edited or deleted there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
