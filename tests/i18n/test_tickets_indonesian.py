"""The ticket pages, search, API tokens and the login page in Bahasa Indonesia.

Each page is rendered for a person whose language is Bahasa Indonesia, with the project's catalogue
(tests/i18n/conftest.py).
"""

import pytest
from django.urls import reverse

from tests import factories
from tests.i18n.conftest import in_indonesian, page
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db


def test_ticket_view_speaks_indonesian(indonesian_catalogue, client, supervisor):
    ticket = factories.TicketFactory(
        contact=factories.ContactFactory(name="Budi"), status=TicketStatus.UNASSIGNED, message_count=3
    )
    factories.MessageFactory(ticket=ticket, body="Halo, pesanan saya belum sampai.")

    html = page(in_indonesian(client, supervisor), reverse("tickets:detail", args=[ticket.pk]))

    assert f"<title>Tiket #{ticket.pk} · Budi" in html
    # One plural form in Indonesian: the count stays, the word does not change.
    for indonesian in [
        "3 pesan",
        "Balas Budi",
        ">Kirim balasan</button>",
        "Tambahkan catatan internal",
        "<h2>Rincian</h2>",
    ]:
        assert indonesian in html
    for english in ["3 messages", "Reply to Budi", ">Send reply</button>", "Add an internal note", "<h2>Details</h2>"]:
        assert english not in html


def test_blocked_list_speaks_indonesian(indonesian_catalogue, client, supervisor):
    for count in (1, 4):
        factories.TicketFactory(status=TicketStatus.BLOCKED, message_count=count)

    html = page(in_indonesian(client, supervisor), reverse("tickets:supervisor"), queue="blocked")

    for indonesian in ["<h1>Dasbor supervisor</h1>", ">Buka blokir yang dipilih</button>", ">Blokir berakhir</th>"]:
        assert indonesian in html
    assert html.count('data-unit="pesan"') == 2
    for english in ["Supervisor dashboard", "Unblock selected", "Block ends", 'data-unit="message']:
        assert english not in html


def test_search_and_api_tokens_speak_indonesian(indonesian_catalogue, client, agent):
    client = in_indonesian(client, agent)

    search = page(client, reverse("search:page"), q="zzzz")
    assert "Tidak ada pesan yang dapat Anda lihat yang memuat “zzzz”." in search
    assert "No message you can see contains" not in search

    tokens = page(client, reverse("accounts:tokens"))
    for indonesian in [
        "<title>Token API saya",
        "<h1>Token API saya",
        "Anda belum memiliki token API.",
        ">Buat token</button>",
    ]:
        assert indonesian in tokens
    for english in ["<h1>My API tokens", "You have no API tokens yet.", ">Make token</button>"]:
        assert english not in tokens


def test_login_page_follows_the_browser_language(indonesian_catalogue, client):
    response = client.get(reverse("login"), headers={"accept-language": "id"})
    assert response.status_code == 200
    html = response.content.decode()

    assert "Masuk ke BlockDesk" in html and ">Kata sandi</label>" in html
    assert "Log in to BlockDesk" not in html and ">Password</label>" not in html
