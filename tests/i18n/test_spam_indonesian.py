"""The spam, channel set-up, web chat and admin action pages in Bahasa Indonesia.

Rendered with the project's catalogue (tests/i18n/conftest.py), this proves that the msgids in the templates
are exactly the ones translated: a page whose text changed in the template would show its English again.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from accounts.profiles import save_profile
from channels.webchat_models import WebchatChannel
from contacts.block_rules import create_rule
from contacts.models import Channel
from tests import factories
from tests.inbound import deliver
from tests.spam.flood_helpers import flagged

pytestmark = pytest.mark.django_db


def _indonesian(user):
    save_profile(person=user, language="id", time_zone="")
    return user


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def _rules_page(supervisor, channel):
    create_rule(actor=supervisor, kind="domain", value="spam.example", action="quarantine", note="")
    return reverse("spam:rules")


def _suspected_page(supervisor, channel):
    flagged(channel, factories.ContactFactory(name="Penyebar Spam"))
    return reverse("spam:suspected")


def _overview_page(supervisor, channel):
    return reverse("spam:overview")


def _suspected_block_page(supervisor, channel):
    return reverse("spam:suspected_block", args=[flagged(channel, factories.ContactFactory(name="Penyebar")).pk])


# page, Indonesian it shows, English it no longer shows
SUPERVISOR_PAGES = [
    (
        _rules_page,
        ["Pertahanan spam", "Tambah aturan", "Kecocokan terakhir", "belum pernah", "Semua tindakan", "Cari nilai"],
        ["Spam defence", "Add rule", "Last hit", ">never<", "Every action", "Search value or note"],
    ),
    (
        _suspected_page,
        ["Dicurigai spam", "31 pesan dalam 5 menit", "Abaikan", "Blokir…", "Riwayat"],
        ["Suspected spam", "31 messages in 5 min", "Dismiss", "Block…", "History"],
    ),
    (
        _overview_page,
        [
            "Ringkasan spam",
            "30 hari terakhir,",
            "Tidak ada pesan yang diblokir dalam 30 hari terakhir.",
            "Tanda banjir",
        ],
        ["Spam overview", "The last 30 days", "No blocked messages", "Flood flags"],
    ),
    (
        _suspected_block_page,
        ["Blokir Penyebar?", "Penyalahgunaan", "Berapa lama", "Selamanya (sampai seseorang membuka blokir)", "Batal"],
        ["Block Penyebar?", "Abuse", "How long", "Forever (until someone unblocks)", ">Cancel<"],
    ),
]


@pytest.mark.parametrize(("make", "shown", "gone"), SUPERVISOR_PAGES, ids=lambda v: getattr(v, "__name__", ""))
def test_a_supervisor_reads_the_spam_pages_in_indonesian(
    indonesian_catalogue, supervisor, channel, blocking_on, make, shown, gone
):
    page = _page(_signed_in(_indonesian(supervisor)), make(supervisor, channel))
    for text in shown:
        assert text in page
    for text in gone:
        assert text not in page


def test_the_same_pages_stay_english_for_an_english_supervisor(indonesian_catalogue, supervisor, channel, blocking_on):
    client = _signed_in(supervisor)
    assert "31 messages in 5 min" in _page(client, _suspected_page(supervisor, channel))
    assert "No blocked messages in the last 30 days." in _page(client, _overview_page(supervisor, channel))


def test_an_administrator_sets_up_channels_in_indonesian(indonesian_catalogue, administrator, channel):
    client = _signed_in(_indonesian(administrator))
    listing = _page(client, reverse("channel_setup:list"))
    assert "Kanal baru" in listing and "Aktif" in listing and "Dibuat" in listing
    assert "New channel" not in listing and ">On<" not in listing
    settings_page = _page(client, reverse("channel_setup:channel", args=[channel.pk]))
    assert "Token dan status" in settings_page and "Ganti token" in settings_page and "Matikan" in settings_page
    assert "Token and status" not in settings_page and "Rotate token" not in settings_page


def _merge_page(client, channel):
    first = deliver(channel, "+6281100000001", "halo", name="Budi").contact
    second = deliver(channel, "+6281100000002", "halo lagi", name="Budi Santoso").contact
    data = {"action": "merge_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk]}
    response = client.post(reverse("admin:contacts_contact_changelist"), data)
    assert response.status_code == 200
    return response.content.decode()


def test_the_admin_merge_page_counts_in_indonesian_and_in_english(indonesian_catalogue, administrator, channel):
    english = _merge_page(_signed_in(administrator), channel)
    assert "1 channel address and 1 ticket move." in english
    assert "Merge these two contacts into one?" in english

    indonesian = _merge_page(_signed_in(_indonesian(administrator)), channel)
    assert "1 alamat kanal dan 1 tiket dipindahkan." in indonesian
    assert "Gabungkan kedua kontak ini menjadi satu?" in indonesian and "Pertahankan <strong>" in indonesian
    assert "channel address" not in indonesian and "Merge these two contacts" not in indonesian


def test_a_visitor_whose_browser_asks_for_indonesian_gets_the_chat_in_indonesian(indonesian_catalogue):
    channel = factories.ChannelFactory(name="Toko", kind=Channel.Kind.WEBCHAT)
    chat = WebchatChannel.objects.create(channel=channel, allowed_origins="https://shop.example.com")
    page = _page(Client(), f"/chat/{chat.public_id}/", HTTP_ACCEPT_LANGUAGE="id")
    assert '<html lang="id">' in page and "Toko · Obrolan" in page
    assert "Tulis pesan kepada kami; tim kami menjawab di sini." in page and "Pesan Anda" in page
    assert "Write to us" not in page and "Your message" not in page and '<html lang="en">' not in page
    assert '<html lang="en">' in _page(Client(), f"/chat/{chat.public_id}/", HTTP_ACCEPT_LANGUAGE="en")
