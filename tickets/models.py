from django.conf import settings
from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contacts.models import Channel, Contact

PREVIEW_LENGTH = 140


class TicketStatus(models.TextChoices):
    BOT = "bot", pgettext_lazy("ticket status", "BOT")
    UNASSIGNED = "unassigned", _("Unassigned")
    ASSIGNED = "assigned", _("Assigned")
    RESOLVED = "resolved", _("Resolved")
    BLOCKED = "blocked", _("Blocked")


class Speaker(models.TextChoices):
    """Who wrote the last customer-visible message of a ticket: the customer (in) or us (out)."""

    CUSTOMER = "in", _("Customer")
    US = "out", _("Us")


OPEN_STATUSES = (TicketStatus.BOT, TicketStatus.UNASSIGNED, TicketStatus.ASSIGNED, TicketStatus.BLOCKED)
# A count stops at this many tickets and then reads "10,000+": Resolved only grows, and a count
# that stops early reads at most this many index entries however big the queue.
COUNT_CAP = 10_000


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def in_queue(self, status: str):
        return self.filter(status=status)

    def for_list(self):
        """What a queue list shows: contact, channel and assignee in the same query."""
        return self.select_related("contact", "channel", "assignee")

    def newest_first(self):
        return self.order_by("-last_message_at", "-id")

    def oldest_waiting_first(self):
        """The customer who has waited longest first; tickets where we spoke last (not waiting) after them."""
        return self.order_by(F("waiting_since").asc(nulls_last=True), "id")

    def waiting_since_before(self, moment):
        """Tickets whose customer has waited for an answer since before moment."""
        return self.filter(waiting_since__lt=moment)

    def assigned_to(self, user):
        """The tickets assigned to user (in the Assigned queue: their "My tickets")."""
        return self.filter(assignee=user)

    def _first(self, cap: int):
        # Newest first, as the queue indexes are ordered, and limited: PostgreSQL counts it
        # with an index-only scan of that queue that stops after cap + 1 entries.
        return self.order_by("-last_message_at").values("status")[: cap + 1]

    def capped_count(self, cap: int = COUNT_CAP) -> int:
        """How many tickets, counted up to cap + 1 (more than cap reads as "cap+")."""
        return self._first(cap).count()

    def capped_counts(self, queues: dict[str, "TicketQuerySet"], cap: int = COUNT_CAP) -> dict[str, int]:
        """Count each of queues (narrowed to these tickets) up to cap + 1, all in one statement.

        SELECT (SELECT COUNT(*) FROM (… LIMIT cap + 1)), …: one GROUP BY over all
        tickets read the whole table on every dashboard poll.
        """
        parts, params = [], []
        for n, queue in enumerate(queues.values()):
            sql, part_params = (self & queue)._first(cap).query.sql_with_params()
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) {connection.ops.quote_name(f'q{n}')})")
            params += part_params
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            return dict(zip(queues, cursor.fetchone(), strict=True))


class Ticket(models.Model):
    """A conversation with one contact on one channel."""

    # No single-column index on contact or assignee: ticket_contact_recent and ticket_assignee_queue lead with
    # them. Every inbound message rewrites its ticket's row in every index (docs/benchmarks.md, issue 11).
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tickets", db_index=False)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="tickets")
    status = models.CharField(max_length=12, choices=TicketStatus.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_message_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Kept by the domain functions that add messages, so lists need no COUNT.
    message_count = models.PositiveIntegerField(default=0)
    last_message_preview = models.CharField(max_length=PREVIEW_LENGTH, blank=True)
    # Since when the customer has waited for an answer: their first message after our last reply; None
    # while we spoke last. Kept by the statements that store messages (routing's, queue.mark_answered).
    waiting_since = models.DateTimeField(null=True, blank=True)
    last_speaker = models.CharField(max_length=3, choices=Speaker.choices, blank=True)
    # Our first reply, for the first-response times of the SLA view.
    first_reply_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        permissions = [
            ("work_ticket", "Can take, reply to and resolve tickets"),
            ("view_all_tickets", "Can see every queue (supervisor dashboard)"),
            ("assign_ticket", "Can assign tickets and take them over from the BOT"),
            ("view_blocked_ticket", "Can see blocked tickets"),
            ("unblock_ticket", "Can unblock blocked tickets"),
            ("delete_blocked_ticket", "Can delete blocked tickets"),
        ]
        constraints = [
            # Two racing deliveries can never open two conversations.
            models.UniqueConstraint(
                fields=["contact", "channel"],
                condition=Q(status__in=["bot", "unassigned", "assigned", "blocked"]),
                name="one_open_ticket_per_contact_channel",
            ),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in TicketStatus]), name="ticket_status_known"),
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(assignee__isnull=False), name="assigned_ticket_has_assignee"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-last_message_at", "-id"], name="ticket_queue_recent"),
            # By assignee: only assigned rows (and resolved ones that were), so the updates of a BOT, Unassigned or
            # Blocked ticket write two index entries fewer (docs/benchmarks.md, issue 11).
            models.Index(
                fields=["assignee", "status", "-last_message_at"],
                name="ticket_assignee_queue",
                condition=Q(assignee__isnull=False),
            ),
            models.Index(fields=["contact", "-last_message_at"], name="ticket_contact_recent"),
            # Oldest waiting first per queue, and the filters by channel and by assignee.
            models.Index(fields=["status", "waiting_since", "id"], name="ticket_queue_waiting"),
            models.Index(fields=["status", "channel", "waiting_since", "id"], name="ticket_queue_channel_waiting"),
            models.Index(fields=["status", "channel", "-last_message_at", "-id"], name="ticket_queue_channel_recent"),
            models.Index(
                fields=["assignee", "status", "waiting_since", "id"],
                name="ticket_assignee_waiting",
                condition=Q(assignee__isnull=False),
            ),
            # First-response times of the last days (SLA view).
            models.Index(fields=["created_at"], name="ticket_created"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.contact} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageQuerySet(models.QuerySet):
    def timeline(self, limit: int) -> list["Message"]:
        """The newest `limit` messages with their authors, oldest first (as a timeline reads)."""
        return list(self.select_related("author").order_by("-sent_at", "-id")[:limit])[::-1]

    def failed_deliveries(self):
        """Replies whose delivery failed, newest first (the supervisors' Failed deliveries list)."""
        return self.filter(delivery_state="failed").order_by("-sent_at", "-id")


class DeliveryState(models.TextChoices):
    """Where an outbound message is on its way to the customer; receipts only move it forward."""

    QUEUED = "queued", pgettext_lazy("delivery state", "Queued")
    SENT = "sent", pgettext_lazy("delivery state", "Sent")
    DELIVERED = "delivered", pgettext_lazy("delivery state", "Delivered")
    READ = "read", pgettext_lazy("delivery state", "Read")
    FAILED = "failed", pgettext_lazy("delivery state", "Failed")


class Message(models.Model):
    """One line of a ticket's timeline: customer in, staff out, or a system note."""

    class Direction(models.TextChoices):
        IN = "in", _("Customer")
        OUT = "out", _("Reply")
        NOTE = "note", _("Note")

    # message_ticket_timeline leads with the ticket: no index of its own (one index write less per message).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False)
    # The ticket's channel, repeated so a channel's message ids can be unique.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    body = models.TextField()
    # Set on replies and notes only: indexed where set (Meta.indexes), no entry for a customer's message.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    # NULL, not "", for replies and notes: only real channel ids are unique.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    sent_at = models.DateTimeField()
    # When it was stored; routing gives a customer message the moment it judged where it goes (tickets.routing).
    created_at = models.DateTimeField(default=timezone.now)
    # Outbound messages only (blank for customer messages and notes): see tickets.outbox.
    delivery_state = models.CharField(max_length=10, choices=DeliveryState.choices, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When a queued message is next due to be tried (a worker that takes it pushes this out by its claim).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker holds the queued message to send it (its claim, see tickets.delivery); the
    # value is the claim's token: only the worker that set it records the attempt.
    claimed_until = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # What a channel knows of a message beyond its text: an attachment's name and size,
    # a WhatsApp image's id, an e-mail's Message-ID and References (see channels/).
    metadata = models.JSONField(default=dict, blank=True)
    # The customer's message landed in a blocked ticket (the spam overview counts them per day and channel).
    arrived_blocked = models.BooleanField(default=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="one_message_per_channel_external_id",
            ),
            models.CheckConstraint(
                condition=Q(direction="out") | Q(delivery_state=""), name="only_replies_have_delivery_state"
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "sent_at", "id"], name="message_ticket_timeline"),
            models.Index(fields=["author"], name="message_author", condition=Q(author__isnull=False)),
            # The sweep's "queued and due" and the Failed deliveries list read only these rows.
            models.Index(fields=["next_attempt_at"], condition=Q(delivery_state="queued"), name="message_delivery_due"),
            # The spam overview's blocked messages per day: only those are in it.
            models.Index(fields=["created_at"], condition=Q(arrived_blocked=True), name="message_arrived_blocked"),
            models.Index(
                fields=["-sent_at", "-id"], condition=Q(delivery_state="failed"), name="message_delivery_failed"
            ),
            # A provider's receipt names our reply by the id the provider gave it (WhatsApp's wamid).
            models.Index(
                fields=["channel", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_provider_id",
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()}: {self.body[:40]}"


class DeliveryAttempt(models.Model):
    """One try at sending an outbound message, and how it ended."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Will retry")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=6, choices=Outcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "started_at", "id"]

    def __str__(self):
        return f"Attempt {self.number} of message {self.message_id}: {self.outcome}"


def preview_of(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


class DeletedMessage(models.Model):
    """A channel message id whose message was deleted with a blocked ticket.

    Kept so that a channel re-delivering the id (a webhook retry) is told it
    was deleted, instead of the spam coming back as a new ticket.
    """

    # one_deleted_record_per_channel_message leads with the channel.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+", db_index=False)
    external_id = models.CharField(max_length=255)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    deleted_at = models.DateTimeField()
    # Copied from the message (the spam overview counts blocked messages after Delete All too).
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_blocked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="one_deleted_record_per_channel_message")
        ]

    def __str__(self):
        return f"{self.external_id} (deleted)"


class SavedReply(models.Model):
    """A reply text kept for reuse: personal (owner set) or for the whole team (owner None, supervisors manage)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_replies"
    )
    title = models.CharField(max_length=80)
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = _("saved replies")
        permissions = [("manage_team_replies", "Can add and delete the team's saved replies")]
        indexes = [models.Index(fields=["owner", "title"], name="saved_reply_owner_title")]

    def __str__(self):
        return self.title

    @property
    def is_team(self) -> bool:
        return self.owner_id is None


class Notice(models.Model):
    """Something a person is told in the console: a ticket assigned to them, a customer writing in it, …"""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to you")
        CUSTOMER_WROTE = "customer_wrote", _("The customer wrote")
        BLOCKED_TICKET = "blocked_ticket", _("New ticket in the Blocked list")
        SUSPECTED_SPAM = "suspected_spam", _("Suspected spam")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Tickets may be deleted (a blocked one): the notice stays and says so. No constraint and nothing done on
    # delete, so deleting blocked tickets costs no statement more (ticket ids are never reused).
    ticket = models.ForeignKey(Ticket, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    # The flood guard's flag a suspected-spam notice tells of (it names the contact and what was counted).
    flood_flag = models.ForeignKey(
        "contacts.FloodFlag", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created"], name="notice_recipient_recent"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notice_recipient_unread"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} (#{self.ticket_id})"
