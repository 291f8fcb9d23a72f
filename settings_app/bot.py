"""Who answers the BOT's tickets (nobody, the bot webhook or the built-in bot), and the one way to change it.

The answerer is read on the inbound path, so it is read with the switches
(settings_app.switches: once per request, never kept past it); the webhook's
URL and secret are read only when a message goes to the bot.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from blockdesk import errors
from blockdesk.audit import record_setting_change

from .models import BotAnswerer, SystemSettings
from .switches import current_switches, forget_switches

SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 200

ANSWERER_SETTING = "Who answers BOT tickets"
URL_SETTING = "Bot webhook URL"
SECRET_SETTING = "Bot webhook secret"

# How the audit trail names each answerer (the choices' labels are longer than its 50-character change).
ANSWERER_NAMES = {BotAnswerer.NOBODY: "nobody", BotAnswerer.WEBHOOK: "bot webhook", BotAnswerer.BUILTIN: "built-in bot"}

UNKNOWN_ANSWERER = gettext_noop("Choose who answers BOT tickets: nobody, webhook or builtin.")
URL_INVALID = gettext_noop("The bot webhook URL must be an http:// or https:// address of at most 500 characters.")
WEBHOOK_NEEDS_URL = gettext_noop("The bot webhook needs its URL.")
WEBHOOK_NEEDS_SECRET = gettext_noop("The bot webhook needs a secret: BlockDesk signs each request with it.")
# The lengths are SECRET_MIN_LENGTH and SECRET_MAX_LENGTH, written out so the text is one msgid.
SECRET_INVALID = gettext_noop("The bot webhook secret must be 16 to 200 characters, without spaces.")


@dataclass(frozen=True)
class BotConfig:
    answerer: str
    webhook_url: str
    webhook_secret: str = field(repr=False)

    @property
    def has_secret(self) -> bool:
        return bool(self.webhook_secret)


def _config(row: SystemSettings) -> BotConfig:
    return BotConfig(answerer=row.bot_answerer, webhook_url=row.bot_webhook_url, webhook_secret=row.bot_webhook_secret)


def current_answerer() -> str:
    """Who answers BOT tickets, read with the switches (once per request)."""
    return current_switches().bot_answerer


def bot_config() -> BotConfig:
    """The answerer with the webhook's URL and secret, read from the database (never cached)."""
    return _config(SystemSettings.load())


def forget_answerer() -> None:
    forget_switches()


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.Invalid(URL_INVALID)


def _check_secret(secret: str) -> None:
    if not SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH or any(c.isspace() for c in secret):
        raise errors.Invalid(SECRET_INVALID)


def _presence_change(before: str, after: str) -> str:
    if not before:
        return "set"
    return "removed" if not after else "changed"


def update_bot(
    *, actor, answerer: str | None = None, webhook_url: str | None = None, webhook_secret: str | None = None
) -> BotConfig:
    """Change who answers BOT tickets and the webhook; None keeps a value, "" removes the URL or secret.

    Administrators only. Each value that changes gets an audit row; the
    secret's row says that it changed, never what it is.
    """
    if not actor.has_perm("settings_app.change_systemsettings"):
        raise errors.Forbidden(errors.NO_PERMISSION_SETTINGS)
    if answerer is not None and answerer not in BotAnswerer.values:
        raise errors.Invalid(UNKNOWN_ANSWERER)
    if webhook_url:
        _check_url(webhook_url)
    if webhook_secret:
        _check_secret(webhook_secret)
    with transaction.atomic():
        row = SystemSettings.objects.select_for_update().filter(pk=SystemSettings.SINGLETON_PK).first()
        if row is None:
            row = SystemSettings.load()
        before = _config(row)
        after = BotConfig(
            answerer=before.answerer if answerer is None else answerer,
            webhook_url=before.webhook_url if webhook_url is None else webhook_url,
            webhook_secret=before.webhook_secret if webhook_secret is None else webhook_secret,
        )
        if after.answerer == BotAnswerer.WEBHOOK and not after.webhook_url:
            raise errors.Invalid(WEBHOOK_NEEDS_URL)
        if after.answerer == BotAnswerer.WEBHOOK and not after.webhook_secret:
            raise errors.Invalid(WEBHOOK_NEEDS_SECRET)
        if after == before:
            return after
        now = timezone.now()
        if after.answerer != before.answerer:
            change = f"{ANSWERER_NAMES[before.answerer]} → {ANSWERER_NAMES[after.answerer]}"
            record_setting_change(actor=actor, setting=ANSWERER_SETTING, change=change, at=now)
        if after.webhook_url != before.webhook_url:
            record_setting_change(
                actor=actor,
                setting=f"{URL_SETTING}: {after.webhook_url or '(none)'}",
                change=_presence_change(before.webhook_url, after.webhook_url),
                at=now,
            )
        if after.webhook_secret != before.webhook_secret:
            change = _presence_change(before.webhook_secret, after.webhook_secret)
            record_setting_change(actor=actor, setting=SECRET_SETTING, change=change, at=now)
        row.bot_answerer, row.bot_webhook_url, row.bot_webhook_secret = (
            after.answerer,
            after.webhook_url,
            after.webhook_secret,
        )
        row.updated_by = actor
        row.save()
        transaction.on_commit(forget_answerer)
    return after
