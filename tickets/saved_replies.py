"""Saved replies: personal ones (their owner manages them) and the team's (supervisors manage them).

A reply is searched by title or text and inserted into the reply box with its
placeholders filled: {contact_name} and {agent_name}.
"""

from django.db.models import Q

from blockdesk import errors
from blockdesk.display import person_name

from .models import SavedReply

PLACEHOLDERS = ("{contact_name}", "{agent_name}")
SEARCH_LIMIT = 10
TEAM_PERMISSION = "tickets.manage_team_replies"


def usable_by(user):
    """The user's own replies and the team's."""
    return SavedReply.objects.filter(Q(owner=user) | Q(owner__isnull=True))


def search(user, text: str) -> list[SavedReply]:
    """Up to SEARCH_LIMIT replies whose title or text contains text (all of them, by title, for an empty search)."""
    replies = usable_by(user)
    text = text.strip()
    if text:
        replies = replies.filter(Q(title__icontains=text) | Q(body__icontains=text))
    return list(replies.order_by("title", "id")[:SEARCH_LIMIT])


def filled(reply: SavedReply, *, contact, agent) -> str:
    """The reply's text with the contact's and the agent's names in place of the placeholders."""
    return reply.body.replace("{contact_name}", contact.name or "there").replace("{agent_name}", person_name(agent))


def _manage_refusal(actor, reply: SavedReply) -> errors.DomainError | None:
    if reply.is_team and not actor.has_perm(TEAM_PERMISSION):
        return errors.Forbidden(errors.NO_PERMISSION_TEAM_REPLIES)
    if not reply.is_team and reply.owner_id != actor.pk:
        return errors.NotFound(errors.SAVED_REPLY_NOT_FOUND)
    return None


def add_saved_reply(*, actor, title: str, body: str, team: bool) -> SavedReply:
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise errors.Invalid(errors.SAVED_REPLY_EMPTY)
    reply = SavedReply(owner=None if team else actor, title=title, body=body)
    refusal = _manage_refusal(actor, reply)
    if refusal:
        raise refusal
    reply.save()
    return reply


def delete_saved_reply(*, actor, reply: SavedReply) -> None:
    refusal = _manage_refusal(actor, reply)
    if refusal:
        raise refusal
    reply.delete()


def get_for(user, pk) -> SavedReply:
    reply = usable_by(user).filter(pk=pk).first()
    if reply is None:
        raise errors.NotFound(errors.SAVED_REPLY_NOT_FOUND)
    return reply
