"""Every console refusal says why, in the console's own page (navigation, the refusal's text, a way back),
or as a dialog when htmx asked for it; a refused form is refused before its input is read.

The rows are written from DESIGN.md's roles: an agent is refused the supervisor's pages, the Blocked list
and its actions, unblocking, settings and the audit pages, and sees no blocked, BOT or colleague's ticket;
a signed-in user with no role is refused every page (test_nobody_has_a_row_for_every_console_page).
"""

from dataclasses import dataclass, field

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from blockdesk import errors
from contacts import block_rules
from contacts.access import CONTACT_NOT_FOUND
from contacts.blocking import block_contact
from contacts.flood_guard import NO_PERMISSION_SUSPECTED
from contacts.models import BlockReason, Channel, Contact, FloodFlag
from contacts.spam_models import BlockRule
from tests import factories
from tickets.access import TICKET_NOT_FOUND
from tickets.models import DeliveryState, Message, SavedReply, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

NAVIGATION = '<nav class="nav" id="main-nav" aria-label="Main">'
# Input no form accepts: a refused person gets the same refusal with it as with valid input.
JUNK = {"choice": "explode", "reason": "nope", "ticket": "x", "text": "", "assignee": "x", "note": "\x00"}


@dataclass(frozen=True)
class Refusal:
    method: str
    url: str  # with {world} placeholders
    status: int
    text: str
    data: dict = field(default_factory=dict)


# Channel set-up is for administrators only: the same refusal for every other person.
CHANNEL_SETUP = [
    Refusal("GET", "/channels/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("GET", "/channels/new/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("POST", "/channels/new/", 403, errors.NO_PERMISSION_CHANNELS, {"name": "Spam line", "kind": "api"}),
    Refusal("GET", "/channels/{channel}/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("POST", "/channels/{channel}/", 403, errors.NO_PERMISSION_CHANNELS, {"name": "Renamed"}),
    Refusal("GET", "/channels/{channel}/rotate/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("POST", "/channels/{channel}/rotate/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("GET", "/channels/{channel}/deactivate/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("POST", "/channels/{channel}/deactivate/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("POST", "/channels/{channel}/activate/", 403, errors.NO_PERMISSION_CHANNELS),
    Refusal("POST", "/channels/{channel}/test/", 403, errors.NO_PERMISSION_CHANNELS),
]

# Block rules are the supervisors' (and administrators'): the same refusals for everybody else, before any lookup.
BLOCK_RULES = [
    Refusal("GET", "/spam/rules/", 403, block_rules.NO_PERMISSION_VIEW_RULES),
    Refusal("GET", "/spam/rules/add/", 403, block_rules.NO_PERMISSION_ADD_RULE),
    Refusal("POST", "/spam/rules/add/", 403, block_rules.NO_PERMISSION_ADD_RULE, {"kind": "domain", "value": "x.io"}),
    Refusal("GET", "/spam/rules/1/edit/", 403, block_rules.NO_PERMISSION_CHANGE_RULE),
    Refusal("POST", "/spam/rules/1/edit/", 403, block_rules.NO_PERMISSION_CHANGE_RULE, {"action": "allow"}),
    Refusal("GET", "/spam/rules/1/delete/", 403, block_rules.NO_PERMISSION_DELETE_RULE),
    Refusal("POST", "/spam/rules/1/delete/", 403, block_rules.NO_PERMISSION_DELETE_RULE),
]

AGENT = [
    Refusal("GET", "/tickets/supervisor/", 403, errors.NO_PERMISSION_SUPERVISOR_DASHBOARD),
    Refusal("GET", "/tickets/supervisor/?queue=blocked", 403, errors.NO_PERMISSION_SUPERVISOR_DASHBOARD),
    Refusal("GET", "/tickets/live/supervisor/", 403, errors.NO_PERMISSION_SUPERVISOR_DASHBOARD),
    Refusal("GET", "/tickets/blocked/confirm/?action=unblock&ticket={blocked}", 403, errors.NO_PERMISSION_BLOCKED_LIST),
    Refusal("POST", "/tickets/blocked/unblock/", 403, errors.NO_PERMISSION_BLOCKED_LIST, {"ticket": "{blocked}"}),
    Refusal("POST", "/tickets/blocked/delete/", 403, errors.NO_PERMISSION_BLOCKED_LIST, {"ticket": "{blocked}"}),
    Refusal("GET", "/tickets/{blocked}/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/{bot}/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/{colleagues}/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/{blocked}/delete/confirm/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{blocked}/delete/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{blocked}/unblock/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{bot}/handover/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{unassigned}/assign/", 403, errors.NO_PERMISSION_ASSIGN, {"assignee": "{agent}"}),
    Refusal("POST", "/tickets/{unassigned}/reply/", 403, errors.TICKET_NOT_YOURS, {"reply-text": "Hello"}),
    Refusal("POST", "/tickets/{unassigned}/note/", 403, errors.TICKET_NOT_YOURS, {"note-text": "Hmm"}),
    Refusal("POST", "/tickets/{unassigned}/resolve/", 403, errors.TICKET_NOT_YOURS),
    Refusal("GET", "/tickets/failed/", 403, errors.NO_PERMISSION_FAILED_DELIVERIES),
    Refusal("POST", "/tickets/{unassigned}/messages/{unassigned_reply}/retry/", 403, errors.TICKET_NOT_YOURS),
    Refusal("POST", "/tickets/{colleagues}/messages/{colleagues_reply}/retry/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/contacts/{blocked_contact}/unblock/", 403, errors.NO_PERMISSION_UNBLOCK),
    Refusal(
        "POST", "/contacts/{blocked_contact}/unblock/", 403, errors.NO_PERMISSION_UNBLOCK, {"choice": "delete_all"}
    ),
    Refusal("GET", "/contacts/999999/", 404, CONTACT_NOT_FOUND),
    Refusal("GET", "/contacts/{contact}/edit/", 403, errors.NO_PERMISSION_EDIT_CONTACT),
    Refusal("POST", "/contacts/{contact}/edit/", 403, errors.NO_PERMISSION_EDIT_CONTACT, {"name": "New"}),
    Refusal("GET", "/contacts/{contact}/merge/", 403, errors.NO_PERMISSION_MERGE),
    Refusal("GET", "/contacts/{contact}/merge/{other_contact}/", 403, errors.NO_PERMISSION_MERGE),
    Refusal("POST", "/contacts/{contact}/merge/{other_contact}/", 403, errors.NO_PERMISSION_MERGE),
    Refusal("GET", "/settings/", 403, errors.NO_PERMISSION_SETTINGS),
    Refusal("POST", "/settings/", 403, errors.NO_PERMISSION_SETTINGS, {"block_contacts_enabled": "on"}),
    Refusal("GET", "/audit/", 403, errors.NO_PERMISSION_AUDIT),
    Refusal("GET", "/audit/export.csv", 403, errors.NO_PERMISSION_AUDIT),
    Refusal("GET", "/audit/blocked-contacts.csv", 403, errors.NO_PERMISSION_EXPORT_BLOCKED),
    Refusal("GET", "/tickets/sla/", 403, errors.NO_PERMISSION_SLA),
    Refusal("POST", "/tickets/{colleagues}/reopen/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/{colleagues}/replies/?q=hello", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/replies/{team_reply}/delete/", 403, errors.NO_PERMISSION_TEAM_REPLIES),
    Refusal("POST", "/tickets/replies/{supervisors_reply}/delete/", 404, errors.SAVED_REPLY_NOT_FOUND),
    Refusal("GET", "/spam/", 403, errors.NO_PERMISSION_SPAM_OVERVIEW),
    Refusal("GET", "/spam/suspected/", 403, NO_PERMISSION_SUSPECTED),
    Refusal("POST", "/spam/suspected/{flag}/dismiss/", 403, NO_PERMISSION_SUSPECTED),
    Refusal("GET", "/spam/suspected/{flag}/block/", 403, NO_PERMISSION_SUSPECTED),
    Refusal("POST", "/spam/suspected/{flag}/block/", 403, NO_PERMISSION_SUSPECTED, {"reason": "spam"}),
    *CHANNEL_SETUP,
    *BLOCK_RULES,
]

SUPERVISOR = [
    Refusal("GET", "/settings/", 403, errors.NO_PERMISSION_SETTINGS),
    Refusal("POST", "/settings/", 403, errors.NO_PERMISSION_SETTINGS, {"bot_enabled": "on"}),
    Refusal("GET", "/audit/", 403, errors.NO_PERMISSION_AUDIT),
    Refusal("GET", "/audit/export.csv", 403, errors.NO_PERMISSION_AUDIT),
    Refusal("GET", "/audit/blocked-contacts.csv", 403, errors.NO_PERMISSION_EXPORT_BLOCKED),
    Refusal("GET", "/tickets/supervisor/?queue=spam", 404, errors.NO_SUCH_QUEUE),
    Refusal("GET", "/tickets/live/boss/", 404, errors.NO_SUCH_DASHBOARD),
    Refusal("GET", "/tickets/blocked/confirm/?action=explode", 404, errors.NO_SUCH_ACTION),
    Refusal("GET", "/tickets/999999/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/999999/take/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{unassigned}/messages/{colleagues_reply}/retry/", 404, errors.NO_SUCH_MESSAGE),
    Refusal("GET", "/contacts/999999/", 404, CONTACT_NOT_FOUND),
    Refusal("GET", "/contacts/{contact}/edit/", 403, errors.NO_PERMISSION_EDIT_CONTACT),
    Refusal("POST", "/contacts/{contact}/edit/", 403, errors.NO_PERMISSION_EDIT_CONTACT, {"name": "New"}),
    *CHANNEL_SETUP,
    Refusal("GET", "/spam/rules/999999/edit/", 404, block_rules.RULE_NOT_FOUND),
    Refusal("POST", "/spam/rules/999999/edit/", 404, block_rules.RULE_NOT_FOUND, {"action": "allow"}),
    Refusal("GET", "/spam/rules/999999/delete/", 404, block_rules.RULE_NOT_FOUND),
    Refusal("POST", "/spam/rules/999999/delete/", 404, block_rules.RULE_NOT_FOUND),
]

NOBODY = [
    Refusal("GET", "/", 403, errors.NO_ROLE),
    Refusal("GET", "/tickets/", 403, errors.NO_PERMISSION_WORK),
    Refusal("GET", "/tickets/supervisor/", 403, errors.NO_PERMISSION_SUPERVISOR_DASHBOARD),
    Refusal("GET", "/tickets/live/agent/", 403, errors.NO_PERMISSION_WORK),
    Refusal("GET", "/tickets/blocked/confirm/?action=delete&ticket={blocked}", 403, errors.NO_PERMISSION_BLOCKED_LIST),
    Refusal("POST", "/tickets/blocked/unblock/", 403, errors.NO_PERMISSION_BLOCKED_LIST, {"ticket": "{blocked}"}),
    Refusal("POST", "/tickets/blocked/delete/", 403, errors.NO_PERMISSION_BLOCKED_LIST, {"ticket": "{blocked}"}),
    Refusal("GET", "/tickets/{unassigned}/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{unassigned}/take/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{unassigned}/assign/", 404, TICKET_NOT_FOUND, {"assignee": "{agent}"}),
    Refusal("POST", "/tickets/{unassigned}/resolve/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{unassigned}/reply/", 404, TICKET_NOT_FOUND, {"reply-text": "Hello"}),
    Refusal("POST", "/tickets/{unassigned}/note/", 404, TICKET_NOT_FOUND, {"note-text": "Hmm"}),
    Refusal("POST", "/tickets/{bot}/handover/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{blocked}/unblock/", 404, TICKET_NOT_FOUND),
    Refusal("POST", "/tickets/{blocked}/delete/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/{blocked}/delete/confirm/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/{unassigned}/timeline/?after=0&seen=unassigned", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/failed/", 403, errors.NO_PERMISSION_FAILED_DELIVERIES),
    Refusal("POST", "/tickets/{unassigned}/messages/{unassigned_reply}/retry/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/contacts/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal("GET", "/contacts/{contact}/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal("GET", "/contacts/{contact}/block/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal(
        "POST",
        "/contacts/block/",
        403,
        errors.NO_PERMISSION_VIEW_CONTACTS,
        {"contact": "{contact}", "reason": "spam", "confirm": "on"},
    ),
    Refusal("POST", "/contacts/{contact}/block/", 403, errors.NO_PERMISSION_VIEW_CONTACTS, {"reason": "spam"}),
    Refusal("GET", "/contacts/{blocked_contact}/unblock/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal(
        "POST",
        "/contacts/{blocked_contact}/unblock/",
        403,
        errors.NO_PERMISSION_VIEW_CONTACTS,
        {"choice": "unblock_all"},
    ),
    Refusal("GET", "/contacts/{contact}/edit/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal("POST", "/contacts/{contact}/edit/", 403, errors.NO_PERMISSION_VIEW_CONTACTS, {"name": "New"}),
    Refusal("GET", "/contacts/{contact}/merge/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal("GET", "/contacts/{contact}/merge/{other_contact}/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal("POST", "/contacts/{contact}/merge/{other_contact}/", 403, errors.NO_PERMISSION_VIEW_CONTACTS),
    Refusal("GET", "/settings/", 403, errors.NO_PERMISSION_SETTINGS),
    Refusal("POST", "/settings/", 403, errors.NO_PERMISSION_SETTINGS, {"bot_enabled": "on"}),
    Refusal("GET", "/audit/", 403, errors.NO_PERMISSION_AUDIT),
    Refusal("GET", "/audit/export.csv", 403, errors.NO_PERMISSION_AUDIT),
    Refusal("GET", "/audit/blocked-contacts.csv", 403, errors.NO_PERMISSION_EXPORT_BLOCKED),
    Refusal("GET", "/search/?q=spam", 403, errors.NO_PERMISSION_SEARCH),
    Refusal("GET", "/tickets/sla/", 403, errors.NO_PERMISSION_SLA),
    Refusal("GET", "/tickets/notices/", 403, errors.NO_PERMISSION_VIEW_TICKETS),
    Refusal("GET", "/tickets/notices/count/", 403, errors.NO_PERMISSION_VIEW_TICKETS),
    Refusal("GET", "/tickets/replies/", 403, errors.NO_PERMISSION_WORK),
    Refusal("POST", "/tickets/replies/add/", 403, errors.NO_PERMISSION_WORK, {"title": "Hi", "body": "Hello"}),
    Refusal("POST", "/tickets/replies/{team_reply}/delete/", 403, errors.NO_PERMISSION_WORK),
    Refusal("POST", "/tickets/{unassigned}/reopen/", 404, TICKET_NOT_FOUND),
    Refusal("GET", "/tickets/{unassigned}/replies/?q=hello", 403, errors.NO_PERMISSION_WORK),
    Refusal("GET", "/spam/", 403, errors.NO_PERMISSION_SPAM_OVERVIEW),
    Refusal("GET", "/spam/suspected/", 403, NO_PERMISSION_SUSPECTED),
    Refusal("POST", "/spam/suspected/{flag}/dismiss/", 403, NO_PERMISSION_SUSPECTED),
    Refusal("GET", "/spam/suspected/{flag}/block/", 403, NO_PERMISSION_SUSPECTED),
    Refusal("POST", "/spam/suspected/{flag}/block/", 403, NO_PERMISSION_SUSPECTED, {"reason": "spam"}),
    *CHANNEL_SETUP,
    *BLOCK_RULES,
]

CASES = [("agent", r) for r in AGENT] + [("supervisor", r) for r in SUPERVISOR] + [("nobody", r) for r in NOBODY]
IDS = [f"{persona} {r.method} {r.url}" for persona, r in CASES]


@pytest.fixture
def world(blocking_on, channel, agent, other_agent, supervisor, administrator, nobody):
    """One of each thing a refused URL can point at."""
    contact = factories.ContactFactory()
    blocked_contact = factories.ContactFactory()
    block_contact(actor=supervisor, contact=blocked_contact, reason=BlockReason.SPAM)
    blocked = factories.TicketFactory(contact=blocked_contact, channel=channel, status=TicketStatus.BLOCKED)
    unassigned = factories.TicketFactory(channel=channel, status=TicketStatus.UNASSIGNED)
    colleagues = factories.TicketFactory(channel=channel, status=TicketStatus.ASSIGNED, assignee=other_agent)
    return {
        "contact": contact.pk,
        "other_contact": factories.ContactFactory().pk,
        "blocked_contact": blocked_contact.pk,
        "blocked": blocked.pk,
        "unassigned": unassigned.pk,
        "unassigned_reply": _failed_reply(unassigned).pk,
        "bot": factories.TicketFactory(channel=channel, status=TicketStatus.BOT).pk,
        "colleagues": colleagues.pk,
        "colleagues_reply": _failed_reply(colleagues).pk,
        "agent": agent.pk,
        "channel": channel.pk,
        "team_reply": SavedReply.objects.create(title="Greeting", body="Hello {contact_name}").pk,
        "supervisors_reply": SavedReply.objects.create(owner=supervisor, title="Mine", body="Bye").pk,
        "flag": FloodFlag.objects.create(
            contact=factories.ContactFactory(),
            channel=channel,
            flagged_at=timezone.now(),
            messages=31,
            window_minutes=5,
        ).pk,
    }


def _failed_reply(ticket):
    return factories.MessageFactory(
        ticket=ticket, direction=Message.Direction.OUT, delivery_state=DeliveryState.FAILED, last_error="Refused"
    )


def _send(client, refusal: Refusal, world: dict, data: dict, headers=None):
    url = refusal.url.format(**world)
    if refusal.method == "GET":
        return client.get(url, headers=headers or {})
    return client.post(url, {k: str(v).format(**world) for k, v in data.items()}, headers=headers or {})


def _state() -> list:
    return [
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "assignee", "message_count", "closed_at")),
        list(Message.objects.order_by("pk").values_list("pk", "delivery_state", "attempts")),
        list(SavedReply.objects.order_by("pk").values_list("pk", "owner", "title", "body")),
        list(Contact.objects.order_by("pk").values_list("pk", "is_blocked", "blocked_until")),
        list(Channel.objects.order_by("pk").values_list("pk", "name", "is_active", "token_hash", "outbound_url")),
        list(BlockRule.objects.order_by("pk").values_list("pk", "kind", "value", "action", "channel", "note")),
    ]


@pytest.mark.parametrize(("persona", "refusal"), CASES, ids=IDS)
def test_the_refusal_is_a_console_page_that_says_why(request, client, world, persona, refusal):
    client.force_login(request.getfixturevalue(persona))
    before = _state()
    response = _send(client, refusal, world, refusal.data)
    page = response.content.decode()
    assert response.status_code == refusal.status
    assert response["Content-Type"].startswith("text/html")
    assert escape(refusal.text) in page
    assert NAVIGATION in page and "Log out" in page
    assert 'class="button" href="/' in page  # Back: a link within the console
    assert _state() == before


@pytest.mark.parametrize(("persona", "refusal"), CASES, ids=IDS)
def test_in_the_dialog_the_refusal_is_a_dialog(request, client, world, persona, refusal):
    client.force_login(request.getfixturevalue(persona))
    response = _send(client, refusal, world, refusal.data, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == refusal.status
    assert "<html" not in page and NAVIGATION not in page
    assert 'id="dialog-title"' in page and "data-dialog-close" in page
    assert escape(refusal.text) in page


POSTS = [(persona, r) for persona, r in CASES if r.method == "POST"]


@pytest.mark.parametrize(("persona", "refusal"), POSTS, ids=[f"{p} {r.url}" for p, r in POSTS])
def test_a_form_is_refused_before_its_input_is_read(request, client, world, persona, refusal):
    """Junk input gets the same refusal as valid input: the permission is checked first."""
    client.force_login(request.getfixturevalue(persona))
    before = _state()
    response = _send(client, refusal, world, JUNK)
    assert response.status_code == refusal.status
    assert escape(refusal.text) in response.content.decode()
    assert _state() == before


def test_an_agent_posting_an_invalid_unblock_choice_sees_no_blocked_counts(logged_in, agent, world):
    response = logged_in(agent).post(f"/contacts/{world['blocked_contact']}/unblock/", {"choice": "explode"})
    page = response.content.decode()
    assert response.status_code == 403
    assert escape(errors.NO_PERMISSION_UNBLOCK) in page
    assert "blocked-tickets" not in page and "Unblock All" not in page


def test_the_block_form_with_blocking_off_is_refused_before_its_input(logged_in, agent, set_switches):
    set_switches(block_contacts_enabled=False)
    contact = factories.ContactFactory()
    for data in ({"reason": "spam"}, {"reason": "nope", "note": "x" * 3000}):
        response = logged_in(agent).post(f"/contacts/{contact.pk}/block/", data)
        assert response.status_code == 403
        assert escape(errors.BLOCKING_DISABLED) in response.content.decode()
        bulk = logged_in(agent).post("/contacts/block/", {**data, "contact": contact.pk, "confirm": "on"})
        assert bulk.status_code == 403
        assert escape(errors.BLOCKING_DISABLED) in bulk.content.decode()
    contact.refresh_from_db()
    assert not contact.is_blocked


# Pages every signed-in person may use, role or not: signing in and out, their own API tokens (a token
# acts with its owner's permissions, so a person without a role gets a token that can do nothing), and
# their own language and time zone (tests/accounts/test_profile_page.py).
NOT_REFUSED = ("login", "logout", "healthz", "tokens", "revoke_token", "profile")


def _console_routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            # The web chat is not a console page: visitors use it without signing in (a role changes nothing);
            # nor are the providers' webhooks under hooks/ (each checks its provider's signature instead).
            if pattern.namespace in ("admin", "webchat") or str(pattern.pattern).startswith(("api/", "hooks/")):
                continue
            yield from _console_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name not in NOT_REFUSED:
            yield prefix + str(pattern.pattern)


def test_nobody_has_a_row_for_every_console_page():
    """A new console page fails here until the matrix says what a user without a role gets."""
    resolver = get_resolver()
    keys = ("contact", "other_contact", "blocked_contact", "blocked", "unassigned", "bot", "colleagues")
    any_pk = {key: 1 for key in (*keys, "unassigned_reply", "team_reply", "channel", "flag")}
    covered = {resolver.resolve(r.url.split("?")[0].format(**any_pk)).route for r in NOBODY}
    assert covered == set(_console_routes(resolver.url_patterns))


# --- Outside the console's views: Django's handlers render the same pages ---------------------


def test_an_unknown_url_is_the_console_404(logged_in, agent):
    response = logged_in(agent).get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert escape(errors.PAGE_NOT_FOUND) in page and NAVIGATION in page


def test_an_unknown_url_in_the_dialog_is_a_dialog(logged_in, agent):
    response = logged_in(agent).get("/no/such/page/", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.content.decode() and escape(errors.PAGE_NOT_FOUND) in response.content.decode()


def test_the_refusal_pages_hold_in_debug_too(logged_in, agent, world):
    """The demo runs with DEBUG on: a console view's 404 is still the console's page, not Django's debug page."""
    with override_settings(DEBUG=True):
        response = logged_in(agent).get(f"/tickets/{world['blocked']}/")
    page = response.content.decode()
    assert response.status_code == 404
    assert escape(TICKET_NOT_FOUND) in page and NAVIGATION in page
    assert "DEBUG = True" not in page and "URLconf" not in page


def test_back_goes_to_the_page_the_person_came_from(logged_in, agent):
    client = logged_in(agent)
    came_from = reverse("contacts:list")
    response = client.get("/settings/", headers={"referer": f"http://testserver{came_from}"})
    assert f'class="button" href="{came_from}"' in response.content.decode()
    elsewhere = client.get("/settings/", headers={"referer": "https://evil.example/"})
    assert 'class="button" href="/"' in elsewhere.content.decode()


def test_the_500_page_needs_no_context_and_says_what_to_do(client):
    from django.views.defaults import server_error

    response = server_error(client.get("/login/").wsgi_request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and 'href="/"' in page


def test_an_unknown_url_in_debug_is_the_console_404_not_the_debug_page(logged_in, agent):
    """The demo runs with DEBUG on; a mistyped address still gets the console's page."""
    with override_settings(DEBUG=True):
        response = logged_in(agent).get("/tickets/no-such-page/")
        api = logged_in(agent).get("/api/v1/no-such-endpoint")
    page = response.content.decode()
    assert response.status_code == 404
    assert escape(errors.PAGE_NOT_FOUND) in page and NAVIGATION in page
    assert "DEBUG = True" not in page and "URLconf" not in page
    assert api.status_code == 404 and api.json() == {"detail": errors.PAGE_NOT_FOUND}


def test_a_form_without_its_csrf_token_is_refused_on_the_console_page(csrf_client, supervisor, world):
    response = csrf_client(supervisor).post(f"/contacts/{world['contact']}/block/", {"reason": "spam"})
    page = response.content.decode()
    assert response.status_code == 403
    assert escape(errors.CSRF_FAILED) in page and NAVIGATION in page
    assert not Contact.objects.get(pk=world["contact"]).is_blocked
