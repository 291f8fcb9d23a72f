"""Staff API for suspected spam (/api/v1/suspected): the flood guard's flags, and Block / Dismiss on them.

The same acts as the Suspected page: contacts.flood_guard's dismiss_flag and block_flagged.
"""

from datetime import datetime
from typing import Literal

from ninja import Path, Query, Router, Schema
from pydantic import AwareDatetime, Field

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
from contacts.api import ContactOut, contact_out
from contacts.block_ends import FOREVER, block_end
from contacts.flood_guard import NO_PERMISSION_SUSPECTED, block_flagged, dismiss_flag, get_flag, suspected_flags
from contacts.models import BlockReason, Contact, FloodFlag, FloodStatus

router = Router(tags=["suspected spam"], auth=PersonalToken())

FlagId = Path(..., ge=1, le=MAX_ID, description="The suspected-spam flag's id.")


class FlagOut(Schema):
    id: int
    contact_id: int
    contact_name: str = Field(description="The contact as the console names it.")
    channel_id: int = Field(description="The channel of the message that tipped the count over the limit.")
    flagged_at: datetime
    messages: int = Field(description="Messages counted within the window when it was flagged.")
    window_minutes: int
    status: FloodStatus = Field(
        description="open: suspected; dismissed; blocked (by a person); auto_blocked (by the flood guard)."
    )
    resolved_by: PersonOut | None
    resolved_at: datetime | None


class FlagPage(Schema):
    items: list[FlagOut]
    count: int = Field(description="How many flags match, over all pages.")


class FlagFilters(Schema):
    status: Literal["open", "history", "dismissed", "blocked", "auto_blocked"] = Field(
        "open", description="open (default): suspected now; history: every handled one; or one handled status."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class FlagBlockIn(Schema):
    """The contact block endpoint's body, less close_open_tickets: a flagged contact's open tickets are resolved."""

    reason: BlockReason
    note: bounded_text(max_length=2000) = ""
    duration: Literal["forever", "1h", "1d", "7d", "30d"] = Field(
        FOREVER, description="How long the block lasts; at its end it lifts as Unblock All."
    )
    until: AwareDatetime | None = Field(
        None, description="An exact end instead of a duration (with duration forever); must be in the future."
    )


class FlagBlockResult(Schema):
    flag: FlagOut
    contact: ContactOut
    tickets_resolved: int


def flag_out(flag: FloodFlag) -> dict:
    return {
        "id": flag.pk,
        "contact_id": flag.contact_id,
        "contact_name": str(flag.contact),
        "channel_id": flag.channel_id,
        "flagged_at": flag.flagged_at,
        "messages": flag.messages,
        "window_minutes": flag.window_minutes,
        "status": flag.status,
        "resolved_by": person(flag.resolved_by),
        "resolved_at": flag.resolved_at,
    }


def _require_view(user) -> None:
    if not user.has_perm("contacts.view_floodflag"):
        raise errors.Forbidden(NO_PERMISSION_SUSPECTED)


def _get_flag(user, flag_id: int) -> FloodFlag:
    _require_view(user)
    return get_flag(flag_id)


@router.get("", response=responses({200: FlagPage}, 401, 403, 422), summary="List suspected spam")
def list_flags(request, filters: Query[FlagFilters]):
    _require_view(request.auth)
    rows = suspected_flags(filters.status)
    page = rows[filters.offset : filters.offset + filters.limit]
    return {"items": [flag_out(flag) for flag in page], "count": rows.count()}


@router.post(
    "/{flag_id}/dismiss",
    response=responses({200: FlagOut}, 401, 403, 404, 409, 422),
    summary="Dismiss suspected spam",
    description="Needs contacts.change_floodflag. The flood guard counts the contact's messages afresh from now. "
    "409 if the flag was already handled.",
)
def dismiss(request, flag_id: int = FlagId):
    flag = _get_flag(request.auth, flag_id)
    dismiss_flag(actor=request.auth, flag=flag)
    return flag_out(get_flag(flag_id))


@router.post(
    "/{flag_id}/block",
    response=responses({200: FlagBlockResult}, 400, 401, 403, 404, 409, 422),
    summary="Block a suspected spammer",
    description="Needs contacts.change_floodflag, contacts.block_contact and the block feature on; the contact's "
    "open tickets are resolved. 409 if the flag was already handled or the contact is blocked already "
    "(the flag is closed then).",
)
def block(request, payload: FlagBlockIn, flag_id: int = FlagId):
    flag = _get_flag(request.auth, flag_id)
    if payload.until is not None and payload.duration != FOREVER:
        raise errors.Invalid(errors.BLOCK_END_TWICE)
    made = block_flagged(
        actor=request.auth,
        flag=flag,
        reason=payload.reason,
        note=payload.note,
        until=payload.until or block_end(payload.duration),
    )
    contact = Contact.objects.select_related("blocked_by").get(pk=flag.contact_id)
    return {
        "flag": flag_out(get_flag(flag_id)),
        "contact": contact_out(contact),
        "tickets_resolved": made.tickets_resolved,
    }
