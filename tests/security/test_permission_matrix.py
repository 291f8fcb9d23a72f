"""Every console URL and every API endpoint × anonymous, agent, supervisor, administrator.

The expected answers are written from DESIGN.md (roles and permissions), not
read off the code: anonymous people are sent to the login page (console) or
get 401 (API); a role without the permission gets 403; an object the role may
not see (a blocked ticket or a BOT ticket for an agent) is 404; an allowed
state change redirects (console) or answers 200 (API). The URL resolver and
the OpenAPI document are enumerated, so a new page or endpoint without a row
here fails `test_every_url_has_a_row`.
"""

from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import ApiToken
from blockdesk.api import api
from channels.webchat_models import WebchatChannel
from contacts.block_rules import create_rule
from contacts.blocking import block_contact
from contacts.models import BlockReason, Channel, FloodFlag
from tests import factories
from tickets.models import SavedReply, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "agent", "supervisor", "administrator")
LOGIN = "login"  # expected: a redirect to the login page
OK_OR_REDIRECT = "root"  # ninja's bare /api/v1/ root: DESIGN says nothing; anything but an error


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the resolver's pattern, with <pk>-style placeholders
    url: str  # with {world} placeholders
    expected: tuple  # anonymous, agent, supervisor, administrator
    data: dict = field(default_factory=dict)
    api: bool = False


L = LOGIN
CONSOLE = [
    Row("GET", "", "/", (L, 302, 302, 302)),
    Row("GET", "login/", "/login/", (200, 302, 302, 302)),
    Row("POST", "logout/", "/logout/", (302, 302, 302, 302)),
    Row("GET", "healthz", "/healthz", (200, 200, 200, 200)),
    Row("GET", "contacts/", "/contacts/", (L, 200, 200, 200)),
    Row("GET", "contacts/<int:pk>/", "/contacts/{contact}/", (L, 200, 200, 200)),
    Row("GET", "contacts/<int:pk>/block/", "/contacts/{contact}/block/", (L, 200, 200, 200)),
    Row(
        "POST",
        "contacts/block/",
        "/contacts/block/",
        (L, 302, 302, 302),
        {"contact": "{contact}", "reason": "spam", "confirm": "on", "resolve_open_tickets": "on"},
    ),
    Row(
        "POST",
        "contacts/<int:pk>/block/",
        "/contacts/{contact}/block/",
        (L, 302, 302, 302),
        {"reason": "spam", "resolve_open_tickets": "on"},
    ),
    Row("GET", "contacts/<int:pk>/unblock/", "/contacts/{blocked_contact}/unblock/", (L, 403, 200, 200)),
    Row(
        "POST",
        "contacts/<int:pk>/unblock/",
        "/contacts/{blocked_contact}/unblock/",
        (L, 403, 302, 302),
        {"choice": "unblock_all"},
    ),
    Row("GET", "contacts/<int:pk>/edit/", "/contacts/{contact}/edit/", (L, 403, 403, 200)),
    Row("POST", "contacts/<int:pk>/edit/", "/contacts/{contact}/edit/", (L, 403, 403, 302), {"name": "Edited"}),
    Row("GET", "contacts/<int:pk>/merge/", "/contacts/{contact}/merge/?q=a", (L, 403, 200, 200)),
    Row(
        "GET",
        "contacts/<int:pk>/merge/<int:other>/",
        "/contacts/{contact}/merge/{other_contact}/",
        (L, 403, 200, 200),
    ),
    Row(
        "POST", "contacts/<int:pk>/merge/<int:other>/", "/contacts/{contact}/merge/{other_contact}/", (L, 403, 302, 302)
    ),
    Row("GET", "tickets/", "/tickets/", (L, 200, 200, 200)),
    Row("GET", "tickets/supervisor/", "/tickets/supervisor/", (L, 403, 200, 200)),
    Row("GET", "tickets/live/<slug:board>/", "/tickets/live/supervisor/", (L, 403, 200, 200)),
    Row("GET", "tickets/live/<slug:board>/", "/tickets/live/agent/", (L, 200, 200, 200)),
    Row(
        "GET",
        "tickets/blocked/confirm/",
        "/tickets/blocked/confirm/?action=unblock&ticket={blocked}",
        (L, 403, 200, 200),
    ),
    Row("POST", "tickets/blocked/unblock/", "/tickets/blocked/unblock/", (L, 403, 302, 302), {"ticket": "{blocked}"}),
    Row("POST", "tickets/blocked/delete/", "/tickets/blocked/delete/", (L, 403, 302, 302), {"ticket": "{blocked}"}),
    Row("GET", "tickets/<int:pk>/", "/tickets/{unassigned}/", (L, 200, 200, 200)),
    Row(
        "GET",
        "tickets/<int:pk>/timeline/",
        "/tickets/{unassigned}/timeline/?after=0&seen=unassigned",
        (L, 200, 200, 200),
    ),
    Row("GET", "tickets/<int:pk>/timeline/", "/tickets/{blocked}/timeline/?after=0&seen=blocked", (L, 404, 200, 200)),
    Row("POST", "tickets/<int:pk>/take/", "/tickets/{unassigned}/take/", (L, 302, 302, 302)),
    Row(
        "POST", "tickets/<int:pk>/assign/", "/tickets/{unassigned}/assign/", (L, 403, 302, 302), {"assignee": "{agent}"}
    ),
    Row("POST", "tickets/<int:pk>/resolve/", "/tickets/{own}/resolve/", (L, 302, 302, 302)),
    Row("POST", "tickets/<int:pk>/reply/", "/tickets/{own}/reply/", (L, 302, 302, 302), {"text": "On it."}),
    Row("POST", "tickets/<int:pk>/note/", "/tickets/{own}/note/", (L, 302, 302, 302), {"text": "Checked."}),
    Row("POST", "tickets/<int:pk>/handover/", "/tickets/{bot}/handover/", (L, 404, 302, 302)),
    Row("POST", "tickets/<int:pk>/unblock/", "/tickets/{blocked}/unblock/", (L, 404, 302, 302)),
    Row("POST", "tickets/<int:pk>/delete/", "/tickets/{blocked}/delete/", (L, 404, 302, 302)),
    Row("GET", "tickets/<int:pk>/delete/confirm/", "/tickets/{blocked}/delete/confirm/", (L, 404, 200, 200)),
    Row("GET", "tickets/failed/", "/tickets/failed/", (L, 403, 200, 200)),
    Row(
        "POST",
        "tickets/<int:pk>/messages/<int:message_pk>/retry/",
        "/tickets/{own}/messages/{own_failed}/retry/",
        (L, 302, 302, 302),
    ),
    Row("GET", "tickets/sla/", "/tickets/sla/", (L, 403, 200, 200)),
    Row("GET", "tickets/notices/", "/tickets/notices/", (L, 200, 200, 200)),
    Row("GET", "tickets/notices/count/", "/tickets/notices/count/", (L, 200, 200, 200)),
    Row("GET", "tickets/replies/", "/tickets/replies/", (L, 200, 200, 200)),
    Row("POST", "tickets/replies/add/", "/tickets/replies/add/", (L, 302, 302, 302), {"title": "Hi", "body": "Hello"}),
    Row("POST", "tickets/replies/<int:pk>/delete/", "/tickets/replies/{team_reply}/delete/", (L, 403, 302, 302)),
    Row("POST", "tickets/<int:pk>/reopen/", "/tickets/{own_resolved}/reopen/", (L, 302, 302, 302)),
    Row("GET", "tickets/<int:pk>/replies/", "/tickets/{unassigned}/replies/?q=hi", (L, 200, 200, 200)),
    Row("GET", "settings/", "/settings/", (L, 403, 403, 200)),
    Row("POST", "settings/", "/settings/", (L, 403, 403, 302), {"block_contacts_enabled": "on"}),
    Row("GET", "spam/suspected/", "/spam/suspected/", (L, 403, 200, 200)),
    Row("POST", "spam/suspected/<int:pk>/dismiss/", "/spam/suspected/{flag}/dismiss/", (L, 403, 302, 302)),
    Row("GET", "spam/suspected/<int:pk>/block/", "/spam/suspected/{flag}/block/", (L, 403, 200, 200)),
    Row(
        "POST",
        "spam/suspected/<int:pk>/block/",
        "/spam/suspected/{flag}/block/",
        (L, 403, 302, 302),
        {"reason": "spam", "duration": "forever"},
    ),
    Row("GET", "audit/", "/audit/", (L, 403, 403, 200)),
    Row("GET", "audit/export.csv", "/audit/export.csv", (L, 403, 403, 200)),
    Row("GET", "audit/blocked-contacts.csv", "/audit/blocked-contacts.csv", (L, 403, 403, 200)),
    Row("GET", "account/profile/", "/account/profile/", (L, 200, 200, 200)),
    Row("POST", "account/profile/", "/account/profile/", (L, 302, 302, 302), {"language": "", "time_zone": "UTC"}),
    Row("GET", "account/tokens/", "/account/tokens/", (L, 200, 200, 200)),
    Row("POST", "account/tokens/", "/account/tokens/", (L, 200, 200, 200), {"name": "matrix"}),
    Row("GET", "account/tokens/<int:pk>/revoke/", "/account/tokens/{own_token}/revoke/", (L, 200, 200, 200)),
    Row("POST", "account/tokens/<int:pk>/revoke/", "/account/tokens/{own_token}/revoke/", (L, 302, 302, 302)),
    # Someone else's token: not found for everyone, administrators included (they revoke in Django admin).
    Row("POST", "account/tokens/<int:pk>/revoke/", "/account/tokens/{outsiders_token}/revoke/", (L, 404, 404, 404)),
    Row("GET", "api/v1/docs", "/api/v1/docs", (L, 200, 200, 200)),
    Row("GET", "api/v1/openapi.json", "/api/v1/openapi.json", (200, 200, 200, 200)),
    Row("GET", "api/v1/", "/api/v1/", (OK_OR_REDIRECT,) * 4),
    Row("GET", "search/", "/search/?q=hello", (L, 200, 200, 200)),
]

API = [
    # Inbound is for channel tokens only: a personal token is not one (see test_inbound_needs_a_channel_token).
    Row("POST", "api/v1/inbound/messages", "/api/v1/inbound/messages", (401,) * 4, api=True),
    Row("POST", "api/v1/inbound/messages/batch", "/api/v1/inbound/messages/batch", (401,) * 4, api=True),
    Row("GET", "api/v1/contacts", "/api/v1/contacts", (401, 200, 200, 200), api=True),
    Row("GET", "api/v1/contacts/<contact_id>", "/api/v1/contacts/{contact}", (401, 200, 200, 200), api=True),
    Row(
        "POST",
        "api/v1/contacts/<contact_id>/block",
        "/api/v1/contacts/{contact}/block",
        (401, 200, 200, 200),
        {"reason": "spam", "note": "", "close_open_tickets": True},
        api=True,
    ),
    Row(
        "POST",
        "api/v1/contacts/bulk-block",
        "/api/v1/contacts/bulk-block",
        (401, 200, 200, 200),
        {"contact_ids": ["{contact}"], "reason": "spam"},
        api=True,
    ),
    Row(
        "POST",
        "api/v1/contacts/<contact_id>/unblock",
        "/api/v1/contacts/{blocked_contact}/unblock",
        (401, 403, 200, 200),
        {"tickets": "unblock_all"},
        api=True,
    ),
    Row(
        "PATCH",
        "api/v1/contacts/<contact_id>",
        "/api/v1/contacts/{contact}",
        (401, 403, 403, 200),
        {"name": "Edited"},
        api=True,
    ),
    Row(
        "POST",
        "api/v1/contacts/<contact_id>/merge",
        "/api/v1/contacts/{contact}/merge",
        (401, 403, 200, 200),
        {"other": "{other_contact}"},
        api=True,
    ),
    Row("GET", "api/v1/tickets", "/api/v1/tickets", (401, 200, 200, 200), api=True),
    Row("GET", "api/v1/tickets", "/api/v1/tickets?status=blocked", (401, 403, 200, 200), api=True),
    Row("GET", "api/v1/tickets/<ticket_id>", "/api/v1/tickets/{blocked}", (401, 404, 200, 200), api=True),
    Row("GET", "api/v1/tickets/<ticket_id>", "/api/v1/tickets/{unassigned}", (401, 200, 200, 200), api=True),
    Row(
        "POST",
        "api/v1/tickets/<ticket_id>/unblock",
        "/api/v1/tickets/{blocked}/unblock",
        (401, 404, 200, 200),
        api=True,
    ),
    Row(
        "POST", "api/v1/tickets/<ticket_id>/handover", "/api/v1/tickets/{bot}/handover", (401, 404, 200, 200), api=True
    ),
    Row(
        "POST",
        "api/v1/messages/<message_id>/retry",
        "/api/v1/messages/{own_failed}/retry",
        (401, 200, 200, 200),
        api=True,
    ),
    # Receipts are for channel tokens only, like inbound messages.
    Row("POST", "api/v1/outbound/receipts", "/api/v1/outbound/receipts", (401,) * 4, api=True),
    # Only the bot webhook's bot, with its secret: a personal token, anyone's, is not the bot's.
    Row(
        "POST",
        "api/v1/tickets/<ticket_id>/bot-reply",
        "/api/v1/tickets/{bot}/bot-reply",
        (401, 401, 401, 401),
        {"text": "Hello from the bot"},
        api=True,
    ),
    Row(
        "POST",
        "api/v1/tickets/<ticket_id>/reopen",
        "/api/v1/tickets/{own_resolved}/reopen",
        (401, 200, 200, 200),
        api=True,
    ),
    Row("GET", "api/v1/saved-replies", "/api/v1/saved-replies", (401, 200, 200, 200), api=True),
    Row(
        "POST",
        "api/v1/saved-replies",
        "/api/v1/saved-replies",
        (401, 201, 201, 201),
        {"title": "T", "text": "x"},
        api=True,
    ),
    Row(
        "DELETE",
        "api/v1/saved-replies/<reply_id>",
        "/api/v1/saved-replies/{team_reply}",
        (401, 403, 200, 200),
        api=True,
    ),
    Row("GET", "api/v1/settings", "/api/v1/settings", (401, 200, 200, 200), api=True),
    Row("PATCH", "api/v1/settings", "/api/v1/settings", (401, 403, 403, 200), {"bot_enabled": True}, api=True),
    Row("GET", "api/v1/suspected", "/api/v1/suspected", (401, 403, 200, 200), api=True),
    Row(
        "POST", "api/v1/suspected/<flag_id>/dismiss", "/api/v1/suspected/{flag}/dismiss", (401, 403, 200, 200), api=True
    ),
    Row(
        "POST",
        "api/v1/suspected/<flag_id>/block",
        "/api/v1/suspected/{flag}/block",
        (401, 403, 200, 200),
        {"reason": "spam"},
        api=True,
    ),
    Row("GET", "api/v1/search", "/api/v1/search?q=hello", (401, 200, 200, 200), api=True),
]

# The web chat is public (visitors, not console users): the same answer whoever is signed in. Its POSTs take
# the chat page's signed token instead of the console's CSRF token, so one without it is refused for everyone
# (tests/channels/test_webchat_page.py covers the visitor who has it).
WEBCHAT = [
    Row("GET", "chat/<uuid:public_id>/", "/chat/{chat}/", (200, 200, 200, 200)),
    Row("POST", "chat/<uuid:public_id>/messages/", "/chat/{chat}/messages/", (403,) * 4, {"text": "Hi"}),
    Row("POST", "chat/<uuid:public_id>/poll/", "/chat/{chat}/poll/?after=0", (403,) * 4),
    # The widget's own texts (button, frame title) in the visitor's language: public, as the widget is.
    Row("GET", "chat/<uuid:public_id>/widget/", "/chat/{chat}/widget/", (200,) * 4),
]

# Channel set-up is for administrators only (contacts.change_channel).
CHANNEL_SETUP = [
    Row("GET", "channels/", "/channels/", (L, 403, 403, 200)),
    Row("GET", "channels/new/", "/channels/new/", (L, 403, 403, 200)),
    Row("POST", "channels/new/", "/channels/new/", (L, 403, 403, 200), {"name": "Brand new", "kind": "api"}),
    Row("GET", "channels/<int:pk>/", "/channels/{chat_channel}/", (L, 403, 403, 200)),
    Row("POST", "channels/<int:pk>/", "/channels/{chat_channel}/", (L, 403, 403, 400), {"name": ""}),
    Row("GET", "channels/<int:pk>/rotate/", "/channels/{chat_channel}/rotate/", (L, 403, 403, 200)),
    Row("POST", "channels/<int:pk>/rotate/", "/channels/{chat_channel}/rotate/", (L, 403, 403, 200)),
    Row("GET", "channels/<int:pk>/deactivate/", "/channels/{chat_channel}/deactivate/", (L, 403, 403, 200)),
    Row("POST", "channels/<int:pk>/deactivate/", "/channels/{chat_channel}/deactivate/", (L, 403, 403, 302)),
    Row("POST", "channels/<int:pk>/activate/", "/channels/{chat_channel}/activate/", (L, 403, 403, 302)),
    # A web chat has no test to send: 404 saying so (tests/channels/test_setup_pages.py).
    Row("POST", "channels/<int:pk>/test/", "/channels/{chat_channel}/test/", (L, 403, 403, 404)),
]

# Block rules are the supervisors' and administrators' (contacts.*_blockrule), in the console and the API.
BLOCK_RULES = [
    Row("GET", "spam/rules/", "/spam/rules/", (L, 403, 200, 200)),
    Row("GET", "spam/rules/add/", "/spam/rules/add/", (L, 403, 200, 200)),
    Row(
        "POST",
        "spam/rules/add/",
        "/spam/rules/add/",
        (L, 403, 302, 302),
        {"kind": "email", "value": "bot@spam.io", "action": "reject"},
    ),
    Row("GET", "spam/rules/<int:pk>/edit/", "/spam/rules/{rule}/edit/", (L, 403, 200, 200)),
    Row(
        "POST",
        "spam/rules/<int:pk>/edit/",
        "/spam/rules/{rule}/edit/",
        (L, 403, 302, 302),
        {"value": "junk.example", "action": "reject"},
    ),
    Row("GET", "spam/rules/<int:pk>/delete/", "/spam/rules/{rule}/delete/", (L, 403, 200, 200)),
    Row("POST", "spam/rules/<int:pk>/delete/", "/spam/rules/{rule}/delete/", (L, 403, 302, 302)),
    Row("GET", "api/v1/rules", "/api/v1/rules", (401, 403, 200, 200), api=True),
    Row(
        "POST",
        "api/v1/rules",
        "/api/v1/rules",
        (401, 403, 201, 201),
        {"kind": "email", "value": "bot@spam.io", "action": "reject"},
        api=True,
    ),
    Row("GET", "api/v1/rules/<rule_id>", "/api/v1/rules/{rule}", (401, 403, 200, 200), api=True),
    Row("PATCH", "api/v1/rules/<rule_id>", "/api/v1/rules/{rule}", (401, 403, 200, 200), {"action": "allow"}, api=True),
    Row("DELETE", "api/v1/rules/<rule_id>", "/api/v1/rules/{rule}", (401, 403, 200, 200), api=True),
    # The spam overview: supervisors and administrators (tickets.view_blocked_ticket).
    Row("GET", "spam/", "/spam/", (L, 403, 200, 200)),
    Row("GET", "api/v1/spam/overview", "/api/v1/spam/overview", (401, 403, 200, 200), api=True),
]

# The providers' webhooks are public and check the provider's signature or secret instead of a session:
# the same answer whoever is signed in (tests/channels covers the provider that signs).
HOOKS = [
    Row("POST", "hooks/telegram/<int:channel_id>/", "/hooks/telegram/{chat_channel}/", (404,) * 4, {"update_id": 1}),
    Row("GET", "hooks/whatsapp/<int:channel_id>/", "/hooks/whatsapp/{chat_channel}/", (404,) * 4),
]

ROWS = CONSOLE + CHANNEL_SETUP + HOOKS + WEBCHAT + API + BLOCK_RULES
CASES = [(row, persona, expected) for row in ROWS for persona, expected in zip(PERSONAS, row.expected, strict=True)]


def _case_id(case) -> str:
    row, persona, _ = case
    return f"{row.method} {row.url} {persona}"


@pytest.fixture
def world(request, blocking_on, channel, agent, supervisor, administrator):
    """One of each thing a URL can point at."""
    contact = factories.ContactFactory()
    blocked_contact = factories.ContactFactory()
    block_contact(actor=administrator, contact=blocked_contact, reason=BlockReason.SPAM)
    blocked = factories.TicketFactory(contact=blocked_contact, channel=channel, status=TicketStatus.BLOCKED)
    factories.MessageFactory(ticket=blocked)
    unassigned = factories.TicketFactory(channel=channel, status=TicketStatus.UNASSIGNED)
    bot = factories.TicketFactory(channel=channel, status=TicketStatus.BOT)
    outsiders_token, _ = ApiToken.issue(user=factories.AgentFactory(username="outsider"))
    chat = WebchatChannel.objects.create(channel=factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT))
    return {
        "chat": chat.public_id,
        "chat_channel": chat.channel_id,
        "outsiders_token": outsiders_token.pk,
        "contact": contact.pk,
        "other_contact": factories.ContactFactory().pk,
        "blocked_contact": blocked_contact.pk,
        "blocked": blocked.pk,
        "unassigned": unassigned.pk,
        "bot": bot.pk,
        "agent": agent.pk,
        "team_reply": SavedReply.objects.create(title="Greeting", body="Hello {contact_name}").pk,
        "rule": create_rule(actor=administrator, kind="domain", value="spam.example", action="quarantine").pk,
        "flag": FloodFlag.objects.create(
            contact=factories.ContactFactory(),
            channel=channel,
            flagged_at=timezone.now(),
            messages=31,
            window_minutes=5,
        ).pk,
        "users": {"agent": agent, "supervisor": supervisor, "administrator": administrator},
    }


def _own_ticket(world, persona):
    """A ticket assigned to the acting person (agents may only write in their own)."""
    user = world["users"].get(persona) or world["users"]["agent"]
    return factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=user).pk


def _own_resolved_ticket(world, persona):
    """A resolved ticket the acting person had (agents may reopen only theirs)."""
    user = world["users"].get(persona) or world["users"]["agent"]
    return factories.TicketFactory(status=TicketStatus.RESOLVED, assignee=user).pk


def _own_token(world, persona):
    """A personal API token of the acting person."""
    user = world["users"].get(persona) or world["users"]["agent"]
    return ApiToken.issue(user=user)[0].pk


def _fill(value, values):
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list):  # a JSON list of ids
        return [int(_fill(item, values)) for item in value]
    return value


def _request(client, row, world, persona, headers=None):
    values = {k: v for k, v in world.items() if k != "users"}
    values["own"] = _own_ticket(world, persona)
    values["own_token"] = _own_token(world, persona)
    values["own_failed"] = factories.MessageFactory(
        ticket=Ticket.objects.get(pk=values["own"]), direction="out", delivery_state="failed", external_id=None
    ).pk
    values["own_resolved"] = _own_resolved_ticket(world, persona)
    url = row.url.format(**values)
    data = {key: _fill(value, values) for key, value in row.data.items()}
    method = getattr(client, row.method.lower())
    if row.api:
        return method(url, data, content_type="application/json", headers=headers or {})
    if row.method == "GET":
        return method(url)
    return method(url, data)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matrix(client, world, case):
    row, persona, expected = case
    headers = {}
    if persona != "anonymous":
        user = world["users"][persona]
        if row.api:
            _, raw = ApiToken.issue(user=user)
            headers = {"Authorization": f"Bearer {raw}"}
        else:
            client.force_login(user)
    response = _request(client, row, world, persona, headers)
    if expected == LOGIN:
        assert response.status_code == 302, response.content[:300]
        assert response["Location"].startswith("/login/")
    elif expected == OK_OR_REDIRECT:
        assert response.status_code in (200, 301, 302, 404)
    else:
        assert response.status_code == expected, response.content[:300]
        if expected == 302 and persona != "anonymous" and row.route != "logout/":
            assert not response["Location"].startswith("/login/")
    if row.api and response.status_code >= 400:
        assert "detail" in response.json()


def test_inbound_needs_a_channel_token(client, channel):
    raw = channel.set_new_token()
    channel.save()
    body = {"message_id": "wamid.matrix", "contact": {"id": "+62800"}, "text": "Hi"}
    response = client.post(
        "/api/v1/inbound/messages", body, content_type="application/json", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 201


POSTS = [row for row in CONSOLE + BLOCK_RULES if row.method == "POST" and not row.api]


@pytest.mark.parametrize("row", POSTS, ids=[row.url for row in POSTS])
def test_console_posts_need_a_csrf_token(world, row):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["administrator"])
    assert _request(client, row, world, "administrator").status_code == 403


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django admin: staff only, its own login; covered by test_admin_is_staff_only
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_url_has_a_row():
    assert set(_routes(get_resolver().url_patterns)) == {row.route for row in ROWS}


def test_every_api_operation_has_a_row():
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), path.strip("/").replace("{", "<").replace("}", ">"))
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert operations == {(row.method, row.route) for row in API + BLOCK_RULES if row.api}


@pytest.mark.parametrize(
    ("persona", "expected"), [("agent", 302), ("supervisor", 302), ("administrator", 200)], ids=str
)
def test_admin_is_staff_only(client, world, persona, expected):
    client.force_login(world["users"][persona])
    response = client.get("/admin/")
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/admin/login/")
