"""Who answers BOT tickets, the bot webhook's URL and secret: domain function, settings page, API, audit."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from accounts.models import ApiToken
from blockdesk import errors
from contacts.models import AuditEntry
from settings_app import bot
from settings_app.bot import bot_config, current_answerer, update_bot
from settings_app.models import BotAnswerer, SystemSettings
from settings_app.switches import current_switches

pytestmark = pytest.mark.django_db

SECRET = "a-long-enough-bot-secret"
URL = "https://bot.example.com/blockdesk"
PAGE = reverse("settings_app:page")


@pytest.fixture
def logged_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def as_user(client):
    def with_token(user):
        _, raw = ApiToken.issue(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return with_token


def _audit() -> list[tuple[str, str]]:
    rows = AuditEntry.objects.filter(action=AuditEntry.Action.SWITCH_CHANGED).order_by("id")
    return list(rows.values_list("subject", "change"))


def test_nobody_answers_by_default():
    assert current_answerer() == BotAnswerer.NOBODY
    assert bot_config() == bot.BotConfig(answerer="nobody", webhook_url="", webhook_secret="")


def test_administrator_sets_up_the_webhook_and_each_change_is_audited_without_the_secret(
    administrator, django_capture_on_commit_callbacks
):
    current_answerer()  # cached: saving must clear it
    with django_capture_on_commit_callbacks(execute=True):
        config = update_bot(actor=administrator, answerer=BotAnswerer.WEBHOOK, webhook_url=URL, webhook_secret=SECRET)

    assert config == bot.BotConfig(answerer="webhook", webhook_url=URL, webhook_secret=SECRET)
    assert current_answerer() == BotAnswerer.WEBHOOK
    assert _audit() == [
        ("Who answers BOT tickets", "nobody → bot webhook"),
        (f"Bot webhook URL: {URL}", "set"),
        ("Bot webhook secret", "set"),
    ]
    assert not AuditEntry.objects.filter(subject__contains=SECRET).exists()
    assert not AuditEntry.objects.filter(change__contains=SECRET).exists()
    assert SystemSettings.objects.get().updated_by == administrator


def test_the_secret_is_stored_encrypted():
    SystemSettings.objects.update(bot_webhook_secret=SECRET)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT bot_webhook_secret FROM {SystemSettings._meta.db_table}")
        (stored,) = cursor.fetchone()

    assert SECRET not in stored
    assert bot_config().webhook_secret == SECRET


def test_none_keeps_a_value_and_an_unchanged_save_writes_no_row(administrator):
    update_bot(actor=administrator, answerer=BotAnswerer.WEBHOOK, webhook_url=URL, webhook_secret=SECRET)
    rows = len(_audit())

    config = update_bot(actor=administrator, answerer=BotAnswerer.WEBHOOK)

    assert config.webhook_secret == SECRET and config.webhook_url == URL
    assert len(_audit()) == rows


def test_changing_the_secret_says_changed(administrator):
    update_bot(actor=administrator, answerer=BotAnswerer.WEBHOOK, webhook_url=URL, webhook_secret=SECRET)

    update_bot(actor=administrator, webhook_secret=SECRET + "-2")

    assert _audit()[-1] == ("Bot webhook secret", "changed")


def test_the_built_in_bot_needs_no_url(administrator):
    assert update_bot(actor=administrator, answerer=BotAnswerer.BUILTIN).answerer == BotAnswerer.BUILTIN
    assert _audit() == [("Who answers BOT tickets", "nobody → built-in bot")]


@pytest.mark.parametrize(
    ("values", "detail"),
    [
        ({"answerer": "robot"}, bot.UNKNOWN_ANSWERER),
        ({"answerer": BotAnswerer.WEBHOOK, "webhook_secret": SECRET}, bot.WEBHOOK_NEEDS_URL),
        ({"answerer": BotAnswerer.WEBHOOK, "webhook_url": URL}, bot.WEBHOOK_NEEDS_SECRET),
        ({"webhook_url": "ftp://bot.example.com/"}, bot.URL_INVALID),
        ({"webhook_url": "javascript:alert(1)"}, bot.URL_INVALID),
        ({"webhook_url": "https://"}, bot.URL_INVALID),
        ({"webhook_url": "https://example.com/" + "a" * 500}, bot.URL_INVALID),
        ({"webhook_secret": "short"}, bot.SECRET_INVALID),
        ({"webhook_secret": "has a space in it, long enough"}, bot.SECRET_INVALID),
    ],
    ids=["unknown", "no url", "no secret", "ftp", "javascript", "no host", "too long", "short", "space"],
)
def test_bad_values_change_nothing(administrator, values, detail):
    with pytest.raises(errors.Invalid, match=re.escape(detail)):
        update_bot(actor=administrator, **values)

    assert bot_config() == bot.BotConfig(answerer="nobody", webhook_url="", webhook_secret="")
    assert _audit() == []


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_only_administrators_change_it(request, persona):
    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_SETTINGS)):
        update_bot(actor=request.getfixturevalue(persona), answerer=BotAnswerer.BUILTIN)

    assert current_answerer() == BotAnswerer.NOBODY


# The settings page


def test_the_page_shows_the_answerer_and_never_the_secret(logged_in, administrator):
    update_bot(actor=administrator, answerer=BotAnswerer.WEBHOOK, webhook_url=URL, webhook_secret=SECRET)

    page = logged_in(administrator).get(PAGE).content.decode()

    assert 'id="id_bot_answerer_webhook" name="bot_answerer" value="webhook" checked' in page
    assert f'value="{URL}"' in page
    assert "A secret is set; it is never shown." in page
    assert SECRET not in page


def test_saving_the_page_chooses_the_built_in_bot(logged_in, administrator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(administrator).post(PAGE, {"bot_enabled": "on", "bot_answerer": "builtin"})

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "System settings saved: blocking contacts is off, the BOT is on, BOT tickets are answered by the built-in bot, "
        "queues show a wait in red from 15 min, and blocked tickets are kept until a supervisor acts."
    ]
    assert current_answerer() == BotAnswerer.BUILTIN
    assert current_switches().bot_enabled


def test_an_empty_secret_field_keeps_the_secret(logged_in, administrator):
    update_bot(actor=administrator, answerer=BotAnswerer.WEBHOOK, webhook_url=URL, webhook_secret=SECRET)

    logged_in(administrator).post(PAGE, {"bot_answerer": "webhook", "bot_webhook_url": URL, "bot_webhook_secret": ""})

    assert bot_config().webhook_secret == SECRET


def test_a_refused_bot_setting_saves_nothing_and_says_why(logged_in, administrator):
    response = logged_in(administrator).post(
        PAGE, {"block_contacts_enabled": "on", "bot_answerer": "webhook", "bot_webhook_url": URL}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert bot.WEBHOOK_NEEDS_SECRET.replace("'", "&#x27;") in page
    assert not current_switches().block_contacts_enabled  # the switch waits for a valid form too
    assert current_answerer() == BotAnswerer.NOBODY
    assert _audit() == []


# The settings API


def _patch(client, body):
    return client.patch("/api/v1/settings", json.dumps(body), content_type="application/json")


def test_the_api_sets_the_webhook_and_never_reads_the_secret_back(as_user, administrator):
    client = as_user(administrator)

    response = _patch(client, {"bot_answerer": "webhook", "bot_webhook_url": URL, "bot_webhook_secret": SECRET})

    assert response.status_code == 200
    assert response.json() == {
        "block_contacts_enabled": False,
        "bot_enabled": False,
        "bot_answerer": "webhook",
        "waiting_alert_minutes": 15,
        "blocked_ticket_retention_days": None,
        "flood_guard_enabled": True,
        "flood_messages": 30,
        "flood_minutes": 5,
        "flood_auto_block": False,
    }
    assert bot_config().webhook_secret == SECRET
    assert SECRET not in client.get("/api/v1/settings").content.decode()


def test_the_api_refuses_a_webhook_without_url_with_422_and_keeps_the_switches(as_user, administrator):
    response = _patch(as_user(administrator), {"bot_enabled": True, "bot_answerer": "webhook"})

    assert response.status_code == 422
    assert response.json()["detail"] == bot.WEBHOOK_NEEDS_URL
    assert not current_switches().bot_enabled


def test_the_api_refuses_an_unknown_answerer_with_422(as_user, administrator):
    response = _patch(as_user(administrator), {"bot_answerer": "robot"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "bot_answerer"
