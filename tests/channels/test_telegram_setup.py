"""Setting a Telegram channel up: the kind's registration, Send test (getMe), the form, the admin, setWebhook."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from channels.setup import SetupCheckFailed, kind_setup
from channels.telegram import ALLOWED_UPDATES, BAD_BOT_TOKEN, BAD_PUBLIC_URL, NOT_SET_UP, check_bot
from channels.telegram_forms import BOT_TOKEN_REQUIRED, TelegramChannelForm
from channels.telegram_models import TELEGRAM_API, TelegramChannel, TelegramUpdate
from channels.telegram_updates import forget_old_updates
from contacts.models import Channel
from tests import factories
from tests.channels.peers.telegram import TOKEN, message_update
from tests.channels.telegram_hook import post_update

pytestmark = pytest.mark.django_db


def test_the_kind_is_registered_with_its_settings_form_webhook_and_test(telegram):
    setup = kind_setup("telegram")

    assert setup.settings_model is TelegramChannel
    assert setup.form is TelegramChannelForm
    assert setup.webhook_path(telegram.channel) == f"/hooks/telegram/{telegram.channel_id}/"
    assert setup.send_test is check_bot


def test_a_new_bot_gets_a_secret_token_telegram_accepts_and_the_real_api_by_default(db):
    channel = factories.ChannelFactory(name="TG", kind=Channel.Kind.TELEGRAM)
    bot = TelegramChannel.objects.create(channel=channel, bot_token=TOKEN)
    other = TelegramChannel.objects.create(
        channel=factories.ChannelFactory(name="TG2", kind=Channel.Kind.TELEGRAM), bot_token=TOKEN
    )

    assert bot.api_base_url == TELEGRAM_API == "https://api.telegram.org"
    assert len(bot.secret_token) >= 32
    assert set(bot.secret_token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    assert bot.secret_token != other.secret_token


def test_secrets_are_stored_encrypted(telegram):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT bot_token, secret_token FROM channels_telegramchannel WHERE id = %s", [telegram.pk])
        stored_token, stored_secret = cursor.fetchone()

    assert TOKEN not in stored_token
    assert telegram.secret_token not in stored_secret


# --- Send test -------------------------------------------------------------------------------


def test_send_test_asks_get_me_and_remembers_the_username(telegram, bot_api):
    said = check_bot(telegram.channel)

    assert said == "Telegram knows this bot as @blockdesk_test_bot (BlockDesk Test)."
    assert bot_api.calls_of("getMe") == [{}]
    telegram.refresh_from_db()
    assert telegram.bot_username == "blockdesk_test_bot"


def test_send_test_says_why_a_refused_token_fails(telegram, bot_api):
    telegram.bot_token = "987654321:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    telegram.save()

    with pytest.raises(SetupCheckFailed) as failed:
        check_bot(telegram.channel)

    assert failed.value.reason == "Telegram refused: 401 Unauthorized"


def test_send_test_on_a_channel_without_a_bot(db):
    channel = factories.ChannelFactory(name="TG", kind=Channel.Kind.TELEGRAM)

    with pytest.raises(SetupCheckFailed) as failed:
        check_bot(channel)

    assert failed.value.reason == NOT_SET_UP


# --- The form: the token is write-only ----------------------------------------------------------


def test_the_form_never_renders_the_token_and_blank_keeps_it(telegram):
    form = TelegramChannelForm(instance=telegram)
    assert TOKEN not in form.as_p()
    assert TOKEN.split(":")[1] not in form.as_p()

    form = TelegramChannelForm({"bot_token": "", "api_base_url": telegram.api_base_url}, instance=telegram)
    assert form.is_valid(), form.errors
    form.save()
    telegram.refresh_from_db()
    assert telegram.bot_token == TOKEN


def test_the_form_takes_a_new_token_and_refuses_one_that_is_not_a_bot_token(telegram):
    new = "111222333:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
    form = TelegramChannelForm({"bot_token": new, "api_base_url": telegram.api_base_url}, instance=telegram)
    assert form.is_valid(), form.errors
    form.save()
    telegram.refresh_from_db()
    assert telegram.bot_token == new

    for bad in ("not a token", "123:short", "123456:abc/../../x" + "a" * 30):
        form = TelegramChannelForm({"bot_token": bad, "api_base_url": telegram.api_base_url}, instance=telegram)
        assert form.errors == {"bot_token": [BAD_BOT_TOKEN]}


def test_a_new_bot_needs_a_token(db):
    form = TelegramChannelForm({"bot_token": "", "api_base_url": TELEGRAM_API})

    assert form.errors == {"bot_token": [BOT_TOKEN_REQUIRED]}


# --- Django admin -----------------------------------------------------------------------------


def test_an_administrator_adds_a_bot_in_admin_and_sees_its_secret_once(client, administrator):
    channel = factories.ChannelFactory(name="TG", kind=Channel.Kind.TELEGRAM)
    client.force_login(administrator)

    response = client.post(
        "/admin/channels/telegramchannel/add/",
        {"channel": channel.pk, "bot_token": TOKEN, "api_base_url": TELEGRAM_API},
        follow=True,
    )

    assert response.status_code == 200
    bot = TelegramChannel.objects.get(channel=channel)
    assert bot.bot_token == TOKEN
    assert bot.secret_token in response.content.decode()
    page = client.get(f"/admin/channels/telegramchannel/{bot.pk}/change/").content.decode()
    assert bot.secret_token not in page
    assert TOKEN.split(":")[1] not in page
    assert f"/hooks/telegram/{channel.pk}/" in page


def test_a_new_secret_token_from_admin(client, administrator, telegram):
    old = telegram.secret_token
    client.force_login(administrator)

    response = client.post(
        "/admin/channels/telegramchannel/",
        {"action": "new_secret_token", "_selected_action": [telegram.pk]},
        follow=True,
    )

    telegram.refresh_from_db()
    assert telegram.secret_token != old
    assert telegram.secret_token in response.content.decode()


# --- telegram_set_webhook ------------------------------------------------------------------------


def test_set_webhook_hands_telegram_the_url_and_secret_token(telegram, bot_api):
    out = StringIO()

    call_command("telegram_set_webhook", str(telegram.channel_id), "--url", "https://desk.example.com/", stdout=out)

    [params] = bot_api.calls_of("setWebhook")
    url = f"https://desk.example.com/hooks/telegram/{telegram.channel_id}/"
    assert params == {"url": url, "secret_token": telegram.secret_token, "allowed_updates": ALLOWED_UPDATES}
    assert bot_api.allowed_updates == ["message", "edited_message", "my_chat_member"]
    assert out.getvalue().strip() == f"Webhook was set: Telegram delivers Telegram's updates to {url}"
    assert telegram.secret_token not in out.getvalue()


def test_set_webhook_can_drop_pending_updates(telegram, bot_api):
    call_command(
        "telegram_set_webhook", str(telegram.channel_id), "--url", "https://desk.example.com", "--drop-pending-updates"
    )

    assert bot_api.calls_of("setWebhook")[0]["drop_pending_updates"] is True


def test_set_webhook_says_what_telegram_refused(telegram, bot_api):
    with pytest.raises(CommandError, match="An HTTPS URL must be provided"):
        call_command("telegram_set_webhook", str(telegram.channel_id), "--url", "http://desk.example.com")


@pytest.mark.parametrize("url", ["desk.example.com", "ftp://x", "https://", "https://a b"])
def test_set_webhook_refuses_a_url_that_is_not_an_address(telegram, bot_api, url):
    with pytest.raises(CommandError, match=BAD_PUBLIC_URL):
        call_command("telegram_set_webhook", str(telegram.channel_id), "--url", url)
    assert bot_api.calls == []


def test_set_webhook_for_a_channel_without_a_bot(db):
    with pytest.raises(CommandError, match="has no Telegram bot"):
        call_command("telegram_set_webhook", "999", "--url", "https://desk.example.com")


# --- Forgetting old update ids -----------------------------------------------------------------


def test_update_ids_older_than_a_week_are_forgotten(telegram):
    post_update(telegram, message_update(1, "old"))
    post_update(telegram, message_update(2, "new", message_id=2))
    TelegramUpdate.objects.filter(update_id=1).update(received_at=timezone.now() - timedelta(days=8))

    assert forget_old_updates() == 1
    assert list(TelegramUpdate.objects.values_list("update_id", flat=True)) == [2]


def test_forgetting_is_a_periodic_job():
    from blockdesk.periodic import periodic_jobs

    assert any(job.run is forget_old_updates for job in periodic_jobs())
