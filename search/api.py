"""GET /api/v1/search: the console's search as JSON, with the same visibility rules (personal API tokens)."""

from datetime import datetime

from ninja import Query, Router, Schema
from pydantic import Field

from blockdesk.api_auth import PersonalToken
from blockdesk.api_schemas import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, bounded_text, responses
from tickets.models import Message, TicketStatus

from .finders import CONTACT_LIMIT, MAX_QUERY_LENGTH, MESSAGE_CANDIDATES, messages_in_order, search

router = Router(tags=["search"], auth=PersonalToken())


class SearchFilters(Schema):
    q: bounded_text(min_length=1, max_length=MAX_QUERY_LENGTH) = Field(
        description="A name, phone (digits compared; a leading 0 reads as +62), e-mail, ticket number (#123 or 123) "
        'or words of a message (web-search syntax: "a phrase", -word, or).'
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many messages.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many of the ranked messages to skip.")


class FoundContact(Schema):
    id: int
    name: str
    phone: str
    email: str
    is_blocked: bool


class FoundTicket(Schema):
    id: int
    contact: int
    channel: str
    status: TicketStatus
    last_message_at: datetime


class FoundMessage(Schema):
    id: int
    ticket: int
    contact: FoundContact
    channel: str
    direction: Message.Direction
    sent_at: datetime
    snippet: str = Field(description="HTML: the words around the match, escaped, the matched words in <mark>.")


class SearchOut(Schema):
    contacts: list[FoundContact] = Field(
        description=f"Contacts whose name, phone or e-mail matches, by name: the first {CONTACT_LIMIT}. "
        "Empty without contacts.view_contact."
    )
    more_contacts: bool = Field(description=f"true when more than {CONTACT_LIMIT} contacts match.")
    tickets: list[FoundTicket] = Field(description="The ticket with this number, if the text is one you may see.")
    messages: list[FoundMessage] = Field(
        description="Messages you may see that match, best first (never one in a blocked ticket without "
        "tickets.view_blocked_ticket). Empty without tickets.view_ticket."
    )
    message_count: int = Field(
        description=f"How many messages match, counted up to {MESSAGE_CANDIDATES + 1}: {MESSAGE_CANDIDATES + 1} means "
        f"more than {MESSAGE_CANDIDATES}; then the best of the newest {MESSAGE_CANDIDATES} are ranked and listed."
    )


def _contact(contact) -> dict:
    return {
        "id": contact.pk,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "is_blocked": contact.is_blocked,
    }


@router.get(
    "",
    response=responses({200: SearchOut}, 401, 403, 422),
    summary="Search contacts, tickets and messages",
    description="The console's search: 403 for someone who may see neither contacts nor tickets.",
)
def search_everything(request, filters: Query[SearchFilters]):
    results = search(request.auth, filters.q)
    page = results.message_ids[filters.offset : filters.offset + filters.limit]
    return {
        "contacts": [_contact(c) for c in results.contacts],
        "more_contacts": results.more_contacts,
        "tickets": [
            {
                "id": t.pk,
                "contact": t.contact_id,
                "channel": t.channel.name,
                "status": t.status,
                "last_message_at": t.last_message_at,
            }
            for t in results.tickets
        ],
        "messages": [
            {
                "id": m.pk,
                "ticket": m.ticket_id,
                "contact": _contact(m.ticket.contact),
                "channel": m.ticket.channel.name,
                "direction": m.direction,
                "sent_at": m.sent_at,
                "snippet": str(m.snippet),
            }
            for m in messages_in_order(results, page)
        ],
        "message_count": len(results.message_ids) + results.more_messages,
    }
