"""Texts made in Python (blockdesk, contacts, spam) in Bahasa Indonesia: refusals, notices, labels, choices, charts.

Each is asked for by a person whose language is Bahasa Indonesia (the API: with Accept-Language: id), with the
project's catalogue (tests/i18n/conftest.py). What is stored (timeline notes, audit text) stays English.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import ApiToken
from blockdesk import errors
from blockdesk.display import person_name, who_blocked
from contacts.block_rules import create_rule
from contacts.blocking import block_contact
from contacts.flood_guard import FLOOD_GUARD
from contacts.models import AuditEntry, Block, BlockReason, Contact, RuleAction, RuleKind
from tests import factories
from tests.i18n.conftest import in_indonesian, page
from tests.spam.seed import blocked_message, blocked_ticket
from tickets.models import Message, TicketStatus

pytestmark = pytest.mark.django_db


def notices(response) -> list[str]:
    return [str(notice) for notice in get_messages(response.wsgi_request)]


def test_a_refused_action_says_the_domain_error_in_indonesian(indonesian_catalogue, client, agent):
    contact = factories.ContactFactory(name="Budi")

    response = in_indonesian(client, agent).get(reverse("contacts:block", args=[contact.pk]))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Pemblokiran kontak dimatikan. Administrator dapat menyalakannya di Pengaturan sistem." in html
    assert errors.BLOCKING_DISABLED not in html


def test_the_api_answers_in_the_language_asked_for(indonesian_catalogue, client, supervisor, set_switches):
    set_switches(block_contacts_enabled=True)
    contact = factories.ContactFactory()
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)
    _, token = ApiToken.issue(user=supervisor)

    def block_again(language: str):
        return client.post(
            f"/api/v1/contacts/{contact.pk}/block",
            {"reason": "spam"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_ACCEPT_LANGUAGE=language,
        )

    indonesian = block_again("id")
    assert indonesian.status_code == 409
    assert indonesian.json() == {"detail": "Kontak ini sudah diblokir."}
    assert block_again("en").json() == {"detail": errors.ALREADY_BLOCKED}


def test_bulk_block_notice_counts_in_indonesian(indonesian_catalogue, client, supervisor, set_switches):
    set_switches(block_contacts_enabled=True)
    chosen = [factories.ContactFactory(name=name).pk for name in ("Budi", "Sari")]

    response = in_indonesian(client, supervisor).post(
        reverse("contacts:bulk_block"), {"contact": chosen, "reason": "spam", "duration": "forever", "confirm": "on"}
    )

    assert notices(response) == ["2 kontak diblokir."]


def test_a_form_error_speaks_indonesian(indonesian_catalogue, client, supervisor, set_switches):
    set_switches(block_contacts_enabled=True)
    contact = factories.ContactFactory(name="Budi")

    response = in_indonesian(client, supervisor).post(
        reverse("contacts:block", args=[contact.pk]), {"reason": "spam", "duration": "date", "until": "someday"}
    )

    html = response.content.decode()
    assert "Masukkan tanggal sebagai TTTT-BB-HH." in html
    assert "Enter the date as YYYY-MM-DD." not in html


def test_audit_trail_action_labels_and_filter_errors_speak_indonesian(
    indonesian_catalogue, client, administrator, set_switches
):
    set_switches(block_contacts_enabled=True)
    block_contact(actor=administrator, contact=factories.ContactFactory(name="Budi"), reason=BlockReason.SPAM)
    client = in_indonesian(client, administrator)

    html = page(client, reverse("audit:trail"), since="2026-12-09", until="2026-12-01")

    assert "Memblokir kontak" in html and "Blocked contact" not in html
    assert "Tanggal mulai setelah tanggal akhir." in html


def test_choice_labels_and_who_blocked_speak_the_active_language(indonesian_catalogue):
    with translation.override("id"):
        assert [str(reason.label) for reason in BlockReason] == ["Spam", "Penyalahgunaan", "Lainnya"]
        assert str(RuleAction.QUARANTINE.label) == "Karantina"
        assert who_blocked(Block(actor_name=FLOOD_GUARD)) == "penjaga banjir pesan"
        assert who_blocked(Contact(blocked_by_rule_id=7)) == "aturan 7"
    assert who_blocked(Block(actor_name=FLOOD_GUARD)) == "flood guard"


def test_spam_overview_charts_speak_indonesian(indonesian_catalogue, client, supervisor):
    ticket = blocked_ticket(factories.ContactFactory(), factories.ChannelFactory(name="WhatsApp"))
    blocked_message(ticket, timezone.now())

    html = page(in_indonesian(client, supervisor), reverse("spam:overview"))

    assert "Pesan yang diblokir per hari menurut kanal, 30 hari terakhir" in html
    assert "1 pesan pelanggan masuk ke tiket yang diblokir." in html
    assert "WhatsApp: 1 pesan yang diblokir</title>" in html
    assert "Blocked messages per day by channel" not in html


def test_what_is_stored_stays_english_whoever_acts(indonesian_catalogue, client, supervisor, set_switches):
    set_switches(block_contacts_enabled=True)
    contact = factories.ContactFactory(name="Budi")
    ticket = factories.TicketFactory(contact=contact, status=TicketStatus.UNASSIGNED)

    response = in_indonesian(client, supervisor).post(
        reverse("contacts:block", args=[contact.pk]), {"reason": "abuse", "resolve_open_tickets": "on"}
    )
    with translation.override("id"):
        rule = create_rule(actor=supervisor, kind=RuleKind.EMAIL, value="spam@example.com", action="quarantine")
        shown = str(rule)

    assert notices(response)[0].startswith("Budi diblokir. 1 tiket terbuka diselesaikan.")
    note = Message.objects.get(ticket=ticket, direction=Message.Direction.NOTE)
    assert note.body == f"Contact blocked by {person_name(supervisor)} (abuse): ticket resolved."
    assert shown == f"Aturan {rule.pk}: karantina alamat email spam@example.com"
    audited = AuditEntry.objects.get(action=AuditEntry.Action.RULE_CREATED)
    assert audited.subject == f"Rule {rule.pk}: quarantine e-mail address spam@example.com"
