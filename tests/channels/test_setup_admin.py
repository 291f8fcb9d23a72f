"""Django admin: a channel's kind settings as an inline on its page, with secrets write-only there too."""

import pytest
from django.urls import reverse

from channels.webchat_models import WebchatChannel
from contacts.models import Channel
from tests import factories

pytestmark = pytest.mark.django_db

SIGNING = "inbound-signing-secret-5a6b7c"
OUTBOUND = "outbound-secret-8d9e0f"
PREFIX = "webchat"  # the inline's formset prefix: the OneToOne's related_name


def _url(channel):
    return reverse("admin:contacts_channel_change", args=[channel.pk])


def _channel_form(channel, **more):
    return {"name": channel.name, "kind": channel.kind, "is_active": "on", "outbound_url": "", **more}


def _inline(total, initial, **fields):
    data = {f"{PREFIX}-TOTAL_FORMS": str(total), f"{PREFIX}-INITIAL_FORMS": str(initial)}
    data.update({f"{PREFIX}-0-{name}": value for name, value in fields.items()})
    return data


def test_a_web_chat_channel_has_its_settings_inline_without_the_identity_secret(client, administrator, chat):
    client.force_login(administrator)
    page = client.get(_url(chat.channel)).content.decode()
    assert f'name="{PREFIX}-0-allowed_origins"' in page and "https://shop.example.com" in page
    assert chat.identity_secret not in page


def test_an_api_channel_has_no_inline_and_its_secrets_are_never_rendered(client, administrator):
    channel = factories.ChannelFactory(
        name="Shop API", kind=Channel.Kind.API, signing_secret=SIGNING, outbound_secret=OUTBOUND
    )
    client.force_login(administrator)
    page = client.get(_url(channel)).content.decode()
    assert f"{PREFIX}-TOTAL_FORMS" not in page
    assert SIGNING not in page and OUTBOUND not in page
    client.post(_url(channel), _channel_form(channel, name="Shop ERP"))
    channel.refresh_from_db()
    assert (channel.name, channel.signing_secret, channel.outbound_secret) == ("Shop ERP", SIGNING, OUTBOUND)


def test_saving_the_inline_makes_the_web_chat_settings(client, administrator):
    channel = factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT)
    client.force_login(administrator)
    data = {
        **_channel_form(channel),
        **_inline(1, 0, allowed_origins="https://shop.example.com", messages_per_visitor=7, messages_per_address=9),
    }
    response = client.post(_url(channel), data)
    assert response.status_code == 302
    chat = WebchatChannel.objects.get(channel=channel)
    assert (chat.origins, chat.messages_per_visitor) == (["https://shop.example.com"], 7)


def test_a_bad_origin_in_the_inline_says_why(client, administrator, chat):
    client.force_login(administrator)
    data = {
        **_channel_form(chat.channel),
        **_inline(1, 1, id=chat.pk, channel=chat.channel.pk, allowed_origins="shop.example.com"),
        f"{PREFIX}-0-messages_per_visitor": 5,
        f"{PREFIX}-0-messages_per_address": 9,
    }
    response = client.post(_url(chat.channel), data)
    assert response.status_code == 200 and "is not an origin" in response.content.decode()
    chat.refresh_from_db()
    assert chat.messages_per_visitor == 20


def test_a_post_without_the_inline_still_saves_the_channel(client, administrator, chat):
    """A script (or a test written before the kind had settings) posts only the channel's fields."""
    client.force_login(administrator)
    response = client.post(_url(chat.channel), _channel_form(chat.channel, name="Shop chat"))
    assert response.status_code == 302
    assert Channel.objects.get(pk=chat.channel.pk).name == "Shop chat"
    assert WebchatChannel.objects.get().origins == ["https://shop.example.com", "https://www.shop.example.com"]
