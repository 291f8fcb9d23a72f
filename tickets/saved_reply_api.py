"""JSON API for saved replies: search them (filled for a ticket), add and delete them."""

from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from blockdesk import errors
from blockdesk.api_auth import PersonalToken
from blockdesk.api_schemas import MAX_ID, bounded_text, responses

from . import saved_replies
from .access import get_ticket_for

router = Router(tags=["saved replies"], auth=PersonalToken())

ReplyId = Path(..., ge=1, le=MAX_ID, description="The saved reply's id.")


class SavedReplyOut(Schema):
    id: int
    title: str
    text: str = Field(description="The text; with ?ticket=, its placeholders filled for that ticket and you.")
    team: bool


class SavedReplyIn(Schema):
    title: bounded_text(min_length=1, max_length=80)
    text: bounded_text(min_length=1, max_length=4000)
    team: bool = Field(False, description="For the whole team (needs tickets.manage_team_replies).")


class DeletedOut(Schema):
    deleted: int = Field(description="The id of the saved reply deleted.")


class SavedReplySearch(Schema):
    q: bounded_text(max_length=100) = Field("", description="Words of the title or the text.")
    ticket: int | None = Field(None, ge=1, le=MAX_ID, description="Fill {contact_name} and {agent_name} for it.")


def _require_worker(user) -> None:
    if not user.has_perm("tickets.work_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_WORK)


def _out(reply, text: str) -> dict:
    return {"id": reply.pk, "title": reply.title, "text": text, "team": reply.is_team}


@router.get("", response=responses({200: list[SavedReplyOut]}, 401, 403, 404, 422), summary="Search saved replies")
def search_saved_replies(request, search: Query[SavedReplySearch]):
    user = request.auth
    _require_worker(user)
    ticket = get_ticket_for(user, search.ticket) if search.ticket else None
    found = saved_replies.search(user, search.q)
    if ticket is None:
        return [_out(r, r.body) for r in found]
    return [_out(r, saved_replies.filled(r, contact=ticket.contact, agent=user)) for r in found]


@router.post("", response=responses({201: SavedReplyOut}, 400, 401, 403, 422), summary="Add a saved reply")
def add_saved_reply(request, payload: SavedReplyIn):
    _require_worker(request.auth)
    reply = saved_replies.add_saved_reply(actor=request.auth, title=payload.title, body=payload.text, team=payload.team)
    return Status(201, _out(reply, reply.body))


@router.delete("/{reply_id}", response=responses({200: DeletedOut}, 401, 403, 404, 422), summary="Delete a saved reply")
def delete_saved_reply(request, reply_id: int = ReplyId):
    _require_worker(request.auth)
    saved_replies.delete_saved_reply(actor=request.auth, reply=saved_replies.get_for(request.auth, reply_id))
    return {"deleted": reply_id}
