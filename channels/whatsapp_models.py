"""A WhatsApp channel's own settings: its Cloud API phone number, the app's secrets, and the block mirror."""

import hmac

from django.db import models
from django.utils.translation import gettext_lazy as _

from blockdesk.encryption import EncryptedTextField
from blockdesk.tokens import hash_token, new_token
from contacts.models import Channel

GRAPH_API_URL = "https://graph.facebook.com/v21.0"


class WhatsAppChannel(models.Model):
    """One WhatsApp Business phone number, reached through Meta's Cloud API (Graph API)."""

    channel = models.OneToOneField(
        Channel,
        on_delete=models.PROTECT,
        related_name="whatsapp",
        limit_choices_to={"kind": Channel.Kind.WHATSAPP},
    )
    phone_number_id = models.CharField(
        max_length=64,
        unique=True,
        help_text=_("The Cloud API's id of the business phone number (WhatsApp Manager → API Setup), not the number."),
    )
    app_secret = EncryptedTextField(
        help_text=_(
            "The Meta app's secret (App settings → Basic): checks each webhook's X-Hub-Signature-256. "
            "Stored encrypted, never shown back."
        )
    )
    access_token = EncryptedTextField(
        help_text=_(
            "A system user's permanent access token with whatsapp_business_messaging. "
            "Stored encrypted, never shown back."
        )
    )
    # Only its hash: Meta needs the token once, when the webhook is verified; a new one can be made any time.
    verify_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    api_base_url = models.URLField(
        max_length=500, default=GRAPH_API_URL, help_text=_("The Graph API, with its version. Change only for tests.")
    )
    mirror_blocks = models.BooleanField(
        default=False,
        help_text=_(
            "Also block a blocked contact's number on WhatsApp (and unblock it with the contact). "
            "WhatsApp then never delivers their messages: nothing reaches the Blocked list, so supervisors "
            "no longer see what a blocked contact sends, and Unblock All has nothing to release."
        ),
    )

    class Meta:
        verbose_name = _("WhatsApp number")
        verbose_name_plural = _("WhatsApp numbers")

    def __str__(self):
        return f"{self.channel} ({self.phone_number_id})"

    def set_new_verify_token(self) -> str:
        """Make a new webhook verify token and return it; only its hash is kept."""
        raw, self.verify_token_hash, _ = new_token("bdwa_")
        return raw

    def verify_token_matches(self, raw: str) -> bool:
        return bool(self.verify_token_hash) and hmac.compare_digest(self.verify_token_hash, hash_token(raw))

    def endpoint(self, *parts: str) -> str:
        """{api_base_url}/{phone_number_id}/{parts…}"""
        return "/".join([self.api_base_url.rstrip("/"), self.phone_number_id, *parts])
