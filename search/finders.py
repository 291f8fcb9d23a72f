"""One search over contacts, ticket numbers and message text, for the console page and the API alike.

Every read is bounded, so a search costs the same few statements for any text
and any number of rows: contacts up to CONTACT_LIMIT (+1 to know there are
more), one ticket by number, and the newest MESSAGE_CANDIDATES matching
messages ranked best first, of which a page is loaded with its snippets.

Message text: on PostgreSQL a full-text match with the 'simple' configuration
(no stemming, so Indonesian and English words both match as written), served
by the GIN index of tickets' migration message_body_search and ranked with
ts_rank; on SQLite a case-insensitive "contains", newest first.
"""

import re
from dataclasses import dataclass, field
from html import escape

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection, transaction
from django.db.models import F, Func, Q
from django.utils.safestring import SafeString, mark_safe

from blockdesk import errors
from blockdesk.api_schemas import MAX_ID
from contacts.models import Contact
from tickets.access import visible_ticket_condition, visible_tickets
from tickets.models import Message, Ticket

from .phone_digits import Digits, phone_digits

CONTACT_LIMIT = 10
# The newest this many matches are ranked, never all of them: a common word is in a quarter of all messages,
# and each message looked at costs its to_tsvector (6 µs). At 1,000,000 messages 200 keeps the median < 100 ms.
MESSAGE_CANDIDATES = 200
# The plan is chosen as if this many were wanted, the reading stops at MESSAGE_CANDIDATES + 1. Planned for
# 201 rows, PostgreSQL reads a word it has no statistics for (estimated in 0.5% of messages) newest first through
# every message, computing each to_tsvector (seconds at 1,000,000); planned for 1,000 it takes the GIN index. A common
# word is still read newest first, and stops after 201 matches.
PLANNED_CANDIDATES = 1000
MAX_QUERY_LENGTH = 200
# Must be the configuration of the index (tickets/migrations/0003_message_body_search.py).
TEXT_SEARCH_CONFIG = "simple"
SNIPPET_WORDS = 25
# Private-use characters mark the matched words in a headline; the text is escaped, then they become <mark>.
_MARK_START, _MARK_END = "\ue000", "\ue001"
_TICKET_NUMBER = re.compile(r"#?\s*(\d{1,19})")


def body_vector() -> Func:
    """to_tsvector('simple', body): exactly the expression the GIN index holds, so the planner can use it."""
    return Func(
        F("body"),
        template=f"to_tsvector('{TEXT_SEARCH_CONFIG}'::regconfig, %(expressions)s)",
        output_field=SearchVectorField(),
    )


def text_query(text: str) -> SearchQuery:
    """The search text as a tsquery: web-search syntax ("quoted phrase", -not, or), never a syntax error."""
    return SearchQuery(text, config=TEXT_SEARCH_CONFIG, search_type="websearch")


@dataclass
class SearchResults:
    text: str
    contacts: list[Contact] = field(default_factory=list)
    more_contacts: bool = False
    tickets: list[Ticket] = field(default_factory=list)
    # Matching message ids, best first; at most MESSAGE_CANDIDATES.
    message_ids: list[int] = field(default_factory=list)
    more_messages: bool = False


def search_refusal(user) -> str | None:
    """Why the user may not search, or None: searching needs contacts or tickets to look through."""
    if user.has_perm("contacts.view_contact") or user.has_perm("tickets.view_ticket"):
        return None
    return errors.NO_PERMISSION_SEARCH


def search(user, text: str) -> SearchResults:
    """Find what the user may see: contacts (contacts.view_contact), tickets and messages (tickets.view_ticket)."""
    refusal = search_refusal(user)
    if refusal:
        raise errors.Forbidden(refusal)
    text = text.strip()
    results = SearchResults(text=text)
    if not text:
        return results
    if user.has_perm("contacts.view_contact"):
        contacts = list(_contacts(text)[: CONTACT_LIMIT + 1])
        results.contacts, results.more_contacts = contacts[:CONTACT_LIMIT], len(contacts) > CONTACT_LIMIT
    if user.has_perm("tickets.view_ticket"):
        results.tickets = _ticket_by_number(user, text)
        results.message_ids, results.more_messages = _message_ids(user, text)
    return results


def _contacts(text: str):
    condition = Q(name__icontains=text) | Q(email__icontains=text)
    digits = phone_digits(text)
    condition |= Q(phone_digits__contains=digits) if digits else Q(phone__icontains=text)
    return Contact.objects.live().alias(phone_digits=Digits("phone")).filter(condition).order_by("name", "id")


def _ticket_by_number(user, text: str) -> list[Ticket]:
    match = _TICKET_NUMBER.fullmatch(text)
    if match is None or not 1 <= int(match[1]) <= MAX_ID:
        return []
    return list(visible_tickets(user).for_list().filter(pk=int(match[1])))


def _message_ids(user, text: str) -> tuple[list[int], bool]:
    """The ids of the newest MESSAGE_CANDIDATES visible messages that match, best first; and whether more match."""
    visible = Message.objects.filter(visible_ticket_condition(user, through="ticket__"))
    if connection.vendor != "postgresql":
        newest = list(
            visible.filter(body__icontains=text).order_by("-id").values_list("id", flat=True)[: MESSAGE_CANDIDATES + 1]
        )
        return newest[:MESSAGE_CANDIDATES], len(newest) > MESSAGE_CANDIDATES
    query = text_query(text)
    newest = (
        visible.alias(vector=body_vector())
        .filter(vector=query)
        .annotate(rank=SearchRank(body_vector(), query))
        .order_by("-id")
        .values_list("id", "rank")[:PLANNED_CANDIDATES]
    )
    sql, params = newest.query.sql_with_params()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Parallel workers each read ahead newest first and rank rows that are thrown away, after a start-up
        # that a busy server pays dearly: 31 ms alone against 55 ms with two workers (two words, 1,000,000).
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        # MATERIALIZED: planned on its own, for PLANNED_CANDIDATES rows; the outer LIMIT stops the reading.
        cursor.execute(
            f"WITH newest AS MATERIALIZED ({sql}) SELECT * FROM newest LIMIT %s", [*params, MESSAGE_CANDIDATES + 1]
        )
        candidates = cursor.fetchall()
    ranked = sorted(candidates[:MESSAGE_CANDIDATES], key=lambda row: (-row[1], -row[0]))
    return [pk for pk, _ in ranked], len(candidates) > MESSAGE_CANDIDATES


def messages_in_order(results: SearchResults, ids: list[int]) -> list[Message]:
    """The messages with these ids (a page of results.message_ids), in that order, each with a .snippet."""
    messages = Message.objects.filter(id__in=ids).select_related(
        "ticket__contact", "ticket__channel", "ticket__assignee", "author"
    )
    if connection.vendor == "postgresql":
        messages = messages.annotate(
            headline=SearchHeadline(
                "body",
                text_query(results.text),
                config=TEXT_SEARCH_CONFIG,
                start_sel=_MARK_START,
                stop_sel=_MARK_END,
                max_words=SNIPPET_WORDS,
                min_words=SNIPPET_WORDS // 2,
            )
        )
    by_id = {message.pk: message for message in messages}
    found = [by_id[pk] for pk in ids if pk in by_id]
    for message in found:
        message.snippet = _snippet(getattr(message, "headline", None), message.body, results.text)
    return found


def _snippet(headline: str | None, body: str, text: str) -> SafeString:
    """The matched words in <mark>, everything else escaped."""
    if headline is None:
        headline = _marked_excerpt(body, text)
    return mark_safe(escape(headline).replace(_MARK_START, "<mark>").replace(_MARK_END, "</mark>"))


def _marked_excerpt(body: str, text: str) -> str:
    """SQLite's stand-in for ts_headline: the words around the first occurrence, the occurrence marked."""
    at = body.lower().find(text.lower())
    if at < 0:
        return " ".join(body.split()[:SNIPPET_WORDS])
    before = body[:at].split()[-(SNIPPET_WORDS // 2) :]
    after = body[at + len(text) :]
    after_words = " ".join(after.split()[: SNIPPET_WORDS // 2])
    lead = " ".join(before) + (" " if before and body[at - 1 : at].isspace() else "")
    tail = (" " if after[:1].isspace() else "") + after_words
    return f"{lead}{_MARK_START}{body[at : at + len(text)]}{_MARK_END}{tail}"
