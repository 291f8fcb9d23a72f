"""Channel set-up in the console: administrators only; tokens and generated secrets shown once; secrets
write-only; the api kind's Send test against a real receiver on loopback; every act audited."""

import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from bench.receiver import Receiver
from blockdesk import errors
from channels import setup
from channels.api_webhook import NO_OUTBOUND_URL, RECEIVER_UNREACHABLE
from channels.setup import CHANNEL_NOT_FOUND, NO_TEST_FOR_KIND, TEST_CRASHED, KindSetup, SetupCheckFailed
from channels.webchat_models import BAD_ORIGIN, WebchatChannel
from contacts.channels import rotate_channel_token
from contacts.models import AuditEntry, Channel
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "outbound-secret-4f1b2c-never-shown"
SIGNING = "inbound-signing-secret-9d8e7f"


@pytest.fixture
def api_channel(db):
    return factories.ChannelFactory(name="Shop API", kind=Channel.Kind.API)


@pytest.fixture
def receiver():
    server = Receiver(secret=SECRET).start()
    yield server
    server.stop()


def _pages(pk: int) -> list[tuple[str, str, dict]]:
    """Every set-up URL with a request an administrator may make."""
    return [
        ("GET", "/channels/", {}),
        ("GET", "/channels/new/", {}),
        ("POST", "/channels/new/", {"name": "New mail", "kind": "email"}),
        ("GET", f"/channels/{pk}/", {}),
        ("POST", f"/channels/{pk}/", {"name": "Renamed"}),
        ("GET", f"/channels/{pk}/rotate/", {}),
        ("POST", f"/channels/{pk}/rotate/", {}),
        ("GET", f"/channels/{pk}/deactivate/", {}),
        ("POST", f"/channels/{pk}/deactivate/", {}),
        ("POST", f"/channels/{pk}/activate/", {}),
        ("POST", f"/channels/{pk}/test/", {}),
    ]


def _send(client, method, url, data):
    return client.get(url) if method == "GET" else client.post(url, data)


def _state():
    return list(Channel.objects.order_by("pk").values_list("pk", "name", "is_active", "token_hash", "outbound_url"))


@pytest.mark.parametrize("persona", ["supervisor", "agent"])
def test_supervisors_and_agents_are_refused_every_page_and_nothing_changes(request, client, api_channel, persona):
    client.force_login(request.getfixturevalue(persona))
    before = _state()
    for method, url, data in _pages(api_channel.pk):
        response = _send(client, method, url, data)
        assert response.status_code == 403, url
        assert escape(errors.NO_PERMISSION_CHANNELS) in response.content.decode(), url
    assert _state() == before
    assert not AuditEntry.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, api_channel):
    for method, url, data in _pages(api_channel.pk):
        response = _send(client, method, url, data)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    assert not AuditEntry.objects.exists()


def test_an_unknown_channel_is_a_404_that_says_so(client, administrator):
    client.force_login(administrator)
    for method, url, data in _pages(999999)[3:]:
        response = _send(client, method, url, data)
        assert response.status_code == 404, url
        assert escape(CHANNEL_NOT_FOUND) in response.content.decode(), url


@pytest.mark.parametrize("action", ["activate", "test"])
def test_get_on_a_post_only_action_is_405(client, administrator, api_channel, action):
    client.force_login(administrator)
    assert client.get(f"/channels/{api_channel.pk}/{action}/").status_code == 405


def test_the_list_shows_each_channel_and_administrators_have_the_link(client, administrator, supervisor, api_channel):
    factories.ChannelFactory(name="Old mail", kind=Channel.Kind.EMAIL, is_active=False, token_prefix="bdc_oldm")
    client.force_login(administrator)
    page = client.get("/channels/").content.decode()
    assert "Shop API" in page and "Old mail" in page and "bdc_oldm…" in page
    assert "API (webhook)" in page and "E-mail" in page
    assert 'href="/channels/"' in page  # the navigation link
    client.force_login(supervisor)
    assert 'href="/channels/"' not in client.get("/tickets/supervisor/").content.decode()


def _token_on(page: str) -> str:
    return re.search(r'value="(bdc_[A-Za-z0-9_\-]+)"', page).group(1)


def test_a_new_channel_shows_its_token_once_and_is_audited(client, administrator):
    client.force_login(administrator)
    response = client.post("/channels/new/", {"name": " Support mail ", "kind": "email"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "shown only on this page" in page
    raw = _token_on(page)
    channel = Channel.objects.get(name="Support mail")
    assert (channel.kind, channel.is_active) == ("email", True)
    assert Channel.objects.for_token(raw) == channel
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CHANNEL_CREATED)
    assert (entry.actor, entry.channel) == (administrator, channel)
    for url in ("/channels/", f"/channels/{channel.pk}/"):
        later = client.get(url).content.decode()
        assert raw not in later and f"{channel.token_prefix}…" in later


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"name": "Shop API", "kind": "api"}, errors.CHANNEL_NAME_TAKEN.format(name="Shop API")),
        ({"name": "   ", "kind": "api"}, "This field is required."),
        ({"name": "Fax", "kind": "fax"}, "Select a valid choice."),
    ],
)
def test_a_new_channel_with_a_mistake_is_a_400_that_says_why(client, administrator, api_channel, data, text):
    client.force_login(administrator)
    response = client.post("/channels/new/", data)
    assert response.status_code == 400
    assert escape(text) in response.content.decode()
    assert Channel.objects.count() == 1 and not AuditEntry.objects.exists()


def test_rotate_asks_first_then_shows_the_new_token_once_audited(client, administrator):
    channel = Channel(name="Shop API", kind=Channel.Kind.API)
    old = channel.set_new_token()
    channel.save()
    client.force_login(administrator)

    confirm = client.get(f"/channels/{channel.pk}/rotate/")
    assert confirm.status_code == 200 and "stops working" in confirm.content.decode()
    assert Channel.objects.for_token(old) == channel

    response = client.post(f"/channels/{channel.pk}/rotate/")
    new = _token_on(response.content.decode())
    assert "no-store" in response["Cache-Control"]
    assert Channel.objects.for_token(old) is None and Channel.objects.for_token(new) == channel
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CHANNEL_TOKEN_ROTATED)
    assert (entry.actor, entry.channel, entry.change) == (administrator, channel, f"{old[:12]}… → {new[:12]}…")
    assert new not in client.get(f"/channels/{channel.pk}/").content.decode()


def test_switch_off_asks_first_then_off_and_on_again_audited(client, administrator, api_channel):
    client.force_login(administrator)
    assert client.get(f"/channels/{api_channel.pk}/deactivate/").status_code == 200
    assert Channel.objects.get().is_active

    off = client.post(f"/channels/{api_channel.pk}/deactivate/", follow=True)
    assert not Channel.objects.get().is_active
    assert "Switched channel “Shop API” off" in off.content.decode()
    again = client.post(f"/channels/{api_channel.pk}/deactivate/", follow=True)
    assert escape(errors.CHANNEL_ALREADY_INACTIVE) in again.content.decode()
    client.post(f"/channels/{api_channel.pk}/activate/")
    assert Channel.objects.get().is_active

    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor", "channel"))
    assert actions == [
        (AuditEntry.Action.CHANNEL_DEACTIVATED, administrator.pk, api_channel.pk),
        (AuditEntry.Action.CHANNEL_REACTIVATED, administrator.pk, api_channel.pk),
    ]


def _api_settings(name="Shop API", url="https://erp.example.com/hook", secret="", signing=""):
    return {"name": name, "kind-outbound_url": url, "kind-outbound_secret": secret, "kind-signing_secret": signing}


def test_api_secrets_are_write_only_and_stored_encrypted(client, administrator, api_channel):
    client.force_login(administrator)
    response = client.post(f"/channels/{api_channel.pk}/", _api_settings(secret=SECRET, signing=SIGNING), follow=True)
    assert response.status_code == 200
    assert SECRET not in response.content.decode() and SIGNING not in response.content.decode()
    channel = Channel.objects.get()
    assert (channel.outbound_url, channel.outbound_secret, channel.signing_secret) == (
        "https://erp.example.com/hook",
        SECRET,
        SIGNING,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT outbound_secret FROM contacts_channel WHERE id = %s", [channel.pk])
        assert SECRET not in cursor.fetchone()[0]

    # Blank keeps both; the page never renders them back, not even into the password inputs.
    client.post(f"/channels/{api_channel.pk}/", _api_settings(name="Shop ERP"))
    channel.refresh_from_db()
    assert (channel.name, channel.outbound_secret, channel.signing_secret) == ("Shop ERP", SECRET, SIGNING)
    page = client.get(f"/channels/{api_channel.pk}/").content.decode()
    assert SECRET not in page and SIGNING not in page
    assert 'name="kind-outbound_secret"' in page and 'type="password"' in page
    assert "http://testserver/api/v1/inbound/messages" in page


def test_each_settings_change_is_one_audit_row_that_never_quotes_a_secret(client, administrator, api_channel):
    client.force_login(administrator)
    client.post(f"/channels/{api_channel.pk}/", _api_settings(secret=SECRET, signing=SIGNING))
    client.post(f"/channels/{api_channel.pk}/", _api_settings(name="Shop ERP"))
    client.post(f"/channels/{api_channel.pk}/", _api_settings(name="Shop ERP"))  # nothing changed: no row

    rows = list(
        AuditEntry.objects.filter(action=AuditEntry.Action.CHANNEL_CHANGED)
        .order_by("id")
        .values_list("actor", "channel", "change")
    )
    assert rows == [
        (
            administrator.pk,
            api_channel.pk,
            "outbound url: (empty) → https://erp.example.com/hook; outbound secret changed; "
            "inbound signing secret changed",
        ),
        (administrator.pk, api_channel.pk, "name: Shop API → Shop ERP"),
    ]


def test_saving_keeps_a_token_rotated_meanwhile(client, administrator, api_channel):
    """The api kind's form writes its own fields only: a rotation between loading and saving stands."""
    client.force_login(administrator)
    raw = rotate_channel_token(actor=administrator, channel=Channel.objects.get())
    client.post(f"/channels/{api_channel.pk}/", _api_settings())
    assert Channel.objects.for_token(raw) == api_channel


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (_api_settings(url="not a url"), "Enter a valid URL."),
        (_api_settings(name=""), "This field is required."),
    ],
)
def test_settings_with_a_mistake_are_a_400_and_change_nothing(client, administrator, api_channel, data, text):
    client.force_login(administrator)
    before = _state()
    response = client.post(f"/channels/{api_channel.pk}/", {**data, "kind-outbound_secret": SECRET})
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(text) in page and SECRET not in page
    assert _state() == before


def test_renaming_to_a_taken_name_says_so(client, administrator, api_channel):
    factories.ChannelFactory(name="Support mail")
    client.force_login(administrator)
    response = client.post(f"/channels/{api_channel.pk}/", _api_settings(name="Support mail"))
    assert response.status_code == 400
    assert escape(errors.CHANNEL_NAME_TAKEN.format(name="Support mail")) in response.content.decode()
    assert Channel.objects.get(pk=api_channel.pk).name == "Shop API"


# --- Send test (the api kind) against a real receiver on loopback ---------------------------------


def _test(client, channel):
    return client.post(f"/channels/{channel.pk}/test/", follow=True).content.decode()


def test_send_test_posts_a_signed_test_the_receiver_accepts(client, administrator, api_channel, receiver):
    client.force_login(administrator)
    client.post(f"/channels/{api_channel.pk}/", _api_settings(url=receiver.url, secret=SECRET))

    page = _test(client, api_channel)

    assert "Test passed: The receiver at" in page and "answered 200" in page
    assert "They go unsigned" not in page
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got["body"]["event"] == "test" and got["body"]["channel"] == {"id": api_channel.pk, "name": "Shop API"}
    assert got["delivery"].startswith("test-")


def test_send_test_without_a_secret_passes_and_says_replies_go_unsigned(client, administrator, api_channel):
    plain = Receiver().start()
    try:
        client.force_login(administrator)
        client.post(f"/channels/{api_channel.pk}/", _api_settings(url=plain.url))
        page = _test(client, api_channel)
    finally:
        plain.stop()
    assert "Test passed" in page and "They go unsigned: set an outbound secret so the receiver can check" in page
    assert "X-BlockDesk-Signature" not in plain.received[0]["headers"]


def test_send_test_with_the_wrong_secret_fails_with_the_receivers_answer(client, administrator, api_channel, receiver):
    client.force_login(administrator)
    client.post(f"/channels/{api_channel.pk}/", _api_settings(url=receiver.url, secret="not-the-receivers-secret"))
    page = _test(client, api_channel)
    assert "Test failed: The receiver answered 401" in page and "bad signature" in page
    assert receiver.received == []


def test_send_test_says_when_the_receiver_is_down_or_busy(client, administrator, api_channel, receiver):
    client.force_login(administrator)
    client.post(f"/channels/{api_channel.pk}/", _api_settings(url=receiver.url, secret=SECRET))
    receiver.answers.append((503, None))
    assert "Test failed: The receiver answered 503." in _test(client, api_channel)
    receiver.stop()
    page = _test(client, api_channel)
    assert "Test failed: " + escape(RECEIVER_UNREACHABLE.format(error="ConnectionError")) in page


def test_send_test_without_an_outbound_url_says_what_to_set(client, administrator, api_channel):
    client.force_login(administrator)
    assert "Test failed: " + escape(NO_OUTBOUND_URL) in _test(client, api_channel)


def test_a_kind_whose_test_crashes_gets_a_sentence_not_a_500(client, administrator, monkeypatch):
    def broken(channel):
        raise KeyError("oops")

    def refused(channel):
        raise SetupCheckFailed("The bot token was revoked.")

    sms = factories.ChannelFactory(name="SMS", kind=Channel.Kind.SMS)
    client.force_login(administrator)
    monkeypatch.setitem(setup._kinds, "sms", KindSetup("sms", None, None, lambda c: f"/hooks/sms/{c.pk}/", broken))
    page = client.get(f"/channels/{sms.pk}/").content.decode()
    assert f"http://testserver/hooks/sms/{sms.pk}/" in page and "Send test" in page
    assert escape(TEST_CRASHED.format(error="KeyError")) in _test(client, sms)
    monkeypatch.setitem(setup._kinds, "sms", KindSetup("sms", None, None, None, refused))
    assert "Test failed: The bot token was revoked." in _test(client, sms)


# --- The webchat kind: its own settings row, made on the first save --------------------------------


WEBCHAT = {
    "name": "Shop chat",
    "kind-allowed_origins": "https://shop.example.com",
    "kind-messages_per_visitor": "10",
    "kind-messages_per_address": "30",
}


def test_webchat_settings_are_made_on_first_save_with_the_identity_secret_shown_once(client, administrator):
    channel = factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT)
    client.force_login(administrator)
    before = client.get(f"/channels/{channel.pk}/").content.decode()
    assert "not saved yet" in before and "Send test" not in before

    response = client.post(f"/channels/{channel.pk}/", WEBCHAT)
    chat = WebchatChannel.objects.get(channel=channel)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert chat.identity_secret in response.content.decode()
    assert chat.origins == ["https://shop.example.com"]
    assert (chat.messages_per_visitor, chat.messages_per_address) == (10, 30)
    assert Channel.objects.get(pk=channel.pk).name == "Shop chat"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CHANNEL_CHANGED)
    assert (entry.channel, entry.change) == (channel, "name: Web chat → Shop chat; web chat settings made")
    assert chat.identity_secret not in entry.change

    page = client.get(f"/channels/{channel.pk}/").content.decode()
    assert chat.identity_secret not in page
    assert f"http://testserver/chat/{chat.public_id}/" in page and "widget.js" in page
    again = client.post(f"/channels/{channel.pk}/", {**WEBCHAT, "kind-messages_per_visitor": "5"})
    assert again.status_code == 302 and WebchatChannel.objects.get().messages_per_visitor == 5


def test_a_bad_origin_is_a_400_that_says_why_and_makes_no_row(client, administrator):
    channel = factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT)
    client.force_login(administrator)
    response = client.post(f"/channels/{channel.pk}/", {**WEBCHAT, "kind-allowed_origins": "shop.example.com"})
    assert response.status_code == 400
    assert escape(BAD_ORIGIN.format(origin="shop.example.com")) in response.content.decode()
    assert not WebchatChannel.objects.exists()


def test_a_kind_without_a_test_has_no_test_to_send(client, administrator):
    channel = factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT)
    client.force_login(administrator)
    response = client.post(f"/channels/{channel.pk}/test/")
    assert response.status_code == 404 and escape(NO_TEST_FOR_KIND) in response.content.decode()


def test_a_kind_without_setup_still_has_its_page(client, administrator):
    channel = factories.ChannelFactory(name="SMS", kind=Channel.Kind.SMS)
    client.force_login(administrator)
    page = client.get(f"/channels/{channel.pk}/").content.decode()
    assert "no settings of their own" in page and "Rotate token" in page
    assert client.post(f"/channels/{channel.pk}/", {"name": "SMS gateway"}).status_code == 302
    assert Channel.objects.get().name == "SMS gateway"
