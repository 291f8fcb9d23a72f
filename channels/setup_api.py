"""The `api` kind on the set-up page: its outbound URL and secrets (on the Channel row) and a signed test POST."""

import json
import time
import uuid

import requests
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from contacts.models import Channel

from .api_webhook import (
    ERROR_TEXT_LENGTH,
    NO_OUTBOUND_URL,
    RECEIVER_REFUSED,
    RECEIVER_TIMED_OUT,
    RECEIVER_UNAVAILABLE,
    RECEIVER_UNREACHABLE,
    sign,
)
from .setup import KindSetup, SetupCheckFailed, SetupDetail

# Where customers' systems post messages with the channel's token (the JSON API; no webhook of a provider).
INBOUND_PATH = "/api/v1/inbound/messages"
INBOUND_BATCH_PATH = "/api/v1/inbound/messages/batch"
TEST_TEXT = "Test from BlockDesk: if you can read this, replies reach you."
TEST_ANSWERED = gettext_noop("The receiver at {url} answered {status}: replies will reach it.")
TEST_ANSWERED_UNSIGNED = gettext_noop(
    "The receiver at {url} answered {status}: replies will reach it. They go unsigned: set an outbound secret so "
    "the receiver can check that they come from us."
)


class ApiChannelForm(forms.ModelForm):
    """The api kind's settings on the channel row; both secrets are write-only (blank keeps the stored one)."""

    outbound_url = forms.URLField(
        label=_("Outbound URL"),
        required=False,
        max_length=Channel._meta.get_field("outbound_url").max_length,
        assume_scheme="https",
        help_text=_("Where replies go: each is POSTed there as JSON, signed with the outbound secret."),
    )
    outbound_secret = forms.CharField(
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Signs each reply POSTed to the outbound URL. Stored encrypted and never shown; leave empty to keep the "
            "one stored."
        ),
    )
    signing_secret = forms.CharField(
        label=_("Inbound signing secret"),
        required=False,
        strip=False,
        max_length=Channel._meta.get_field("signing_secret").max_length,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "If set, inbound requests must carry an HMAC-SHA256 signature made with it. Never shown; "
            "leave empty to keep the one stored."
        ),
    )

    class Meta:
        model = Channel
        fields = ["outbound_url", "outbound_secret", "signing_secret"]

    def clean_outbound_secret(self):
        return self.cleaned_data["outbound_secret"] or self.instance.outbound_secret

    def clean_signing_secret(self):
        return self.cleaned_data["signing_secret"] or self.instance.signing_secret


def api_details(request: HttpRequest, channel: Channel) -> list[SetupDetail]:
    return [
        SetupDetail(
            gettext("Inbound address"),
            request.build_absolute_uri(INBOUND_PATH),
            gettext(
                "Your system POSTs each customer message here as JSON, "
                "with Authorization: Bearer <the channel's token>."
            ),
        ),
        SetupDetail(
            gettext("Inbound address for batches"),
            request.build_absolute_uri(INBOUND_BATCH_PATH),
            gettext("Up to 100 at once."),
        ),
    ]


def send_api_test(channel: Channel) -> str:
    """POST a signed test message to the outbound URL, as a reply would go; say what the receiver answered."""
    if not channel.outbound_url:
        raise SetupCheckFailed(NO_OUTBOUND_URL)
    delivery = f"test-{uuid.uuid4().hex}"
    body = json.dumps(
        {
            "event": "test",
            "message_id": delivery,
            "channel": {"id": channel.pk, "name": channel.name},
            "text": TEST_TEXT,
            "sent_at": timezone.now().isoformat(),
        },
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-BlockDesk-Timestamp": timestamp, "X-BlockDesk-Delivery": delivery}
    if channel.outbound_secret:
        headers["X-BlockDesk-Signature"] = "sha256=" + sign(channel.outbound_secret, timestamp, body)
    timeout = settings.DELIVERY_TIMEOUT_SECONDS
    try:
        response = requests.post(channel.outbound_url, data=body, headers=headers, timeout=timeout)
    except requests.Timeout:
        raise SetupCheckFailed(RECEIVER_TIMED_OUT.format(seconds=timeout)) from None
    except requests.RequestException as exc:
        raise SetupCheckFailed(RECEIVER_UNREACHABLE.format(error=type(exc).__name__)) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise SetupCheckFailed(RECEIVER_UNAVAILABLE.format(status=response.status_code))
    if not 200 <= response.status_code < 300:
        raise SetupCheckFailed(
            RECEIVER_REFUSED.format(status=response.status_code, text=response.text[:ERROR_TEXT_LENGTH])
        )
    answered = TEST_ANSWERED if channel.outbound_secret else TEST_ANSWERED_UNSIGNED
    return gettext(answered).format(url=channel.outbound_url, status=response.status_code)


API_SETUP = KindSetup(
    kind=Channel.Kind.API,
    settings_model=None,
    form=ApiChannelForm,
    webhook_path=None,
    send_test=send_api_test,
    details=api_details,
)
