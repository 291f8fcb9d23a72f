"""A web chat channel's own settings: its public page, the sites that may embed it, identity verification, limits."""

import secrets
import uuid
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from contacts.models import Channel

BAD_ORIGIN = gettext_noop("“{origin}” is not an origin: write scheme and host only, e.g. https://shop.example.com")


def parse_origins(text: str) -> list[str]:
    """The allowed origins, one a line, as browsers send them (lower case, no trailing slash)."""
    return [line.strip().rstrip("/").lower() for line in text.splitlines() if line.strip()]


def validate_origins(text: str) -> None:
    for origin in parse_origins(text):
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            raise ValidationError(gettext(BAD_ORIGIN).format(origin=origin))


class WebchatChannel(models.Model):
    """The chat page /chat/<public_id>/ of one web chat channel, and who may embed it."""

    channel = models.OneToOneField(
        Channel,
        on_delete=models.PROTECT,
        related_name="webchat",
        limit_choices_to={"kind": Channel.Kind.WEBCHAT},
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    allowed_origins = models.TextField(
        blank=True,
        help_text=_(
            "Sites that may embed the chat, one origin a line (e.g. https://shop.example.com). "
            "Empty: the chat page opens only on its own."
        ),
    )
    # A stdlib default (32 random bytes in hex), so the migration needs no code of ours.
    identity_secret = models.CharField(
        max_length=128,
        default=secrets.token_hex,
        help_text=_(
            "The host site signs its user id with it (HMAC-SHA256) so a signed-in customer joins their contact."
        ),
    )
    messages_per_visitor = models.PositiveIntegerField(
        default=20, help_text=_("Messages one visitor may send a minute.")
    )
    messages_per_address = models.PositiveIntegerField(
        default=60, help_text=_("Messages one client address may send a minute (all its visitors together).")
    )

    class Meta:
        verbose_name = _("web chat")
        verbose_name_plural = _("web chats")

    def __str__(self):
        return str(self.channel)

    def clean(self):
        try:
            validate_origins(self.allowed_origins)
        except ValidationError as bad:
            raise ValidationError({"allowed_origins": bad.messages}) from None

    @property
    def origins(self) -> list[str]:
        return parse_origins(self.allowed_origins)
