"""Personal API tokens: made by their owner, revoked by the owner or an administrator — each audited.

The console's "My API tokens" page and Django admin call these with the
signed-in person; the create_api_token command calls them with `actor` None,
the shell operator (DESIGN.md keeps that door for operators).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from blockdesk import errors
from contacts.audit import record
from contacts.models import AuditEntry

from .models import ApiToken

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# last_used_at is written at most this often per token, so the API's hot path rarely writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _subject(token: ApiToken) -> str:
    return f"API token {token.token_prefix}…" + (f" “{token.name}”" if token.name else "")


def issue_api_token(*, actor, owner, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for `owner` and return it with its raw value, shown once.

    A person makes tokens only for themselves; only the shell operator (actor None) makes one for someone else.
    """
    if actor is not None and actor.pk != owner.pk:
        raise errors.Forbidden(errors.API_TOKEN_ONLY_FOR_YOURSELF)
    if not owner.is_active:
        raise errors.Invalid(errors.API_TOKEN_OWNER_INACTIVE)
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise errors.Invalid(errors.API_TOKEN_NAME_TOO_LONG)
    with transaction.atomic():
        token, raw = ApiToken.issue(user=owner, name=name)
        record(AuditEntry.Action.API_TOKEN_ISSUED, actor=actor, target_user=owner, subject=_subject(token))
    return token, raw


def may_revoke(actor, token: ApiToken) -> bool:
    """The owner may revoke their token; an administrator (accounts.change_apitoken) anyone's."""
    return actor.pk == token.user_id or actor.has_perm("accounts.change_apitoken")


def revoke_api_token(*, actor, token: ApiToken) -> ApiToken:
    """Revoke the token at once: the next request with it is refused."""
    if actor is not None and not may_revoke(actor, token):
        raise errors.Forbidden(errors.NO_PERMISSION_REVOKE_API_TOKEN)
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise errors.Conflict(errors.API_TOKEN_ALREADY_REVOKED)
        locked.revoke()
        record(
            AuditEntry.Action.API_TOKEN_REVOKED,
            actor=actor,
            at=locked.revoked_at,
            target_user=locked.user,
            subject=_subject(locked),
        )
    token.revoked_at = locked.revoked_at
    return token


def note_token_used(token: ApiToken, now: datetime | None = None) -> None:
    """Remember when the token was last used, to the minute.

    The in-memory check skips the statement while the loaded value is fresh;
    the conditional UPDATE keeps racing requests from writing more than once.
    """
    now = now or timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at >= stale:
        return
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now
