"""An e-mail channel's settings: the mailbox polled (IMAP), the server replies leave by (SMTP), where the poll is."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from blockdesk.encryption import EncryptedTextField
from contacts.models import Channel


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS from the start (IMAP 993, SMTP 465)")
    STARTTLS = "starttls", _("STARTTLS (IMAP 143, SMTP 587)")
    NONE = "none", _("None: password in clear (a server on this machine only)")


class ProcessedAction(models.TextChoices):
    SEEN = "seen", _("Flag it Seen and leave it in the folder")
    MOVE = "move", _("Move it to another folder")


class EmailChannel(models.Model):
    """One mailbox: where customers write (IMAP) and where our replies come from (SMTP)."""

    channel = models.OneToOneField(
        Channel,
        on_delete=models.PROTECT,
        related_name="email",
        limit_choices_to={"kind": Channel.Kind.EMAIL},
    )
    address = models.EmailField(
        help_text=_("The mailbox's own address: replies come from it and ask for answers to it.")
    )

    imap_host = models.CharField(_("IMAP host"), max_length=255)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=8, choices=Security.choices, default=Security.SSL)
    imap_user = models.CharField(_("IMAP user"), max_length=255)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX", help_text=_("The folder polled."))
    processed_action = models.CharField(
        max_length=4,
        choices=ProcessedAction.choices,
        default=ProcessedAction.SEEN,
        help_text=_("What happens to a mail once it is stored (or skipped as an auto-reply, bounce or bulk mail)."),
    )
    processed_folder = models.CharField(
        max_length=255, default="BlockDesk", help_text=_("Where processed mail is moved to (made if missing).")
    )

    smtp_host = models.CharField(_("SMTP host"), max_length=255)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=8, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_user = models.CharField(
        _("SMTP user"), max_length=255, blank=True, help_text=_("Blank: send without logging in.")
    )
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True)

    # Where the poller is: the folder's UIDVALIDITY and the highest UID it processed. A new
    # UIDVALIDITY (the folder was rebuilt) starts from the first UID again; Message-IDs dedupe.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    # A poll takes the mailbox until then, so two workers never poll it at once.
    polling_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_poll_error = models.TextField(blank=True, editable=False)
    # Mail that never opens a ticket: auto-replies, bounces, bulk mail; and mail without a usable sender.
    automatic_skipped = models.PositiveIntegerField(default=0, editable=False)
    unreadable_skipped = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("e-mail mailbox")
        verbose_name_plural = _("e-mail mailboxes")

    def __str__(self):
        return f"{self.channel} <{self.address}>"

    @property
    def domain(self) -> str:
        """The domain of our own Message-IDs: the mailbox's."""
        return self.address.rpartition("@")[2] or "localhost"
