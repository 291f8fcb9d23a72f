import itertools
import re
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import ApiToken
from blockdesk import errors
from channels.webchat_models import WebchatChannel
from contacts.audit import SYSTEM_ACTOR
from contacts.models import AuditEntry, Block, Channel, Contact
from settings_app.models import BotAnswerer, SystemSettings
from settings_app.switches import current_switches
from tests import factories
from tickets import builtin_bot
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
    # Every queue, the BOT's too: the BOT is on, the built-in bot answers, and one customer asked for a person.
    assert set(first["tickets"]) == set(TicketStatus.values)
    assert all(count > 0 for count in first["tickets"].values())
    assert first["tickets"][TicketStatus.BOT] == 3
    assert current_switches().bot_enabled
    assert SystemSettings.objects.get().bot_answerer == BotAnswerer.BUILTIN
    for ticket in Ticket.objects.filter(status=TicketStatus.BOT):
        question, answer = ticket.messages.order_by("sent_at")
        assert (question.direction, answer.direction, answer.author) == ("in", "out", None)
        assert answer.body == builtin_bot.answer(question.body).text
    handed_over = Message.objects.get(body="Can I talk to a human?").ticket
    assert handed_over.status == TicketStatus.UNASSIGNED
    assert handed_over.messages.last().body == builtin_bot.HAND_OVER_TEXT
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


def test_seed_demo_makes_a_web_chat_and_prints_its_chat_page_each_time(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    first_output = run("seed_demo")
    chat = WebchatChannel.objects.get()
    assert chat.channel.name == "Web chat" and chat.channel.kind == Channel.Kind.WEBCHAT
    assert chat.origins == ["http://127.0.0.1:8123", "http://localhost:8123"]
    second_output = run("seed_demo")
    assert WebchatChannel.objects.get() == chat
    line = f"Demo web chat (write as a customer): http://127.0.0.1:8123/chat/{chat.public_id}/"
    assert line in first_output and line in second_output


def test_seed_demo_spreads_conversations_over_the_past_days_in_a_believable_order():
    before = timezone.now()
    run("seed_demo")

    messages = list(Message.objects.order_by("sent_at", "id"))
    assert min(m.sent_at for m in messages) >= before - timedelta(days=15)
    assert max(m.sent_at for m in messages) <= before
    opened_per_day = Counter(timezone.localdate(t.created_at) for t in Ticket.objects.all())
    assert len(opened_per_day) >= 12
    assert sorted(opened_per_day.values())[len(opened_per_day) // 2] >= 5  # several a day, not all at once
    for ticket in Ticket.objects.prefetch_related("messages"):
        timeline = list(ticket.messages.all())
        to_or_from_customer = [m for m in timeline if m.direction != Message.Direction.NOTE]
        assert timeline[0].direction == Message.Direction.IN  # the customer writes first
        assert ticket.created_at == timeline[0].sent_at
        assert ticket.last_message_at == to_or_from_customer[-1].sent_at
        assert [m.sent_at for m in timeline] == sorted({m.sent_at for m in timeline})  # no two at one minute
        if ticket.closed_at is not None:
            assert ticket.closed_at >= timeline[-1].sent_at
    # One open conversation per contact and channel at any moment: a contact's tickets follow each other.
    for contact in Contact.objects.all():
        spans = [(t.created_at, t.closed_at or before) for t in contact.tickets.order_by("created_at")]
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    for block in Block.objects.select_related("contact"):
        assert block.contact.blocked_at == block.blocked_at == AuditEntry.objects.get(block=block).at
        blocked_ticket = block.contact.tickets.get(status=TicketStatus.BLOCKED)
        assert blocked_ticket.created_at > block.blocked_at
    unassigned = Ticket.objects.filter(status=TicketStatus.UNASSIGNED)
    assert all(before - t.last_message_at < timedelta(days=1) for t in unassigned)


def test_seed_demo_names_do_not_repeat():
    run("seed_demo")

    names = list(Contact.objects.values_list("name", flat=True))
    assert len(names) == len(set(names)) == 50


def test_seed_demo_gives_open_tickets_realistic_waiting_times():
    """Issue 16: the demo's queues show who waits and since when, as the timelines say."""
    before = timezone.now()
    run("seed_demo")

    unassigned = list(Ticket.objects.filter(status=TicketStatus.UNASSIGNED))
    waits = sorted((before - t.waiting_since).total_seconds() // 60 for t in unassigned)
    handed_over = {t.pk for t in unassigned if t.messages.filter(direction="out", author=None).exists()}
    assert len(handed_over) == 1  # the demo customer who asked the BOT for a person
    assert all(t.last_speaker == ("out" if t.pk in handed_over else "in") for t in unassigned)
    assert waits[0] >= 4 and waits[-1] <= 4 * 60 + 1  # from minutes to a few hours, not one minute for all
    assert len(set(waits)) > len(waits) // 2
    for ticket in Ticket.objects.filter(status=TicketStatus.ASSIGNED).prefetch_related("messages"):
        said = [m for m in ticket.messages.all() if m.direction != Message.Direction.NOTE]
        assert ticket.last_speaker == said[-1].direction
        replied = [m.sent_at for m in said if m.direction == Message.Direction.OUT]
        assert ticket.first_reply_at == replied[0]
        assert ticket.waiting_since == (said[-1].sent_at if said[-1].direction == Message.Direction.IN else None)
    assert not Ticket.objects.filter(status=TicketStatus.RESOLVED, waiting_since__isnull=False).exists()
