import hmac

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from blockdesk.display import person_name
from blockdesk.encryption import EncryptedTextField
from blockdesk.tokens import hash_token, new_token

# What a channel may send per minute unless an administrator sets otherwise (contacts.inbound_limits).
DEFAULT_REQUESTS_PER_MINUTE = 1200
DEFAULT_MESSAGES_PER_MINUTE = 6000


class ChannelQuerySet(models.QuerySet):
    def with_switches(self) -> "ChannelQuerySet":
        """Read the system switches in the same statement (`channel.switches`): routing needs no query for them."""
        from settings_app.switches import switch_columns

        return self.annotate(**switch_columns(SWITCHES_PREFIX))

    def for_token(self, raw: str) -> "Channel | None":
        """Return the active channel whose token this is, with the switches as they are now, else None.

        Read on every request, never kept by a process: a channel switched off,
        a token rotated or a signing secret changed holds for the next request.
        """
        digest = hash_token(raw)
        channel = self.filter(token_hash=digest, is_active=True).with_switches().first()
        # The lookup is by an unguessable digest; the explicit constant-time
        # comparison keeps the check honest if the lookup ever changes.
        if channel is None or not hmac.compare_digest(channel.token_hash, digest):
            return None
        return channel


# The annotations with_switches adds to a channel's row.
SWITCHES_PREFIX = "switch_"


class Channel(models.Model):
    """A source of customer messages (a WhatsApp number, a mailbox, a web chat)."""

    class Kind(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        TELEGRAM = "telegram", "Telegram"
        EMAIL = "email", _("E-mail")
        WEBCHAT = "webchat", _("Web chat")
        SMS = "sms", "SMS"
        API = "api", _("API (webhook)")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    is_active = models.BooleanField(default=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(
        max_length=12, editable=False, help_text=_("The token's first characters, to tell tokens apart.")
    )
    signing_secret = models.CharField(
        max_length=128,
        blank=True,
        help_text=_("If set, inbound requests must carry an HMAC-SHA256 signature made with it."),
    )
    outbound_url = models.URLField(
        max_length=500, blank=True, help_text=_("Where replies go (the api kind: a signed webhook POST to this URL).")
    )
    outbound_secret = EncryptedTextField(
        blank=True, help_text=_("Signs replies sent to the outbound URL; stored encrypted, never shown back.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Inbound limits (contacts.inbound_limits): over either, the channel's requests are answered 429.
    requests_per_minute = models.PositiveIntegerField(
        default=DEFAULT_REQUESTS_PER_MINUTE,
        help_text=_("Inbound requests this channel may make per minute (a batch is one request); 0: no limit."),
    )
    messages_per_minute = models.PositiveIntegerField(
        default=DEFAULT_MESSAGES_PER_MINUTE,
        help_text=_("Inbound messages this channel may deliver per minute (a batch counts each); 0: no limit."),
    )
    # The counters of the current minute when no Redis cache shares them (contacts.inbound_limits): the token
    # look-up itself updates them, so counting costs the inbound request no statement of its own.
    limit_minute = models.BigIntegerField(default=0, editable=False)
    minute_requests = models.PositiveIntegerField(default=0, editable=False)
    minute_messages = models.PositiveIntegerField(default=0, editable=False)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def switches(self):
        """The system switches read with this channel (with_switches, for_token), else None."""
        from settings_app.switches import switches_from

        if not hasattr(self, SWITCHES_PREFIX + "bot_enabled"):
            return None
        return switches_from(self, SWITCHES_PREFIX)

    def set_new_token(self) -> str:
        """Give the channel a fresh token and return it; only its hash is kept."""
        raw, self.token_hash, self.token_prefix = new_token("bdc_")
        return raw


class BlockReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    ABUSE = "abuse", _("Abuse")
    OTHER = "other", _("Other")


class ContactQuerySet(models.QuerySet):
    def live(self):
        """Contacts that are people today: not merged away into another contact."""
        return self.filter(merged_into__isnull=True)

    def blocked(self):
        return self.filter(is_blocked=True)

    def search(self, text: str):
        """Live contacts whose name, phone or e-mail contains the text."""
        self = self.live()
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(phone__icontains=text) | Q(email__icontains=text))


class Contact(models.Model):
    """A customer, known to one or more channels through its identities."""

    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    note = models.TextField(blank=True, help_text=_("What staff should know about this person."))
    is_blocked = models.BooleanField(default=False)  # indexed by contact_blocked_recent, which leads with it
    # The current block, copied from its Block row so lists need no join.
    blocked_reason = models.CharField(max_length=10, choices=BlockReason.choices, blank=True)
    blocked_note = models.TextField(blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    # The contact's three foreign keys below are NULL for nearly every contact: each is indexed only where set
    # (Meta.indexes), so a new customer's contact writes three index entries fewer (docs/benchmarks.md, issue 11).
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # When a timed block ends by itself; None blocks until someone unblocks. Past it the block is over
    # for routing at once (contacts.block_expiry), and the sweep lifts it for everyone else.
    blocked_until = models.DateTimeField(null=True, blank=True)
    # Who blocked it when no person did: a block rule (blocked_by_rule) or the flood guard ("flood guard").
    blocked_by_rule = models.ForeignKey(
        "contacts.BlockRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    blocked_by_name = models.CharField(max_length=50, blank=True)
    # A person unblocked this contact after a rule blocked it: block rules no longer quarantine or reject it.
    rules_waived = models.BooleanField(default=False)
    # The flood guard counts messages from here on (set when a supervisor dismisses a flag).
    flood_counted_from = models.DateTimeField(null=True, blank=True)
    # When the flood guard flagged the contact, while its flag is open: read with the contact lock, it spares
    # routing a look for the open flag on every later message of a flood.
    suspected_at = models.DateTimeField(null=True, blank=True)
    # Set on the tombstone a merge leaves: its id answers with the survivor's.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_contacts", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        permissions = [
            ("block_contact", "Can block contacts"),
            ("unblock_contact", "Can unblock contacts"),
            ("merge_contact", "Can merge two contacts into one"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_blocked=True, blocked_at__isnull=False)
                | Q(is_blocked=False, blocked_at__isnull=True, blocked_reason="", blocked_until__isnull=True),
                name="contact_block_fields_match_is_blocked",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(is_blocked=False), name="merged_contact_is_not_blocked"
            ),
        ]
        indexes = [
            models.Index(fields=["is_blocked", "-blocked_at"], name="contact_blocked_recent"),
            # The expiry sweep's look-up: only timed blocks are in it.
            models.Index(fields=["blocked_until"], name="contact_block_ends", condition=Q(blocked_until__isnull=False)),
            models.Index(fields=["blocked_by"], name="contact_blocked_by", condition=Q(blocked_by__isnull=False)),
            models.Index(
                fields=["blocked_by_rule"], name="contact_blocked_by_rule", condition=Q(blocked_by_rule__isnull=False)
            ),
            models.Index(fields=["merged_into"], name="contact_merged_into", condition=Q(merged_into__isnull=False)),
            # Routing's look-up of the person a new address belongs to (contacts.addresses.person_key).
            models.Index(fields=["phone"], name="contact_phone"),
            models.Index(Lower("email"), name="contact_email_lower"),
            # The 360 view's possible duplicates by the same name (contacts.duplicates).
            models.Index(Lower("name"), name="contact_name_lower"),
        ]

    def __str__(self):
        return self.name or self.phone or self.email or f"Contact #{self.pk}"


class ContactIdentity(models.Model):
    """The address by which one channel knows a contact (phone number, e-mail, chat id)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    # one_identity_per_channel_address leads with the channel: no index of its own.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="identities", db_index=False)
    external_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    # The channel told us replies cannot reach this address (a Telegram user blocked the bot), and why;
    # replies to it fail at once with that reason until the channel says it is reachable again.
    undeliverable_reason = models.CharField(max_length=255, blank=True)
    undeliverable_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("contact identities")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="one_identity_per_channel_address")
        ]
        # The same phone or e-mail on other channels: routing's look-up of the person a new address belongs to.
        indexes = [models.Index(fields=["external_id"], name="identity_address")]

    def __str__(self):
        return gettext("%(address)s on %(channel)s") % {"address": self.external_id, "channel": self.channel}


class UnblockChoice(models.TextChoices):
    UNBLOCK_ALL = "unblock_all", _("Unblock All")
    DELETE_ALL = "delete_all", _("Delete All")


class LiftedWith(models.TextChoices):
    """How a block ended: a person's unblock choice, or a merge that kept the other contact's block."""

    UNBLOCK_ALL = UnblockChoice.UNBLOCK_ALL.value, UnblockChoice.UNBLOCK_ALL.label
    DELETE_ALL = UnblockChoice.DELETE_ALL.value, UnblockChoice.DELETE_ALL.label
    MERGED = "merged", _("Merged into the other contact's block")
    EXPIRED = "expired", _("Lifted at expiry")


class Block(models.Model):
    """One blocking of a contact, from block to lift: the audit that outlives Delete All."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="blocks")
    reason = models.CharField(max_length=10, choices=BlockReason.choices)
    note = models.TextField(blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="blocks_made"
    )
    blocked_at = models.DateTimeField()
    # When the block ends by itself; None: until someone unblocks.
    ends_at = models.DateTimeField(null=True, blank=True)
    # A block nobody made by hand: the rule that quarantined the contact, or the automatic actor's name.
    rule = models.ForeignKey(
        "contacts.BlockRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="blocks"
    )
    actor_name = models.CharField(max_length=50, blank=True)
    tickets_resolved = models.PositiveIntegerField(default=0, help_text=_("Open tickets resolved when blocking."))
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="blocks_lifted"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_with = models.CharField(max_length=12, choices=LiftedWith.choices, blank=True)
    tickets_released = models.PositiveIntegerField(default=0)
    tickets_deleted = models.PositiveIntegerField(default=0)
    messages_deleted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-blocked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(lifted_at__isnull=True), name="one_current_block_per_contact"
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_with="") | Q(lifted_at__isnull=False) & ~Q(lifted_with=""),
                name="block_lift_fields_together",
            ),
        ]

    def __str__(self):
        return gettext("Block of %(contact)s (%(reason)s)") % {
            "contact": self.contact,
            "reason": self.get_reason_display(),
        }

    @property
    def is_current(self) -> bool:
        return self.lifted_at is None


# An audit row whose person's account was deleted since.
DELETED_USER = gettext_noop("deleted user")


class AuditAction(models.TextChoices):
    BLOCKED = "blocked", _("Blocked contact")
    UNBLOCKED_ALL = "unblock_all", _("Unblocked contact (Unblock All)")
    DELETED_ALL = "delete_all", _("Unblocked contact (Delete All)")
    TICKET_RELEASED = "ticket_released", _("Unblocked ticket")
    TICKET_DELETED = "ticket_deleted", _("Deleted blocked ticket")
    SWITCH_CHANGED = "switch_changed", _("Changed a system switch")
    CHANNEL_CREATED = "channel_created", _("Created channel")
    CHANNEL_DEACTIVATED = "channel_deactivated", _("Switched channel off")
    CHANNEL_REACTIVATED = "channel_reactivated", _("Switched channel on")
    CHANNEL_TOKEN_ROTATED = "channel_token_rotated", _("Rotated channel token")
    API_TOKEN_ISSUED = "api_token_issued", _("Made personal API token")
    API_TOKEN_REVOKED = "api_token_revoked", _("Revoked personal API token")
    MERGED = "merged", _("Merged contacts")
    EDITED = "edited", _("Edited contact")
    TICKET_REOPENED = "ticket_reopened", _("Reopened ticket")
    BLOCK_EXPIRED = "block_expired", _("Block lifted at expiry")
    RETENTION_DELETED = "retention_deleted", _("Deleted blocked tickets past retention")
    CHANNEL_CHANGED = "channel_changed", _("Changed channel settings")
    RULE_CREATED = "rule_created", _("Added block rule")
    RULE_CHANGED = "rule_changed", _("Changed block rule")
    RULE_DELETED = "rule_deleted", _("Deleted block rule")
    RULE_REJECTED = "rule_rejected", _("Rejected by block rule")
    FLOOD_FLAGGED = "flood_flagged", _("Flagged as suspected spam")
    FLOOD_DISMISSED = "flood_dismissed", _("Dismissed suspected spam")


# Acts on a contact or its tickets, and acts on a channel: the database makes each name its subject.
CONTACT_AUDIT_ACTIONS = [
    AuditAction.BLOCKED,
    AuditAction.UNBLOCKED_ALL,
    AuditAction.DELETED_ALL,
    AuditAction.TICKET_RELEASED,
    AuditAction.TICKET_DELETED,
    AuditAction.MERGED,
    AuditAction.EDITED,
    AuditAction.BLOCK_EXPIRED,
    AuditAction.RETENTION_DELETED,
    AuditAction.FLOOD_FLAGGED,
    AuditAction.FLOOD_DISMISSED,
]
CHANNEL_AUDIT_ACTIONS = [
    AuditAction.CHANNEL_CREATED,
    AuditAction.CHANNEL_DEACTIVATED,
    AuditAction.CHANNEL_REACTIVATED,
    AuditAction.CHANNEL_TOKEN_ROTATED,
    AuditAction.CHANNEL_CHANGED,
]


class AuditEntry(models.Model):
    """Who did what, and when: blocking and blocked tickets, switches, channels and personal API tokens."""

    Action = AuditAction

    action = models.CharField(max_length=30, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Who acted when no user did (the shell operator); empty for a user's act.
    actor_name = models.CharField(max_length=150, blank=True)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries")
    # Channels are retired by switching them off, so their history keeps pointing at them.
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries")
    # The person an act was about (a personal token's owner).
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the act was about, frozen as it read then (a switch's name, a token's prefix and name).
    subject = models.CharField(max_length=200, blank=True)
    change = models.CharField(max_length=1000, blank=True, help_text=_("From → to, e.g. “off → on”."))
    block = models.ForeignKey(Block, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries")
    # The merged-away contact of a merge (its tombstone); `contact` is the survivor.
    other_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Tickets may be deleted; keep their number, not a foreign key.
    ticket_id = models.BigIntegerField(null=True, blank=True)
    tickets = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = _("audit entries")
        permissions = [("view_audit_trail", "Can view the blocking audit trail")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=CONTACT_AUDIT_ACTIONS) | Q(contact__isnull=False),
                name="audit_contact_action_has_contact",
            ),
            models.CheckConstraint(
                condition=~Q(action__in=CHANNEL_AUDIT_ACTIONS) | Q(channel__isnull=False),
                name="audit_channel_action_has_channel",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} — {self.about}"

    @property
    def about(self) -> str:
        """What the act was about, as the trail names it: a contact, a channel, a person's token or a switch."""
        if self.contact_id is not None:
            return str(self.contact)
        if self.channel_id is not None:
            return str(self.channel)
        return self.subject

    @property
    def who(self) -> str:
        """The actor as the console names people; an automatic actor or a removed account in the active language."""
        if self.actor is not None:
            return person_name(self.actor)
        return gettext(self.actor_name or DELETED_USER)


from .spam_models import BlockRule, FloodFlag, FloodStatus, RuleAction, RuleHitDay, RuleKind  # noqa: E402, F401
