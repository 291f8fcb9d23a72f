"""Django admin for mailboxes: passwords stored encrypted, never shown back; a blank one keeps what is stored."""

import pytest
from django.db import connection

from channels.email_forms import EmailChannelForm
from channels.email_models import EmailChannel, ProcessedAction, Security
from contacts.models import Channel
from tests import factories

pytestmark = pytest.mark.django_db

IMAP_SECRET = "imap-Secret-123"
SMTP_SECRET = "smtp-Secret-456"


@pytest.fixture
def stored(db) -> EmailChannel:
    channel = factories.ChannelFactory(name="Support mail", kind=Channel.Kind.EMAIL)
    return EmailChannel.objects.create(
        channel=channel,
        address="support@shop.example",
        imap_host="imap.shop.example",
        imap_user="support",
        imap_password=IMAP_SECRET,
        smtp_host="smtp.shop.example",
        smtp_user="support",
        smtp_password=SMTP_SECRET,
    )


def _post_data(**changes) -> dict:
    data = {
        "address": "support@shop.example",
        "imap_host": "imap.shop.example",
        "imap_port": 993,
        "imap_security": Security.SSL,
        "imap_user": "support",
        "imap_password": "",
        "imap_folder": "INBOX",
        "processed_action": ProcessedAction.SEEN,
        "processed_folder": "BlockDesk",
        "smtp_host": "smtp.shop.example",
        "smtp_port": 587,
        "smtp_security": Security.STARTTLS,
        "smtp_user": "support",
        "smtp_password": "",
    }
    return {**data, **changes}


def test_passwords_are_stored_encrypted(stored):
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password, smtp_password FROM channels_emailchannel WHERE id = %s", [stored.pk])
        imap, smtp = cursor.fetchone()
    assert IMAP_SECRET not in imap and SMTP_SECRET not in smtp
    stored.refresh_from_db()
    assert (stored.imap_password, stored.smtp_password) == (IMAP_SECRET, SMTP_SECRET)


def test_the_change_page_never_shows_a_password(client, administrator, stored):
    client.force_login(administrator)

    page = client.get(f"/admin/channels/emailchannel/{stored.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert IMAP_SECRET not in html and SMTP_SECRET not in html
    assert 'name="imap_password"' in html and 'type="password"' in html


def test_a_blank_password_keeps_the_stored_one_and_a_new_one_replaces_it(client, administrator, stored):
    client.force_login(administrator)

    response = client.post(
        f"/admin/channels/emailchannel/{stored.pk}/change/", _post_data(imap_folder="Support", smtp_password="new-one")
    )

    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.imap_folder, stored.imap_password, stored.smtp_password) == ("Support", IMAP_SECRET, "new-one")


def test_a_form_with_errors_shows_no_password_either(stored):
    form = EmailChannelForm(data=_post_data(imap_port="not a port", imap_password="typed-now"), instance=stored)

    assert not form.is_valid()
    html = form.as_div()
    assert "typed-now" not in html and IMAP_SECRET not in html


def test_the_changelist_loads_for_administrators(client, administrator, stored):
    client.force_login(administrator)

    assert client.get("/admin/channels/emailchannel/").status_code == 200
    assert client.get("/admin/channels/emailchannel/add/").status_code == 200


def test_agents_cannot_reach_the_mailboxes(client, agent, stored):
    agent.is_staff = True
    agent.save()
    client.force_login(agent)

    assert client.get(f"/admin/channels/emailchannel/{stored.pk}/change/").status_code == 403
