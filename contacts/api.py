"""Staff API for contacts: list, detail, edit, block, unblock and merge (personal API tokens).

A contact merged into another answers 404 with `merged_into`, the survivor's id.
"""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Path, Query, Router, Schema
from pydantic import AwareDatetime, Field

from blockdesk import errors
from blockdesk.api_auth import PersonalToken
from blockdesk.api_schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    PersonOut,
    bounded_text,
    person,
    responses,
)

from .access import get_contact_for, visible_blocked_counts
from .block_ends import FOREVER, block_end
from .blocking import BULK_BLOCK_MAX, block_contact, block_contacts, unblock_contact
from .editing import edit_contact
from .merging import merge_contacts
from .models import BlockReason, Contact, UnblockChoice

router = Router(tags=["contacts"], auth=PersonalToken())

ContactId = Path(..., ge=1, le=MAX_ID, description="The contact's id.")


class BlockOut(Schema):
    reason: BlockReason
    note: str
    blocked_by: PersonOut | None
    blocked_at: datetime
    ends_at: datetime | None = Field(description="When the block lifts by itself (as Unblock All); null: never.")


class MergedAwayOut(ErrorOut):
    merged_into: int | None = Field(
        None, description="When the contact was merged into another: the surviving contact's id."
    )


def contact_responses(ok: dict, *codes: int) -> dict:
    """responses(), with the 404 of a merged-away contact documented."""
    declared = responses(ok, *codes)
    if 404 in codes:
        declared[404] = MergedAwayOut
    return declared


class ContactOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    note: str
    is_blocked: bool
    block: BlockOut | None = Field(description="The current block, or null when the contact is not blocked.")
    blocked_by_rule: int | None = Field(
        description="The block rule that blocked the contact (then block.blocked_by is null), or null."
    )
    blocked_by_name: str = Field(
        description='Who blocked the contact when no person or rule did: "flood guard"; "" otherwise.'
    )
    created_at: datetime
    updated_at: datetime


class ChannelOut(Schema):
    id: int
    name: str
    kind: str


class IdentityOut(Schema):
    channel: ChannelOut
    external_id: str = Field(description="The address the channel knows the contact by (phone, chat id, e-mail).")


class BlockedTicketsOut(Schema):
    tickets: int
    messages: int


class ContactDetailOut(ContactOut):
    identities: list[IdentityOut]
    blocked_tickets: BlockedTicketsOut | None = Field(
        description="What Unblock All would release or Delete All delete; "
        "null for people who may not see blocked tickets (tickets.view_blocked_ticket)."
    )


class ContactPage(Schema):
    items: list[ContactOut]
    count: int = Field(description="How many contacts match, over all pages.")


class ContactFilters(Schema):
    blocked: bool | None = Field(None, description="true: only blocked contacts; false: only the others.")
    q: bounded_text(max_length=200) = Field("", description="Search name, phone and e-mail.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class BlockIn(Schema):
    reason: BlockReason
    note: bounded_text(max_length=2000) = ""
    close_open_tickets: bool = Field(True, description="Resolve the contact's open tickets (the console's default).")
    duration: Literal["forever", "1h", "1d", "7d", "30d"] = Field(
        "forever", description="How long the block lasts; at its end it lifts as Unblock All."
    )
    until: AwareDatetime | None = Field(
        None, description="An exact end instead of a duration (with duration forever); must be in the future."
    )


class BulkBlockIn(BlockIn):
    contact_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=BULK_BLOCK_MAX, description=f"1 to {BULK_BLOCK_MAX} contact ids, blocked together."
    )


class BulkBlockResult(Schema):
    blocked: list[int] = Field(description="The contacts this request blocked.")
    already_blocked: list[int] = Field(description="Contacts that were blocked already; left as they were.")
    tickets_resolved: int


class BlockResult(Schema):
    contact: ContactOut
    tickets_resolved: int


class UnblockIn(Schema):
    tickets: UnblockChoice = Field(
        description="unblock_all: release its blocked tickets to the queues; "
        "delete_all: delete them and their messages."
    )


class ContactPatch(Schema):
    name: bounded_text(max_length=200) | None = None
    phone: bounded_text(max_length=50) | None = Field(
        None, description="Parsed into E.164; without a country code it is read as an Indonesian number."
    )
    email: bounded_text(max_length=254) | None = None
    note: bounded_text(max_length=2000) | None = None


class EditResult(Schema):
    contact: ContactOut
    changed: list[str] = Field(description="The fields whose value changed (each one audited old → new).")


class MergeIn(Schema):
    other: int = Field(..., ge=1, le=MAX_ID, description="The contact merged into this one (left as a tombstone).")


class MergeResultOut(Schema):
    contact: ContactOut
    merged: int = Field(description="The merged-away contact's id; it now answers 404 with merged_into.")
    identities: int = Field(description="Channel addresses moved to this contact.")
    tickets: int = Field(description="Tickets of the merged contact now this contact's.")
    tickets_joined: int = Field(description="Open tickets on one channel made one (the older kept).")


class UnblockResult(Schema):
    released: int = Field(description="Blocked tickets moved to the BOT or Unassigned queue.")
    deleted: int = Field(description="Blocked tickets deleted.")
    messages_deleted: int
    contact: ContactOut


def contact_out(contact: Contact) -> dict:
    block = None
    if contact.is_blocked:
        block = {
            "reason": contact.blocked_reason or BlockReason.OTHER,
            "note": contact.blocked_note,
            "blocked_by": person(contact.blocked_by),
            "blocked_at": contact.blocked_at,
            "ends_at": contact.blocked_until,
        }
    return {
        "id": contact.pk,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "note": contact.note,
        "is_blocked": contact.is_blocked,
        "block": block,
        "blocked_by_rule": contact.blocked_by_rule_id if contact.is_blocked else None,
        "blocked_by_name": contact.blocked_by_name if contact.is_blocked else "",
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


@router.get("", response=responses({200: ContactPage}, 401, 403, 422), summary="List contacts")
def list_contacts(request, filters: Query[ContactFilters]):
    if not request.auth.has_perm("contacts.view_contact"):
        raise errors.Forbidden(errors.NO_PERMISSION_VIEW_CONTACTS)
    contacts = Contact.objects.search(filters.q)
    if filters.blocked is not None:
        contacts = contacts.filter(is_blocked=filters.blocked)
    page = contacts.select_related("blocked_by").order_by("name", "id")[filters.offset : filters.offset + filters.limit]
    return {"items": [contact_out(c) for c in page], "count": contacts.count()}


@router.post(
    "/bulk-block",
    response=responses({200: BulkBlockResult}, 400, 401, 403, 404, 422),
    summary="Block several contacts at once",
    description="One reason, note and end for all, in one transaction. Needs contacts.block_contact and the "
    "feature on. 404 if an id is not a contact (nothing is blocked then); contacts blocked already are reported.",
)
def bulk_block(request, payload: BulkBlockIn):
    if not request.auth.has_perm("contacts.view_contact"):
        raise errors.Forbidden(errors.NO_PERMISSION_VIEW_CONTACTS)
    if payload.until is not None and payload.duration != FOREVER:
        raise errors.Invalid(errors.BLOCK_END_TWICE)
    result = block_contacts(
        actor=request.auth,
        contact_ids=payload.contact_ids,
        reason=payload.reason,
        note=payload.note,
        resolve_open_tickets=payload.close_open_tickets,
        until=payload.until or block_end(payload.duration),
    )
    return {
        "blocked": [c.pk for c in result.blocked],
        "already_blocked": [c.pk for c in result.already_blocked],
        "tickets_resolved": result.tickets_resolved,
    }


@router.get(
    "/{contact_id}", response=contact_responses({200: ContactDetailOut}, 401, 404, 422), summary="Show a contact"
)
def show_contact(request, contact_id: int = ContactId):
    contact = get_contact_for(request.auth, contact_id)
    identities = contact.identities.select_related("channel").order_by("id")
    counts = visible_blocked_counts(request.auth, contact)
    return {
        **contact_out(contact),
        "identities": [
            {
                "channel": {"id": i.channel.pk, "name": i.channel.name, "kind": i.channel.kind},
                "external_id": i.external_id,
            }
            for i in identities
        ],
        "blocked_tickets": {"tickets": counts.tickets, "messages": counts.messages} if counts else None,
    }


@router.post(
    "/{contact_id}/block",
    response=contact_responses({200: BlockResult}, 400, 401, 403, 404, 409, 422),
    summary="Block a contact",
    description="Needs the block feature switched on and contacts.block_contact. 409 if already blocked.",
)
def block(request, payload: BlockIn, contact_id: int = ContactId):
    contact = get_contact_for(request.auth, contact_id)
    if payload.until is not None and payload.duration != FOREVER:
        raise errors.Invalid(errors.BLOCK_END_TWICE)
    made = block_contact(
        actor=request.auth,
        contact=contact,
        reason=payload.reason,
        note=payload.note,
        resolve_open_tickets=payload.close_open_tickets,
        until=payload.until or block_end(payload.duration),
    )
    return {
        "contact": contact_out(get_contact_for(request.auth, contact_id)),
        "tickets_resolved": made.tickets_resolved,
    }


@router.post(
    "/{contact_id}/unblock",
    response=contact_responses({200: UnblockResult}, 400, 401, 403, 404, 409, 422),
    summary="Unblock a contact",
    description="Needs contacts.unblock_contact (works with the feature switched off). 409 if not blocked.",
)
def unblock(request, payload: UnblockIn, contact_id: int = ContactId):
    contact = get_contact_for(request.auth, contact_id)
    lifted = unblock_contact(actor=request.auth, contact=contact, choice=payload.tickets)
    return {
        "released": lifted.tickets_released,
        "deleted": lifted.tickets_deleted,
        "messages_deleted": lifted.messages_deleted,
        "contact": contact_out(get_contact_for(request.auth, contact_id)),
    }


@router.patch(
    "/{contact_id}",
    response=contact_responses({200: EditResult}, 400, 401, 403, 404, 422),
    summary="Edit a contact",
    description="Needs contacts.change_contact. Send only the fields to change; an empty string clears one.",
)
def edit(request, payload: ContactPatch, contact_id: int = ContactId):
    contact = get_contact_for(request.auth, contact_id)
    values = payload.dict(exclude_none=True)
    changes = edit_contact(actor=request.auth, contact=contact, **values)
    return {
        "contact": contact_out(get_contact_for(request.auth, contact_id)),
        "changed": [change.field for change in changes],
    }


@router.post(
    "/{contact_id}/merge",
    response=contact_responses({200: MergeResultOut}, 400, 401, 403, 404, 409, 422),
    summary="Merge another contact into this one",
    description="Needs contacts.merge_contact. Identities, tickets, block history, audit rows and the note of "
    "`other` move here; if either is blocked this contact ends blocked. 422 if `other` is this contact.",
)
def merge(request, payload: MergeIn, contact_id: int = ContactId):
    survivor = get_contact_for(request.auth, contact_id)
    merged = get_contact_for(request.auth, payload.other)
    result = merge_contacts(actor=request.auth, survivor=survivor, merged=merged)
    return {
        "contact": contact_out(get_contact_for(request.auth, contact_id)),
        "merged": result.merged_id,
        "identities": result.identities,
        "tickets": result.tickets,
        "tickets_joined": result.tickets_joined,
    }
