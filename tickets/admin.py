"""Django admin for tickets and messages: for looking, not for moving.

A ticket's status changes only through the domain functions (queue actions,
blocking), so the admin shows tickets and messages read-only; blocked
tickets can be unblocked from the list, which calls the same function as the
supervisor dashboard.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from blockdesk import errors
from blockdesk.admin_base import ReadOnlyAdmin, ReadOnlyInline
from contacts.blocking import release_blocked_tickets

from .models import DeletedMessage, DeliveryAttempt, Message, Notice, SavedReply, Ticket


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["sent_at", "direction", "author", "body", "external_id"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["id", "contact", "channel", "status", "assignee", "message_count", "last_message_at"]
    list_filter = ["status", "channel"]
    search_fields = ["=id", "contact__name", "contact__phone", "contact__email"]
    list_select_related = ["contact", "channel", "assignee"]
    date_hierarchy = "last_message_at"
    inlines = [MessageInline]
    actions = ["unblock_selected"]

    def has_unblock_permission(self, request):
        return request.user.has_perm("tickets.unblock_ticket")

    @admin.action(description=_("Unblock the selected blocked tickets"), permissions=["unblock"])
    def unblock_selected(self, request, queryset):
        ticket_ids = list(queryset.values_list("id", flat=True))
        try:
            released = release_blocked_tickets(actor=request.user, ticket_ids=ticket_ids)
        except errors.DomainError as error:
            self.message_user(request, error.detail, messages.ERROR)
        else:
            self.message_user(
                request,
                ngettext("Unblocked %(count)s ticket.", "Unblocked %(count)s tickets.", released) % {"count": released},
                messages.SUCCESS,
            )


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "direction", "author", "sent_at", "external_id"]
    list_filter = ["direction", "channel"]
    search_fields = ["=external_id", "body"]
    list_select_related = ["ticket__contact", "author"]
    raw_id_fields = ["ticket"]


@admin.register(DeletedMessage)
class DeletedMessageAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "channel", "contact", "deleted_at"]
    list_filter = ["channel"]
    search_fields = ["=external_id"]
    list_select_related = ["channel", "contact"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    """Each try at sending a reply, as the worker recorded it."""

    list_display = ["message", "number", "outcome", "started_at", "error"]
    list_filter = ["outcome"]
    raw_id_fields = ["message"]


@admin.register(SavedReply)
class SavedReplyAdmin(ReadOnlyAdmin):
    list_display = ["title", "owner", "created_at"]
    search_fields = ["title", "body"]
    list_select_related = ["owner"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "kind", "ticket_id", "created", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    raw_id_fields = ["ticket"]
