"""Rows for the spam overview tests, made directly: blocked arrivals, deleted ones, rule hits and flood flags."""

from datetime import datetime

from django.utils import timezone

from contacts.spam_models import BlockRule, FloodFlag, RuleHitDay
from tests import factories
from tickets.models import DeletedMessage, Message, TicketStatus


def blocked_ticket(contact, channel):
    return factories.TicketFactory(contact=contact, channel=channel, status=TicketStatus.BLOCKED)


def blocked_message(ticket, at: datetime) -> Message:
    """A customer message that landed in the blocked ticket at `at` (created_at is auto_now_add: set after)."""
    message = factories.MessageFactory(ticket=ticket, arrived_blocked=True, sent_at=at)
    Message.objects.filter(pk=message.pk).update(created_at=at)
    return message


def deleted_message(contact, channel, at: datetime, *, external_id: str) -> DeletedMessage:
    return DeletedMessage.objects.create(
        channel=channel,
        external_id=external_id,
        contact=contact,
        deleted_at=timezone.now(),
        arrived_at=at,
        arrived_blocked=True,
    )


def rule(value="spam.example", action="quarantine") -> BlockRule:
    return BlockRule.objects.create(kind="domain", value=value, action=action)


def hits(rule, channel, day, n, *, action=None) -> RuleHitDay:
    return RuleHitDay.objects.create(rule=rule, action=action or rule.action, channel=channel, day=day, hits=n)


def flag(contact, channel, at: datetime, status="open") -> FloodFlag:
    return FloodFlag.objects.create(
        contact=contact, channel=channel, flagged_at=at, messages=31, window_minutes=5, status=status
    )
