"""The WhatsApp settings form (set-up page) and Django admin: write-only secrets, the verify token shown once."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from channels.setup import kind_setup
from channels.whatsapp_forms import SECRET_REQUIRED, WhatsAppChannelForm
from channels.whatsapp_models import GRAPH_API_URL, WhatsAppChannel
from contacts.models import Channel
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_channel(db):
    return factories.ChannelFactory(name="WhatsApp New", kind=Channel.Kind.WHATSAPP)


def _form(channel, data, instance=None):
    return WhatsAppChannelForm(data, instance=instance or WhatsAppChannel(channel=channel))


FIRST = {"phone_number_id": "1065", "app_secret": "s3cret-app", "access_token": "EAAG-token", "api_base_url": ""}


def test_the_kind_is_registered_with_its_form_and_webhook(bare_channel):
    setup = kind_setup("whatsapp")

    assert setup.settings_model is WhatsAppChannel
    assert setup.form is WhatsAppChannelForm
    assert setup.webhook_path(bare_channel) == f"/hooks/whatsapp/{bare_channel.pk}/"


def test_a_first_save_stores_the_secrets_encrypted_and_makes_a_verify_token_shown_once(bare_channel):
    form = _form(bare_channel, {**FIRST, "api_base_url": GRAPH_API_URL})
    assert form.is_valid(), form.errors

    number = form.save()

    raw = form.shown_once["Verify token"]
    assert raw.startswith("bdwa_") and number.verify_token_matches(raw)
    assert raw not in number.verify_token_hash
    with connection.cursor() as cursor:
        table = WhatsAppChannel._meta.db_table
        cursor.execute(f"SELECT app_secret, access_token FROM {table} WHERE id = %s", [number.pk])
        stored = cursor.fetchone()
    assert "s3cret-app" not in stored[0] and "EAAG-token" not in stored[1]  # encrypted at rest
    number.refresh_from_db()
    assert (number.app_secret, number.access_token) == ("s3cret-app", "EAAG-token")


def test_secrets_are_required_the_first_time(bare_channel):
    form = _form(bare_channel, {**FIRST, "app_secret": "", "access_token": "", "api_base_url": GRAPH_API_URL})

    assert not form.is_valid()
    assert form.errors["app_secret"] == [SECRET_REQUIRED.format(what="app secret")]
    assert form.errors["access_token"] == [SECRET_REQUIRED.format(what="access token")]


def test_blank_secrets_keep_the_stored_ones_and_the_token_is_not_shown_again(number):
    form = _form(
        number.channel,
        {"phone_number_id": number.phone_number_id, "api_base_url": number.api_base_url, "mirror_blocks": "on"},
        instance=number,
    )
    assert form.is_valid(), form.errors

    saved = form.save()

    assert form.shown_once == {}
    assert saved.verify_token_matches(number.raw_verify_token)
    saved.refresh_from_db()
    assert (saved.app_secret, saved.access_token, saved.mirror_blocks) == (
        number.app_secret,
        number.access_token,
        True,
    )


def test_asking_for_a_new_verify_token_replaces_it(number):
    form = _form(
        number.channel,
        {"phone_number_id": number.phone_number_id, "api_base_url": number.api_base_url, "new_verify_token": "on"},
        instance=number,
    )
    assert form.is_valid(), form.errors

    saved = form.save()

    assert not saved.verify_token_matches(number.raw_verify_token)
    assert saved.verify_token_matches(form.shown_once["Verify token"])


def test_secrets_are_never_rendered_back(number):
    html = str(_form(number.channel, None, instance=number))

    assert number.app_secret not in html
    assert number.access_token not in html
    assert number.verify_token_hash not in html
    assert "Leave empty to keep the stored one" in html
    assert "nothing reaches the Blocked list" in html  # the mirror's trade-off, beside the switch


def test_a_phone_number_id_belongs_to_one_channel(number, bare_channel):
    form = _form(bare_channel, {**FIRST, "phone_number_id": number.phone_number_id, "api_base_url": GRAPH_API_URL})

    assert not form.is_valid()
    assert "phone_number_id" in form.errors


def test_the_admin_shows_the_verify_token_once_and_never_the_secrets(client, administrator, bare_channel):
    client.force_login(administrator)
    add = reverse("admin:channels_whatsappchannel_add")

    response = client.post(add, {**FIRST, "channel": bare_channel.pk, "api_base_url": GRAPH_API_URL}, follow=True)

    assert response.status_code == 200
    number = WhatsAppChannel.objects.get(channel=bare_channel)
    page = response.content.decode()
    assert "for the Meta app" in page and "bdwa_" in page
    change = client.get(reverse("admin:channels_whatsappchannel_change", args=[number.pk])).content.decode()
    assert "bdwa_" not in change
    assert "s3cret-app" not in change and "EAAG-token" not in change


def test_the_set_up_page_shows_the_verify_token_once(client, administrator, bare_channel):
    client.force_login(administrator)
    data = {"name": "WhatsApp New", **{f"kind-{key}": value for key, value in FIRST.items()}}
    response = client.post(f"/channels/{bare_channel.pk}/", {**data, "kind-api_base_url": GRAPH_API_URL})

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = re.search(r'class="token-value" type="text" value="([^"]+)"', response.content.decode()).group(1)
    assert WhatsAppChannel.objects.get(channel=bare_channel).verify_token_matches(token)
    again = client.post(f"/channels/{bare_channel.pk}/", {**data, "kind-api_base_url": GRAPH_API_URL})
    assert again.status_code == 302
    assert token not in client.get(f"/channels/{bare_channel.pk}/").content.decode()


def test_before_its_settings_are_saved_the_page_offers_no_test_and_says_replies_wait(
    client, administrator, bare_channel
):
    client.force_login(administrator)
    page = client.get(f"/channels/{bare_channel.pk}/").content.decode()
    assert "Send test</button>" not in page and "replies are sent on it" not in page
    assert "replies go out once the settings below are saved" in page
    data = {"name": "WhatsApp New", **{f"kind-{key}": value for key, value in FIRST.items()}}
    client.post(f"/channels/{bare_channel.pk}/", {**data, "kind-api_base_url": GRAPH_API_URL})
    page = client.get(f"/channels/{bare_channel.pk}/").content.decode()
    assert "Send test</button>" in page and "On: its token works and replies are sent on it." in page
