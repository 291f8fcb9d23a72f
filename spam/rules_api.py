"""Staff API for block rules: list, add, show, change and delete them (personal API tokens, supervisors).

Each change goes through contacts.block_rules (audit row, rules_version), as
from the console and Django admin. Errors map centrally (blockdesk.api).
"""

from datetime import datetime

from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from blockdesk import errors
from blockdesk.api_auth import PersonalToken
from blockdesk.api_schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    PersonOut,
    bounded_text,
    person,
    responses,
)
from contacts.block_rules import (
    NOTE_MAX_LENGTH,
    RULE_CHANNEL_UNKNOWN,
    create_rule,
    delete_rule,
    get_rule_for,
    rule_refusal,
    rules_matching,
    update_rule,
)
from contacts.models import Channel
from contacts.spam_models import BlockRule, RuleAction, RuleKind

router = Router(tags=["Block rules"], auth=PersonalToken())

RuleId = Path(..., ge=1, le=MAX_ID, description="The rule's number.")
# Longer than stored: spaces and dashes typed inside a phone prefix go when it is normalised.
RuleValue = bounded_text(min_length=1, max_length=300)
ChannelId = Field(
    None, ge=1, le=MAX_ID, description="Only for an address rule: the channel it holds on; null: every channel."
)


class RuleChannelOut(Schema):
    id: int
    name: str
    kind: str


class RuleOut(Schema):
    id: int
    kind: RuleKind
    value: str = Field(description="Normalised: e-mail and domains in lower case, a phone prefix as + and digits.")
    channel: RuleChannelOut | None = Field(description="An address rule's channel; null: every channel.")
    action: RuleAction
    note: str
    hits: int = Field(description="Messages this rule matched.")
    last_hit_at: datetime | None
    created_by: PersonOut | None
    created_at: datetime
    updated_at: datetime


class RulePage(Schema):
    items: list[RuleOut]
    count: int = Field(description="How many rules match, over all pages.")


class RuleFilters(Schema):
    action: RuleAction | None = None
    kind: RuleKind | None = None
    q: bounded_text(max_length=200) = Field("", description="Search the value and the note.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class RuleIn(Schema):
    kind: RuleKind = Field(description="email, domain (subdomains included), phone_prefix (E.164) or address.")
    value: RuleValue
    action: RuleAction = Field(description="quarantine or reject (block rules), or allow (beats block rules).")
    channel: int | None = ChannelId
    note: bounded_text(max_length=NOTE_MAX_LENGTH) = ""


class RulePatch(Schema):
    # A field the rule cannot change (its kind, its hits) is refused, not silently ignored.
    model_config = ConfigDict(extra="forbid")

    value: RuleValue | None = None
    action: RuleAction | None = None
    note: bounded_text(max_length=NOTE_MAX_LENGTH) | None = None
    channel: int | None = ChannelId


class DeletedOut(Schema):
    deleted: int = Field(description="The number of the rule deleted.")


def rule_out(rule: BlockRule) -> dict:
    channel = rule.channel
    return {
        "id": rule.pk,
        "kind": rule.kind,
        "value": rule.value,
        "channel": {"id": channel.pk, "name": channel.name, "kind": channel.kind} if channel else None,
        "action": rule.action,
        "note": rule.note,
        "hits": rule.hits,
        "last_hit_at": rule.last_hit_at,
        "created_by": person(rule.created_by),
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def _channel(pk: int | None) -> Channel | None:
    """The channel a body names; an unknown one is an invalid value (422), not a missing resource."""
    if pk is None:
        return None
    channel = Channel.objects.filter(pk=pk).first()
    if channel is None:
        raise errors.Invalid(RULE_CHANNEL_UNKNOWN)
    return channel


@router.get("", response=responses({200: RulePage}, 401, 403, 422), summary="List block rules")
def list_rules(request, filters: Query[RuleFilters]):
    refusal = rule_refusal(request.auth, "view")
    if refusal:
        raise errors.Forbidden(refusal)
    rules = rules_matching(action=filters.action or "", kind=filters.kind or "", q=filters.q)
    page = rules[filters.offset : filters.offset + filters.limit]
    return {"items": [rule_out(rule) for rule in page], "count": rules.count()}


@router.post(
    "",
    response=responses({201: RuleOut}, 400, 401, 403, 409, 422),
    summary="Add a block rule",
    description="Needs contacts.add_blockrule. 409 if a rule matches the same value (on the same channel).",
)
def add_rule(request, payload: RuleIn):
    rule = create_rule(
        actor=request.auth,
        kind=payload.kind,
        value=payload.value,
        action=payload.action,
        channel=_channel(payload.channel),
        note=payload.note,
    )
    return Status(201, rule_out(rule))


@router.get("/{rule_id}", response=responses({200: RuleOut}, 401, 403, 404, 422), summary="Show a block rule")
def show_rule(request, rule_id: int = RuleId):
    return rule_out(get_rule_for(request.auth, rule_id))


@router.patch(
    "/{rule_id}",
    response=responses({200: RuleOut}, 400, 401, 403, 404, 409, 422),
    summary="Change a block rule",
    description="Needs contacts.change_blockrule. Send only what changes; the kind never does "
    "(422: add a new rule instead). channel null: every channel.",
)
def change_rule(request, payload: RulePatch, rule_id: int = RuleId):
    rule = get_rule_for(request.auth, rule_id)
    sent = payload.model_fields_set
    update_rule(
        actor=request.auth,
        rule=rule,
        value=payload.value,
        action=payload.action,
        note=payload.note,
        channel=_channel(payload.channel) if "channel" in sent else ...,
    )
    return rule_out(get_rule_for(request.auth, rule_id))


@router.delete(
    "/{rule_id}",
    response=responses({200: DeletedOut}, 401, 403, 404, 422),
    summary="Delete a block rule",
    description="Needs contacts.delete_blockrule. Contacts it blocked stay blocked.",
)
def remove_rule(request, rule_id: int = RuleId):
    delete_rule(actor=request.auth, rule=get_rule_for(request.auth, rule_id))
    return {"deleted": rule_id}
