"""The `webchat` kind on the set-up page: the allowed sites and limits, the chat page and the snippet to paste."""

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext

from contacts.models import Channel

from .setup import KindSetup, SetupDetail
from .webchat_admin import chat_links
from .webchat_models import WebchatChannel


class WebchatSettingsForm(forms.ModelForm):
    """The fields Django admin's web chat page edits; the identity secret is generated, shown once."""

    class Meta:
        model = WebchatChannel
        fields = ["allowed_origins", "messages_per_visitor", "messages_per_address"]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3})}


def webchat_details(request: HttpRequest, channel: Channel) -> list[SetupDetail]:
    chat = WebchatChannel.objects.filter(channel=channel).first()
    if chat is None:
        return []
    links = chat_links(request, chat)
    return [
        SetupDetail(
            gettext("Hosted chat page"),
            links["chat_page_url"],
            gettext("Link to it, or open it to talk as a customer."),
        ),
        SetupDetail(
            gettext("Snippet for the site"),
            links["snippet"],
            gettext("Paste it before </body> on each page of an allowed site."),
            True,
        ),
    ]


WEBCHAT_SETUP = KindSetup(
    kind=Channel.Kind.WEBCHAT,
    settings_model=WebchatChannel,
    form=WebchatSettingsForm,
    webhook_path=None,
    send_test=None,
    details=webchat_details,
    generated_secrets=("identity_secret",),
)
