import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from accounts.models import ApiToken
from blockdesk import errors
from contacts.audit import SYSTEM_ACTOR
from contacts.models import AuditEntry, Block, Channel, Contact
from settings_app.switches import current_switches
from tests import factories
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def run(*args, **options) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue().splitlines()


# create_channel


def test_create_channel_prints_a_working_token_alone_on_the_last_line():
    lines = run("create_channel", "Support mail", "--kind", "email", "--signing-secret", "s3cret")

    token = lines[-1]
    assert token.startswith("bdc_") and " " not in token
    channel = Channel.objects.get(name="Support mail")
    assert (channel.kind, channel.signing_secret, channel.is_active) == ("email", "s3cret", True)
    assert Channel.objects.for_token(token) == channel
    assert token not in "\n".join(lines[:-1])
    assert channel.token_hash != token


def test_create_channel_is_audited_as_the_shell_operator():
    run("create_channel", "Support mail", "--kind", "email")

    entry = AuditEntry.objects.get()
    channel = Channel.objects.get()
    assert (entry.action, entry.actor, entry.channel, entry.subject) == (
        AuditEntry.Action.CHANNEL_CREATED,
        None,
        channel,
        "Support mail",
    )
    assert entry.who == SYSTEM_ACTOR


def test_create_channel_refuses_unknown_kind():
    with pytest.raises(CommandError, match="Unknown kind 'fax'"):
        run("create_channel", "Fax", "--kind", "fax")

    assert not Channel.objects.exists()
    assert not AuditEntry.objects.exists()


def test_create_channel_refuses_a_taken_name(channel):
    with pytest.raises(CommandError, match="already exists"):
        run("create_channel", channel.name, "--kind", "whatsapp")

    assert Channel.objects.get().token_hash == channel.token_hash
    assert not AuditEntry.objects.exists()


def test_create_channel_refuses_a_blank_name():
    with pytest.raises(CommandError, match=re.escape(errors.CHANNEL_NAME_INVALID)):
        run("create_channel", "   ", "--kind", "email")

    assert not Channel.objects.exists()


# create_api_token


def test_create_api_token_prints_a_working_token_alone_on_the_last_line(agent):
    lines = run("create_api_token", agent.username, "--name", "crm sync")

    token = lines[-1]
    assert token.startswith("bdu_") and " " not in token
    assert ApiToken.objects.user_for_token(token) == agent
    assert ApiToken.objects.get().name == "crm sync"


def test_create_api_token_is_audited_as_the_shell_operator_for_the_user(agent):
    token = run("create_api_token", agent.username, "--name", "crm sync")[-1]

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.target_user, entry.subject) == (
        AuditEntry.Action.API_TOKEN_ISSUED,
        None,
        agent,
        f"API token {token[:12]}… “crm sync”",
    )
    assert entry.who == SYSTEM_ACTOR


def test_create_api_token_refuses_unknown_user():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("create_api_token", "ghost")

    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.exists()


def test_create_api_token_refuses_inactive_user():
    factories.AgentFactory(username="gone", is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        run("create_api_token", "gone")


# seed_demo


def _snapshot() -> dict:
    return {
        "users": get_user_model().objects.count(),
        "channels": Channel.objects.count(),
        "contacts": Contact.objects.count(),
        "tickets": dict(Ticket.objects.values_list("status").annotate(n=Count("id")).order_by()),
        "messages": Message.objects.count(),
        "blocks": Block.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_seed_demo_fills_every_queue_is_rerunnable_and_resets_logins():
    first_output = run("seed_demo")
    first = _snapshot()

    assert first["channels"] == 2
    assert 45 <= first["contacts"] <= 55
    assert 190 <= sum(first["tickets"].values()) <= 210
    assert set(first["tickets"]) == set(TicketStatus.values)
    assert all(count > 0 for count in first["tickets"].values())
    blocked = Contact.objects.filter(is_blocked=True)
    assert blocked.count() == 5
    assert all(Ticket.objects.filter(contact=c, status=TicketStatus.BLOCKED).exists() for c in blocked)
    assert Block.objects.filter(lifted_at__isnull=True).count() == 5
    assert current_switches().block_contacts_enabled
    # Counters kept by the domain functions match the stored timelines.
    assert not Ticket.objects.annotate(n=Count("messages")).exclude(message_count=F("n")).exists()
    users = get_user_model().objects
    admin = users.get(username="admin")
    admin.set_password("changed")
    admin.save()

    second_output = run("seed_demo")

    assert _snapshot() == first
    for output in (first_output, second_output):
        assert any("admin / admin-demo-pass" in line for line in output)
        assert any("agent2 / agent2-demo-pass" in line for line in output)
    admin.refresh_from_db()
    assert admin.check_password("admin-demo-pass")
    assert admin.is_superuser and admin.groups.filter(name="Administrators").exists()
    assert users.get(username="supervisor").has_perm("contacts.unblock_contact")
    agent = users.get(username="agent1")
    assert agent.has_perm("tickets.work_ticket") and not agent.has_perm("contacts.unblock_contact")
