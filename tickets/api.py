"""JSON API for tickets: inbound messages from channels, and the staff ticket endpoints."""

import json
from datetime import datetime
from typing import Annotated, Literal

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router, Schema, Status
from ninja.renderers import JSONRenderer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from blockdesk import errors
from blockdesk.api_auth import (
    BATCH_MAX_BYTES,
    INBOUND_MAX_BYTES,
    BotCaller,
    BotSecret,
    ChannelToken,
    PersonalToken,
    check_batch_limit,
)
from blockdesk.api_schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    Email,
    PersonOut,
    Timestamp,
    bounded_text,
    person,
    responses,
)
from contacts.addresses import EMPTY_ADDRESS, clean
from contacts.blocking import unblock_ticket

from .access import TICKET_NOT_FOUND, get_ticket_for, visible_tickets
from .bot import bot_hand_over
from .filters import MAX_WAITING_MINUTES, QueueFilter
from .models import COUNT_CAP, DeliveryState, Message, Ticket, TicketStatus
from .outbox import RECEIPT_STATES, record_receipt, retry_delivery, send_bot_reply
from .queue import hand_over_from_bot, reopen_ticket
from .routing import DELETED, REJECTED, InboundMessage, RoutedMessage, route_inbound_batch, route_inbound_message

NO_PERMISSION_VIEW_BLOCKED = gettext_noop("You do not have permission to see blocked tickets.")
# The detail view shows the latest messages; message_count says how many there are in all.
DETAIL_MESSAGES = 500

inbound_router = Router(tags=["inbound"])
router = Router(tags=["tickets"], auth=PersonalToken())
messages_router = Router(tags=["messages"], auth=PersonalToken())
outbound_router = Router(tags=["outbound"])

TicketId = Path(..., ge=1, le=MAX_ID, description="The ticket's id.")


# Inbound -----------------------------------------------------------------------------------------


def _address(value: str) -> str:
    """Refuse an address that routing would normalise to nothing (only spaces and invisible characters)."""
    if not clean(value):
        raise ValueError(EMPTY_ADDRESS)
    return value


# A delivery's JSON is read into plain pydantic models, as the answers below are written from them: a ninja Schema
# wraps each object's validation in a Django-attribute resolver plain JSON never needs (1.5 ms of CPU per
# 100-message batch, now 0.4 ms; docs/benchmarks.md, issue 11). from_attributes: a value that is no object is
# refused as a Schema refuses it ("a valid dictionary or object"), without naming a Python class.
class _DeliveryIn(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InboundContactIn(_DeliveryIn):
    id: Annotated[bounded_text(min_length=1, max_length=255), AfterValidator(_address)] = Field(
        description="The address the channel knows the customer by. Stored normalised: Unicode NFKC, without "
        "surrounding spaces and invisible characters; on WhatsApp and SMS channels a valid phone number in E.164 "
        "(national numbers read in the PHONE_DEFAULT_REGION); on e-mail channels in lower case."
    )
    name: bounded_text(max_length=200) | None = None
    phone: bounded_text(max_length=50) | None = None
    email: Email | None = None


class InboundMessageIn(_DeliveryIn):
    message_id: bounded_text(min_length=1, max_length=255) = Field(
        description="The channel's id for the message; a repeat delivery is stored once."
    )
    contact: InboundContactIn
    text: bounded_text(min_length=1, max_length=10_000)
    sent_at: Timestamp | None = Field(None, description="ISO 8601; without a zone it is read as UTC.")


class InboundBatchIn(_DeliveryIn):
    messages: list[InboundMessageIn] = Field(min_length=1, max_length=100)


# The answers are plain pydantic models, not ninja Schemas: a Schema wraps each object's validation in a
# Django-attribute resolver these dicts never need (1 ms of a 100-message batch's answer, now 0.1 ms).
class InboundResult(BaseModel):
    message: int | None = Field(description="The stored message; null when nothing was stored (`deleted`, `rejected`).")
    ticket: int | None = Field(description="Its ticket; null when nothing was stored (`deleted`, `rejected`).")
    contact: int | None = Field(description="The contact; null for a rejected message from an address nobody has.")
    status: Literal[(*TicketStatus.values, DELETED, REJECTED)] = Field(
        description="The status of the ticket the message landed in; `deleted` for a repeat delivery of a "
        "message deleted since with its blocked ticket (Delete All); `rejected` when a reject block rule refused "
        "it (nothing stored)."
    )
    rejected_by: int | None = Field(None, description="The block rule that rejected the message.")
    duplicate: bool = Field(description="true when this message id was delivered before; nothing new was stored.")


class InboundBatchResult(BaseModel):
    results: list[InboundResult]


def _inbound(item: InboundMessageIn) -> InboundMessage:
    return InboundMessage(
        message_id=item.message_id,
        contact_id=item.contact.id,
        text=item.text,
        contact_name=item.contact.name or "",
        phone=item.contact.phone or "",
        email=item.contact.email or "",
        sent_at=item.sent_at,
    )


def _result(routed: RoutedMessage) -> dict:
    return {
        "message": routed.message.pk if routed.message else None,
        "ticket": routed.ticket.pk if routed.ticket else None,
        "contact": routed.contact.pk if routed.contact else None,
        "status": routed.status,
        "rejected_by": routed.rejected_by,
        "duplicate": routed.duplicate,
    }


# django-ninja's JSON renderer, as the API renders every answer.
_JSON = JSONRenderer()


def _rendered(status: int, body: dict) -> HttpResponse:
    """The answer django-ninja would give for `body` (an InboundResult's fields, in order), rendered here.

    Returned as a response, it skips ninja's check of the body against the
    schema and its renderer's set-up: about 5% more deliveries a second over
    HTTP (A/B runs: +0.2% to +8.5% by mix and run; docs/benchmarks.md, issue
    11). `_result` builds the body from routing's own values;
    tests/api/test_inbound_answer.py holds it to the schema and to what ninja
    renders.
    """
    return HttpResponse(
        json.dumps(body, cls=_JSON.encoder_class, **_JSON.json_dumps_params),
        status=status,
        content_type=f"{_JSON.media_type}; charset={_JSON.charset}",
    )


def _stored(routed: RoutedMessage) -> bool:
    """The message is new and was stored (201): not a repeat delivery, not rejected by a rule."""
    return not routed.duplicate and routed.rejected_by is None


def _route_all(channel, items: list[InboundMessageIn]) -> list[RoutedMessage]:
    """Store the messages: one alone in its own transaction, a batch set-based in one transaction."""
    if len(items) == 1:
        return [route_inbound_message(channel=channel, inbound=_inbound(items[0]))]
    with transaction.atomic():
        return route_inbound_batch(channel=channel, inbounds=[_inbound(item) for item in items])


@inbound_router.post(
    "/messages",
    auth=ChannelToken(max_bytes=INBOUND_MAX_BYTES),
    response=responses({201: InboundResult, 200: InboundResult}, 400, 401, 413, 422, 429),
    summary="Deliver a customer message",
    description="201 when stored; 200 with `duplicate: true` (and the first result) when the message id was seen "
    "before on this channel; 200 with `status: rejected` when a reject block rule refused it (nothing stored). "
    "413 over 64 KiB. 429 with `Retry-After` over the channel's requests or messages per minute (nothing stored).",
)
def deliver_message(request, payload: InboundMessageIn):
    (routed,) = _route_all(request.auth, [payload])
    return _rendered(201 if _stored(routed) else 200, _result(routed))


@inbound_router.post(
    "/messages/batch",
    auth=ChannelToken(max_bytes=BATCH_MAX_BYTES, messages=0),
    response=responses({201: InboundBatchResult, 200: InboundBatchResult}, 400, 401, 413, 422, 429),
    summary="Deliver up to 100 customer messages",
    description="All items are validated first (422 names `messages[i].field`), then stored in one transaction. "
    "Results come in order, each as the single endpoint would answer. 201 when at least one message was new, "
    "200 when none was stored (repeat deliveries, or rejected by a block rule). 413 over 1 MiB. 429 with "
    "`Retry-After` over the channel's requests or messages per minute (each message of the batch counts; nothing "
    "stored).",
)
def deliver_batch(request, payload: InboundBatchIn):
    check_batch_limit(request.auth, len(payload.messages))
    routed = _route_all(request.auth, payload.messages)
    status = 201 if any(_stored(r) for r in routed) else 200
    return Status(status, {"results": [_result(r) for r in routed]})


# Staff -------------------------------------------------------------------------------------------


class ContactSummary(Schema):
    id: int
    name: str
    is_blocked: bool


class ChannelSummary(Schema):
    id: int
    name: str
    kind: str


class TicketOut(Schema):
    id: int
    contact: ContactSummary
    channel: ChannelSummary
    status: TicketStatus
    assignee: PersonOut | None
    created_at: datetime
    last_message_at: datetime
    closed_at: datetime | None
    message_count: int
    last_message_preview: str
    waiting_since: datetime | None = Field(
        description="Since when the customer has waited for an answer (their first message after our last "
        "reply); null while we spoke last and for resolved tickets."
    )
    last_speaker: Literal["in", "out", ""] = Field(description="Who wrote last: in (the customer), out (us).")
    first_reply_at: datetime | None = Field(description="Our first reply to the customer in this ticket.")


class MessageOut(Schema):
    id: int
    direction: Message.Direction
    text: str
    sent_at: datetime
    author: PersonOut | None = Field(description="Who wrote a reply or note; null for customer messages.")
    message_id: str | None = Field(description="The channel's id for a customer message.")
    state: DeliveryState | None = Field(description="A reply's delivery state; null for customer messages and notes.")
    attempts: int = Field(description="How many times sending a reply was tried (since its last Retry).")
    last_error: str = Field(description="Why the last attempt failed; empty if it did not.")


class TicketDetailOut(TicketOut):
    messages: list[MessageOut] = Field(
        description=f"The latest {DETAIL_MESSAGES} messages, oldest first; message_count says how many there are."
    )


class TicketPage(Schema):
    items: list[TicketOut]
    count: int = Field(
        description=f"How many tickets match, over all pages, counted up to {COUNT_CAP + 1}: "
        f"{COUNT_CAP + 1} means more than {COUNT_CAP} (as the console's tabs show {COUNT_CAP:,}+)."
    )


class TicketFilters(Schema):
    status: TicketStatus | None = None
    mine: bool = Field(False, description="true: only tickets assigned to you (with status=assigned: My tickets).")
    channel: int | None = Field(None, ge=1, le=MAX_ID, description="Only tickets on this channel.")
    assignee: int | None = Field(None, ge=1, le=MAX_ID, description="Only tickets assigned to this person.")
    waiting_longer_than: int | None = Field(
        None, ge=0, le=MAX_WAITING_MINUTES, description="Only tickets whose customer has waited more minutes."
    )
    sort: Literal["activity", "waiting"] = Field(
        "activity", description="activity: last message first; waiting: the longest-waiting customer first."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def ticket_out(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "contact": {"id": ticket.contact.pk, "name": str(ticket.contact), "is_blocked": ticket.contact.is_blocked},
        "channel": {"id": ticket.channel.pk, "name": ticket.channel.name, "kind": ticket.channel.kind},
        "status": ticket.status,
        "assignee": person(ticket.assignee),
        "created_at": ticket.created_at,
        "last_message_at": ticket.last_message_at,
        "closed_at": ticket.closed_at,
        "message_count": ticket.message_count,
        "last_message_preview": ticket.last_message_preview,
        "waiting_since": ticket.waiting_since,
        "last_speaker": ticket.last_speaker,
        "first_reply_at": ticket.first_reply_at,
    }


def message_out(message: Message) -> dict:
    return {
        "id": message.pk,
        "direction": message.direction,
        "text": message.body,
        "sent_at": message.sent_at,
        "author": person(message.author),
        "message_id": message.external_id,
        "state": message.delivery_state or None,
        "attempts": message.attempts,
        "last_error": message.last_error,
    }


@router.get(
    "",
    response=responses({200: TicketPage}, 401, 403, 422),
    summary="List tickets, newest first or longest waiting first",
    description="Filters combine: status, mine, channel, assignee, waiting_longer_than (minutes).",
)
def list_tickets(request, filters: Query[TicketFilters]):
    user = request.auth
    if not user.has_perm("tickets.view_ticket"):
        raise errors.Forbidden(errors.NO_PERMISSION_VIEW_TICKETS)
    if filters.status == TicketStatus.BLOCKED and not user.has_perm("tickets.view_blocked_ticket"):
        raise errors.Forbidden(NO_PERMISSION_VIEW_BLOCKED)
    tickets = visible_tickets(user)
    if filters.status is not None:
        tickets = tickets.in_queue(filters.status)
    if filters.mine:
        tickets = tickets.assigned_to(user)
    chosen = QueueFilter(filters.channel, filters.assignee, filters.waiting_longer_than, filters.sort)
    tickets = chosen.apply(tickets, filters.status or "")
    page = tickets.for_list()[filters.offset : filters.offset + filters.limit]
    return {"items": [ticket_out(t) for t in page], "count": tickets.capped_count()}


@router.get("/{ticket_id}", response=responses({200: TicketDetailOut}, 401, 404, 422), summary="Show a ticket")
def show_ticket(request, ticket_id: int = TicketId):
    ticket = get_ticket_for(request.auth, ticket_id)
    return {**ticket_out(ticket), "messages": [message_out(m) for m in ticket.messages.timeline(DETAIL_MESSAGES)]}


@router.post(
    "/{ticket_id}/unblock",
    response=responses({200: TicketOut}, 401, 403, 404, 409, 422),
    summary="Unblock a ticket",
    description="A blocked ticket goes to the BOT (BOT on) or Unassigned; the contact stays blocked. "
    "Needs tickets.unblock_ticket; 409 if the ticket is not blocked.",
)
def unblock(request, ticket_id: int = TicketId):
    ticket = get_ticket_for(request.auth, ticket_id)
    unblock_ticket(actor=request.auth, ticket=ticket)
    return ticket_out(get_ticket_for(request.auth, ticket_id))


@router.post(
    "/{ticket_id}/handover",
    auth=[BotSecret(or_personal_token=True), PersonalToken()],
    response=responses({200: TicketOut}, 401, 403, 404, 409, 422),
    summary="Hand a ticket over from the BOT",
    description="BOT → Unassigned, for a BOT integration: the bot webhook's bot with its secret, or a person "
    "(tickets.work_ticket) with a personal token. 409 if the ticket is not with the BOT.",
)
def handover(request, ticket_id: int = TicketId):
    if isinstance(request.auth, BotCaller):
        return ticket_out(bot_hand_over(ticket=_ticket(ticket_id)))
    ticket = get_ticket_for(request.auth, ticket_id)
    hand_over_from_bot(actor=request.auth, ticket=ticket)
    return ticket_out(get_ticket_for(request.auth, ticket_id))


class BotReplyIn(Schema):
    text: bounded_text(min_length=1, max_length=10_000)


@router.post(
    "/{ticket_id}/bot-reply",
    url_name="bot_reply",
    auth=BotSecret(),
    response=responses({201: MessageOut}, 400, 401, 404, 409, 422),
    summary="Answer as the BOT",
    description="For the bot webhook's bot, with the bot secret as its bearer token: the text goes to the customer "
    "as the BOT's reply, through the same delivery as an agent's. 409 unless the ticket is with the BOT and its "
    "contact is not blocked.",
)
def bot_answer(request, payload: BotReplyIn, ticket_id: int = TicketId):
    message = send_bot_reply(ticket=_ticket(ticket_id), text=payload.text)
    return Status(201, message_out(message))


def _ticket(ticket_id: int) -> Ticket:
    """Any ticket by id, for the bot (it acts on no person's behalf): 404 if there is none."""
    ticket = Ticket.objects.for_list().filter(pk=ticket_id).first()
    if ticket is None:
        raise errors.NotFound(TICKET_NOT_FOUND)
    return ticket


# Delivery ----------------------------------------------------------------------------------------

MessageId = Path(..., ge=1, le=MAX_ID, description="The message's id.")


@messages_router.post(
    "/{message_id}/retry",
    response=responses({200: MessageOut}, 401, 403, 404, 409, 422),
    summary="Retry a failed reply",
    description="Queues a failed reply again with a fresh set of attempts. Needs the permission to reply in its "
    "ticket; 409 if the reply has not failed or its contact is blocked.",
)
def retry(request, message_id: int = MessageId):
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise errors.NotFound(errors.NO_SUCH_MESSAGE)
    get_ticket_for(request.auth, message.ticket_id)  # 404 for a ticket the person may not see
    retry_delivery(actor=request.auth, message=message)
    return message_out(Message.objects.select_related("author").get(pk=message_id))


class ReceiptIn(Schema):
    message_id: int = Field(ge=1, le=MAX_ID, description="The X-BlockDesk-Delivery id of the reply.")
    state: Literal[tuple(s.value for s in RECEIPT_STATES)]
    provider_message_id: bounded_text(max_length=255) | None = None


class ReceiptOut(Schema):
    message_id: int
    state: DeliveryState
    changed: bool = Field(description="false for a receipt that does not move the reply forward (repeat, late).")


@outbound_router.post(
    "/receipts",
    auth=ChannelToken(max_bytes=INBOUND_MAX_BYTES),
    response=responses({200: ReceiptOut}, 400, 401, 404, 413, 422),
    summary="Report that a reply was delivered or read",
    description="States only move forward (sent → delivered → read): a repeat or late receipt answers "
    "`changed: false`. 404 for a message that is not a reply on this channel.",
)
def receipt(request, payload: ReceiptIn):
    message = Message.objects.filter(
        pk=payload.message_id, channel=request.auth, direction=Message.Direction.OUT
    ).first()
    if message is None:
        raise errors.NotFound(errors.NO_SUCH_MESSAGE)
    changed = record_receipt(message=message, state=payload.state, provider_message_id=payload.provider_message_id)
    state = Message.objects.values_list("delivery_state", flat=True).get(pk=message.pk)
    return {"message_id": message.pk, "state": state, "changed": changed}


@router.post(
    "/{ticket_id}/reopen",
    response=responses({200: TicketOut}, 401, 403, 404, 409, 422),
    summary="Reopen a resolved ticket",
    description="Back to the person who had it (if they still work tickets), else Unassigned; audited. "
    "409 if the ticket is not resolved, its contact is blocked, or the contact has another open ticket on the "
    "channel.",
)
def reopen(request, ticket_id: int = TicketId):
    ticket = get_ticket_for(request.auth, ticket_id)
    reopen_ticket(actor=request.auth, ticket=ticket)
    return ticket_out(get_ticket_for(request.auth, ticket_id))
