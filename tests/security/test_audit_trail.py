"""The audit trail page and the CSV exports: who may see them, filters, content and escaping."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tokens import issue_api_token, revoke_api_token
from blockdesk.display import format_when
from contacts.audit_views import AUDIT_CSV_HEADER, BLOCKED_CSV_HEADER, safe_cell
from contacts.blocking import block_contact, release_blocked_tickets, unblock_contact
from contacts.channels import create_channel, deactivate_channel
from contacts.models import DELETED_USER, AuditEntry, BlockReason, Contact, UnblockChoice
from settings_app.switches import update_switches
from tests import factories
from tests.inbound import deliver

pytestmark = pytest.mark.django_db

TRAIL = reverse("audit:trail")
TRAIL_CSV = reverse("audit:trail_csv")
BLOCKED_CSV = reverse("audit:blocked_contacts_csv")


def _csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def history(blocking_on, supervisor, agent, channel):
    """A small history: a block with Delete All, a block with Unblock All, a ticket let through."""
    spammer = factories.ContactFactory(name="Spam King", phone="+6281111111")
    factories.ContactIdentityFactory(contact=spammer, channel=channel, external_id="+6281111111")
    block_contact(actor=agent, contact=spammer, reason=BlockReason.SPAM)
    deliver(channel, "+6281111111", "buy now")
    deliver(channel, "+6281111111", "buy more")
    unblock_contact(actor=supervisor, contact=spammer, choice=UnblockChoice.DELETE_ALL)

    rude = factories.ContactFactory(name="Rude Rita", phone="+6282222222")
    factories.ContactIdentityFactory(contact=rude, channel=channel, external_id="+6282222222")
    block_contact(actor=supervisor, contact=rude, reason=BlockReason.ABUSE, note="shouting")
    routed = deliver(channel, "+6282222222", "let me through")
    release_blocked_tickets(actor=supervisor, ticket_ids=[routed.ticket.pk])
    return {"spammer": spammer, "rude": rude, "ticket": routed.ticket}


@pytest.mark.parametrize(
    ("persona", "expected"), [("anonymous", 302), ("agent", 403), ("supervisor", 403), ("administrator", 200)]
)
def test_who_may_see_the_audit_pages(request, client, persona, expected):
    """The trail and both exports are for administrators only (the blocked contacts CSV too)."""
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    for url in (TRAIL, TRAIL_CSV, BLOCKED_CSV):
        response = client.get(url)
        assert response.status_code == expected, url
        if expected == 302:
            assert response["Location"].startswith(reverse("login"))
    assert client.post(TRAIL).status_code in (302, 405)


def test_the_trail_lists_every_action_with_counts(client, administrator, history):
    client.force_login(administrator)
    response = client.get(TRAIL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<tr>") == 1 + 4  # header + blocked, delete_all, blocked, released
    for text in (
        "Blocked contact",
        "Unblocked contact (Delete All)",
        "1 ticket and 2 messages deleted",
        f"Ticket #{history['ticket'].pk} (1 message) released",
        "Spam King",
        "Rude Rita",
        "Sari",
        "Ana",
    ):
        assert text in page


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ({"action": "delete_all"}, ["delete_all"]),
        ({"actor": "ana"}, ["blocked"]),
        ({"q": "rita"}, ["ticket_released", "blocked"]),
        ({"q": "+6281111"}, ["delete_all", "blocked"]),
        ({"action": "blocked", "actor": "super"}, ["blocked"]),
    ],
)
def test_filters(client, administrator, history, query, actions):
    client.force_login(administrator)
    rows = _csv(client.get(TRAIL_CSV, query))
    assert [row["action"] for row in rows] == actions
    assert client.get(TRAIL, query).context["page"].paginator.count == len(actions)


def test_date_range(client, administrator, history):
    client.force_login(administrator)
    AuditEntry.objects.filter(action=AuditEntry.Action.TICKET_RELEASED).update(at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()
    recent = _csv(client.get(TRAIL_CSV, {"since": today.isoformat()}))
    assert [row["action"] for row in recent] == ["blocked", "delete_all", "blocked"]
    old = _csv(client.get(TRAIL_CSV, {"until": (today - timedelta(days=5)).isoformat()}))
    assert [row["action"] for row in old] == ["ticket_released"]
    backwards = client.get(TRAIL, {"since": today.isoformat(), "until": (today - timedelta(days=1)).isoformat()})
    assert "The start date is after the end date." in backwards.content.decode()


def test_pagination_and_constant_query_count(client, administrator, supervisor, blocking_on):
    client.force_login(administrator)

    def add_entries(count):
        for _ in range(count):
            contact = factories.ContactFactory()
            block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)

    add_entries(3)
    client.get(TRAIL)  # warm caches (switches)
    with CaptureQueriesContext(connection) as small:
        client.get(TRAIL)
    add_entries(60)
    with CaptureQueriesContext(connection) as large:
        response = client.get(TRAIL)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(response.context["entries"]) == 50
    assert "Page 1 of 2" in response.content.decode()
    assert len(client.get(TRAIL, {"page": 2}).context["entries"]) == 13


def test_audit_csv_columns(client, administrator, history):
    client.force_login(administrator)
    response = client.get(TRAIL_CSV)
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert list(rows[0].keys()) == AUDIT_CSV_HEADER
    delete_all = next(row for row in rows if row["action"] == "delete_all")
    assert delete_all["actor"] == "Sari"  # named as the console names people: full name, else username
    assert delete_all["contact_name"] == "Spam King"
    assert delete_all["contact_phone"] == "'+6281111111"  # starts with +: quoted against formulas
    assert (delete_all["tickets"], delete_all["messages"]) == ("1", "2")
    assert delete_all["block_reason"] == "spam"


def test_blocked_contacts_csv(client, administrator, supervisor, blocking_on):
    client.force_login(administrator)
    hostile = factories.ContactFactory(name='=HYPERLINK("http://evil.example","x")', phone="123", email="a@example.com")
    block_contact(actor=supervisor, contact=hostile, reason=BlockReason.OTHER, note='He said "hi",\nthen @SUM(A1)')
    factories.ContactFactory(name="Not blocked")
    rows = _csv(client.get(BLOCKED_CSV))
    assert len(rows) == 1
    row = rows[0]
    assert list(row.keys()) == BLOCKED_CSV_HEADER
    assert row["name"] == "'" + hostile.name
    assert row["note"] == 'He said "hi",\nthen @SUM(A1)'  # quotes and newlines survive CSV escaping
    assert row["blocked_by"] == "Sari" and row["reason"] == "other"
    assert row["blocked_at"] == format_when(Contact.objects.get(pk=hostile.pk).blocked_at)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+62", "'+62"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Budi", "Budi"),
        ("a=b", "a=b"),
        (None, ""),
        (7, "7"),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


# Beyond blocking: switches, channels and personal API tokens


@pytest.fixture
def other_acts(administrator, agent):
    """A switch change, a channel made from the shell and switched off, a token made by its owner and revoked."""
    update_switches(actor=administrator, bot_enabled=True)
    mail, _ = create_channel(actor=None, name="Support mail", kind="email")
    deactivate_channel(actor=administrator, channel=mail)
    token, raw = issue_api_token(actor=agent, owner=agent, name="crm")
    revoke_api_token(actor=administrator, token=token)
    return {"channel": mail, "raw": raw}


def test_the_trail_shows_who_changed_what_beyond_blocking(client, administrator, other_acts):
    client.force_login(administrator)

    page = client.get(TRAIL).content.decode()

    prefix = other_acts["raw"][:12]
    for text in (
        "Changed a system switch",
        "System settings: BOT",
        "off → on",
        "Created channel",
        "Channel “Support mail”",
        "system (shell)",
        "Switched channel off",
        "on → off",
        "Made personal API token",
        "Revoked personal API token",
        f'API token {prefix}… “crm” <span class="muted small">of Ana</span>',
    ):
        assert text in page, text
    assert page.count("<tr>") == 1 + 5


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ({"action": "switch_changed"}, ["switch_changed"]),
        ({"action": "channel_deactivated"}, ["channel_deactivated"]),
        ({"action": "api_token_revoked"}, ["api_token_revoked"]),
        ({"q": "support"}, ["channel_deactivated", "channel_created"]),
        ({"q": "crm"}, ["api_token_revoked", "api_token_issued"]),
        ({"actor": "system"}, ["channel_created"]),
        ({"actor": "adi"}, ["api_token_revoked", "channel_deactivated", "switch_changed"]),
    ],
)
def test_filters_find_the_new_acts(client, administrator, other_acts, query, actions):
    client.force_login(administrator)
    rows = _csv(client.get(TRAIL_CSV, query))
    assert [row["action"] for row in rows] == actions
    assert client.get(TRAIL, query).context["page"].paginator.count == len(actions)


def test_audit_csv_rows_for_the_new_acts(client, administrator, other_acts):
    client.force_login(administrator)

    rows = {row["action"]: row for row in _csv(client.get(TRAIL_CSV))}

    switch = rows["switch_changed"]
    assert (switch["actor"], switch["subject"], switch["change"], switch["contact_id"]) == (
        "Adi",
        "BOT",
        "off → on",
        "",
    )
    created = rows["channel_created"]
    channel = other_acts["channel"]
    assert (created["actor"], created["channel_id"], created["channel_name"]) == (
        "system (shell)",
        str(channel.pk),
        "Support mail",
    )
    revoked = rows["api_token_revoked"]
    assert (revoked["actor"], revoked["person"]) == ("Adi", "Ana")
    assert revoked["subject"] == f"API token {other_acts['raw'][:12]}… “crm”"


def test_one_date_time_format_on_the_page_and_in_the_csv(client, administrator, other_acts, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    at = timezone.make_aware(datetime(2026, 11, 23, 3, 5), UTC)
    AuditEntry.objects.filter(action=AuditEntry.Action.SWITCH_CHANGED).update(at=at)
    client.force_login(administrator)

    page = client.get(TRAIL, {"action": "switch_changed"}).content.decode()
    (row,) = _csv(client.get(TRAIL_CSV, {"action": "switch_changed"}))

    assert format_when(at) == "2026-11-23 10:05"  # the active time zone, Jakarta is UTC+7
    assert ">2026-11-23 10:05</time>" in page
    assert row["at"] == "2026-11-23 10:05"


def test_a_contact_action_without_a_contact_is_refused_by_the_database(supervisor):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.create(action=AuditEntry.Action.BLOCKED, actor=supervisor, at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.create(action=AuditEntry.Action.CHANNEL_CREATED, actor=supervisor, at=timezone.now())


def test_a_deleted_persons_acts_stay_with_a_clear_name(administrator, other_acts):
    administrator.delete()

    entry = AuditEntry.objects.get(action=AuditEntry.Action.SWITCH_CHANGED)

    assert (entry.actor, entry.who) == (None, DELETED_USER)
