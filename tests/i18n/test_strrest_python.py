"""Texts made in Python by tickets, channels, accounts and settings_app, and the web chat's, in Bahasa Indonesia.

Each test asks as an Indonesian person (their profile) or an Indonesian visitor (Accept-Language), with the
project's catalogue (tests/i18n/conftest.py).
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from blockdesk.display import person_name
from channels.webchat_models import WebchatChannel
from contacts.models import AuditEntry, Channel
from settings_app import bot
from settings_app.flood_settings import (
    FLOOD_MESSAGES_INVALID,
    FLOOD_MESSAGES_MAX,
    FLOOD_MESSAGES_MIN,
    FLOOD_MINUTES_INVALID,
    FLOOD_MINUTES_MAX,
    FLOOD_MINUTES_MIN,
)
from settings_app.retention import RETENTION_INVALID, RETENTION_MAX_DAYS, RETENTION_MIN_DAYS
from settings_app.switches import WAITING_ALERT_INVALID, WAITING_ALERT_MAX, WAITING_ALERT_MIN
from tests import factories
from tests.i18n.conftest import in_indonesian, page
from tickets.destination import next_message_destination
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def chat():
    channel = factories.ChannelFactory(name="Toko", kind=Channel.Kind.WEBCHAT)
    return WebchatChannel.objects.create(channel=channel, allowed_origins=SHOP)


def _widget_texts(client, chat, **headers):
    return client.get(reverse("webchat:widget", args=[chat.public_id]), headers=headers)


def test_the_widget_gets_its_texts_in_the_visitors_language(indonesian_catalogue, client, chat):
    indonesian = _widget_texts(client, chat, origin=SHOP, accept_language="id-ID,id;q=0.9,en;q=0.5")
    english = _widget_texts(client, chat, origin=SHOP, accept_language="fr-FR,fr;q=0.9")

    assert indonesian.json() == {"open": "Obrolan dengan kami", "close": "Tutup obrolan", "title": "Obrolan"}
    assert english.json() == {"open": "Chat with us", "close": "Close chat", "title": "Chat"}
    # Only the channel's allowed sites may read them; caches keep one answer per language and site.
    assert indonesian["Access-Control-Allow-Origin"] == SHOP
    assert {"Accept-Language", "Origin"} <= {part.strip() for part in indonesian["Vary"].split(",")}


def test_another_site_cannot_read_the_widget_texts_and_an_unknown_chat_has_none(indonesian_catalogue, client, chat):
    foreign = _widget_texts(client, chat, origin="https://evil.example.net")
    assert foreign.status_code == 200 and "Access-Control-Allow-Origin" not in foreign

    missing = client.get(reverse("webchat:widget", args=["00000000-0000-0000-0000-000000000000"]))
    assert missing.status_code == 404 and missing.json() == {"detail": "There is no chat here."}


def test_the_chat_page_refuses_in_the_visitors_language(indonesian_catalogue, client, chat):
    page = client.get(reverse("webchat:page", args=[chat.public_id]), headers={"accept_language": "id"})
    html = page.content.decode()
    assert 'data-offline-error="Pesan tidak dapat dikirim. Periksa koneksi Anda dan coba lagi."' in html

    too_long = client.post(
        reverse("webchat:send", args=[chat.public_id]),
        {"text": "x" * 4001, "token": page.context["token"]},
        headers={"accept_language": "id", "hx_request": "true", "origin": SHOP},
    )
    assert too_long.status_code == 422 and too_long.content.decode() == "Pesan paling banyak 4000 karakter."

    expired = client.post(
        reverse("webchat:send", args=[chat.public_id]),
        {"text": "Halo", "token": "forged"},
        headers={"accept_language": "id", "hx_request": "true", "origin": SHOP},
    )
    assert expired.content.decode() == "Halaman obrolan ini sudah kedaluwarsa. Muat ulang untuk melanjutkan obrolan."


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_bulk_unblock_says_how_many_tickets_moved_in_indonesian(indonesian_catalogue, client, supervisor):
    tickets = [factories.TicketFactory(status=TicketStatus.BLOCKED) for _ in range(3)]

    response = in_indonesian(client, supervisor).post(
        reverse("tickets:bulk_unblock"), {"ticket": [ticket.pk for ticket in tickets]}
    )

    assert _messages(response) == ["3 tiket dipindahkan ke Belum ditugaskan."]


def test_the_bulk_confirmation_counts_tickets_and_messages_in_indonesian(indonesian_catalogue, client, supervisor):
    tickets = [factories.TicketFactory(status=TicketStatus.BLOCKED, message_count=2) for _ in range(2)]

    html = page(
        in_indonesian(client, supervisor),
        reverse("tickets:bulk_confirm"),
        action="delete",
        ticket=[ticket.pk for ticket in tickets],
    )

    assert "Hapus 2 tiket yang diblokir dengan 4 pesan? Tiket dihapus dari basis data" in html
    assert ">Hapus 2 tiket</button>" in html
    assert "blocked tickets with" not in html


def test_a_refused_setting_and_the_saved_settings_speak_indonesian(indonesian_catalogue, client, administrator):
    client = in_indonesian(client, administrator)

    refused = client.post(reverse("settings_app:page"), {"waiting_alert_minutes": "0"})
    assert refused.status_code == 200
    assert "Peringatan menunggu harus berupa bilangan bulat menit dari 1 sampai 1440 (sehari)." in (
        refused.content.decode()
    )

    saved = client.post(reverse("settings_app:page"), {"block_contacts_enabled": "on", "waiting_alert_minutes": "20"})
    assert _messages(saved) == [
        "Pengaturan sistem disimpan: blokir kontak aktif, BOT nonaktif, tiket BOT dijawab oleh tidak ada (tiket "
        "menunggu supervisor), antrean menandai waktu tunggu dengan merah mulai 20 menit, dan tiket yang diblokir "
        "disimpan sampai supervisor bertindak."
    ]


def test_the_profile_form_labels_choices_and_refusals_speak_indonesian(indonesian_catalogue, client, agent):
    client = in_indonesian(client, agent)

    html = page(client, reverse("accounts:profile"))
    for indonesian in [">Bahasa</label>", ">Zona waktu</label>", ">Dari peramban saya</option>"]:
        assert indonesian in html

    refused = client.post(reverse("accounts:profile"), {"language": "id", "time_zone": "Mars/Base"})
    assert "“Mars/Base” bukan zona waktu yang dikenal BlockDesk; pilih salah satu dari daftar." in (
        refused.content.decode()
    )


def test_queue_labels_and_waiting_times_speak_indonesian(indonesian_catalogue, client, supervisor):
    factories.TicketFactory(
        status=TicketStatus.UNASSIGNED,
        waiting_since=timezone.now() - timedelta(minutes=95),
        last_speaker="in",
    )

    html = page(in_indonesian(client, supervisor), reverse("tickets:supervisor"), queue="unassigned")

    assert ">menunggu 1 j 35 mnt</span>" in html
    assert "Menunggu paling lama dahulu" in html
    assert "waiting 1 h 35 min" not in html


def test_the_next_message_sentence_speaks_indonesian(indonesian_catalogue, agent):
    ticket = factories.TicketFactory(status=TicketStatus.ASSIGNED, assignee=agent)

    with translation.override("id"):
        sentence = next_message_destination(ticket.contact, ticket.channel).sentence

    assert sentence == (
        f"Pesan berikutnya di {ticket.channel} bergabung ke tiket terbuka #{ticket.pk}, "
        f"ditugaskan kepada {person_name(agent)}."
    )


def test_a_ticket_reopened_in_indonesian_is_audited_in_english(indonesian_catalogue, client, agent):
    ticket = factories.TicketFactory(status=TicketStatus.RESOLVED, assignee=agent, closed_at=timezone.now())

    response = in_indonesian(client, agent).post(reverse("tickets:reopen", args=[ticket.pk]))

    assert _messages(response) == [f"Tiket #{ticket.pk} dibuka kembali: kembali ke {person_name(agent)}."]
    assert AuditEntry.objects.get(action=AuditEntry.Action.TICKET_REOPENED).change == "Resolved → Assigned"


def test_the_ranges_written_into_the_refusals_are_the_limits_in_force():
    assert f"from {RETENTION_MIN_DAYS} to {RETENTION_MAX_DAYS}," in RETENTION_INVALID
    assert f"from {WAITING_ALERT_MIN} to {WAITING_ALERT_MAX} (a day)" in WAITING_ALERT_INVALID
    assert f"from {FLOOD_MESSAGES_MIN} to {FLOOD_MESSAGES_MAX:,}." in FLOOD_MESSAGES_INVALID
    assert f"from {FLOOD_MINUTES_MIN} to {FLOOD_MINUTES_MAX} (a day)" in FLOOD_MINUTES_INVALID
    assert f"{bot.SECRET_MIN_LENGTH} to {bot.SECRET_MAX_LENGTH} characters" in bot.SECRET_INVALID
