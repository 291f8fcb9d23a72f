"""Django admin for web chats: origins, limits, the identity secret, and the snippet for the customer's site."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import reverse

from .webchat_models import WebchatChannel

SNIPPET = '<script src="{widget}" data-chat="{page}" defer></script>'


def chat_links(request, chat: WebchatChannel) -> dict:
    """The chat page's address and the loader snippet, absolute for this site."""
    page = request.build_absolute_uri(reverse("webchat:page", args=[chat.public_id]))
    widget = request.build_absolute_uri(static("channels/widget.js"))
    return {"chat_page_url": page, "snippet": SNIPPET.format(widget=widget, page=page)}


@admin.register(WebchatChannel)
class WebchatChannelAdmin(admin.ModelAdmin):
    list_display = ["channel", "public_id", "messages_per_visitor", "messages_per_address"]
    readonly_fields = ["public_id", "identity_secret"]
    fields = [
        "channel",
        "public_id",
        "allowed_origins",
        "messages_per_visitor",
        "messages_per_address",
        "identity_secret",
    ]

    def get_readonly_fields(self, request, obj=None):
        # The channel is chosen once; its chat page address never changes under a customer's site.
        return [*self.readonly_fields, "channel"] if obj is not None else self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        chat = self.get_object(request, object_id)
        extra = chat_links(request, chat) if chat is not None else {}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})
