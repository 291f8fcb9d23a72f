"""The contacts pages, System settings and the shared page frame in Bahasa Indonesia.

Each page is rendered for a person whose language is Bahasa Indonesia, with the project's catalogue
(tests/i18n/conftest.py).
"""

import pytest
from django.urls import reverse

from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests import factories
from tests.i18n.conftest import in_indonesian, page
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db


def test_contacts_list_speaks_indonesian(indonesian_catalogue, client, supervisor, set_switches):
    set_switches(block_contacts_enabled=True)
    factories.ContactFactory(name="Budi")
    html = page(in_indonesian(client, supervisor), reverse("contacts:list"))

    assert '<html lang="id">' in html
    for indonesian in ["<h1>Kontak</h1>", "Blokir yang dipilih…", "Cari nama, telepon, atau email", ">Keluar</button>"]:
        assert indonesian in html
    for english in ["<h1>Contacts</h1>", "Block selected…", "Search name, phone or e-mail", ">Log out</button>"]:
        assert english not in html


def test_blocked_contacts_360_view_and_unblock_dialog_speak_indonesian(
    indonesian_catalogue, client, supervisor, set_switches
):
    set_switches(block_contacts_enabled=True)
    contact = factories.ContactFactory(name="Budi")
    block_contact(actor=supervisor, contact=contact, reason=BlockReason.ABUSE)
    for _ in range(2):
        factories.TicketFactory(contact=contact, status=TicketStatus.BLOCKED, message_count=3)
    client = in_indonesian(client, supervisor)

    detail = page(client, reverse("contacts:detail", args=[contact.pk]))
    assert "Status blokir" in detail and "Diblokir oleh" in detail and ">Buka blokir</a>" in detail
    assert "Block status" not in detail and "Blocked by" not in detail and ">Unblock</a>" not in detail

    unblock = page(client, reverse("contacts:unblock", args=[contact.pk]))
    # One plural form in Indonesian: the count stays, the word does not change.
    assert '<strong class="blocked-tickets">2 tiket yang diblokir</strong>' in unblock
    assert ">Buka Blokir Semua</button>" in unblock and ">Hapus Semua</button>" in unblock
    assert "blocked tickets" not in unblock and ">Unblock All</button>" not in unblock


def test_system_settings_speak_indonesian(indonesian_catalogue, client, administrator):
    html = page(in_indonesian(client, administrator), reverse("settings_app:page"))

    for indonesian in ["<h1>Pengaturan sistem</h1>", "Penjaga banjir pesan", "Simpan pengaturan", "Buka admin Django"]:
        assert indonesian in html
    for english in ["<h1>System settings</h1>", "Flood guard", "Save settings", "Open Django admin"]:
        assert english not in html


def test_a_person_without_indonesian_still_reads_english(indonesian_catalogue, client, supervisor):
    client.force_login(supervisor)
    html = page(client, reverse("contacts:list"))

    assert '<html lang="en">' in html and "<h1>Contacts</h1>" in html and "<h1>Kontak</h1>" not in html
