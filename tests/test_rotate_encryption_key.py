"""manage.py rotate_encryption_key, with real keys: every stored secret moves from the old key to the new one,
both keys read meanwhile, a second run changes nothing, and a value no key reads stops it before any change."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from blockdesk.management.commands.rotate_encryption_key import NOT_A_KEY, NOT_THE_SETTINGS_KEY, encrypted_fields
from blockdesk.strict_env import NOT_A_FERNET_KEY, env_fernet_keys
from contacts.models import Channel
from settings_app.models import SystemSettings
from tests import factories

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
STRANGER = Fernet.generate_key().decode()
CHANNEL = "contacts.Channel.outbound_secret"
BOT = "settings_app.SystemSettings.bot_webhook_secret"


def run(**options) -> list[str]:
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out, **options)
    return out.getvalue().splitlines()


def stored(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def readable_by(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@pytest.fixture
def secrets_under_old_key(db):
    """Two channel secrets and the bot's, written with OLD; one channel without a secret."""
    with override_settings(FIELD_ENCRYPTION_KEY=OLD, FIELD_ENCRYPTION_KEY_PREVIOUS=[]):
        shop = factories.ChannelFactory(name="Shop", kind=Channel.Kind.API, outbound_secret="shop-secret")
        erp = factories.ChannelFactory(name="ERP", kind=Channel.Kind.API, outbound_secret="erp-secret")
        factories.ChannelFactory(name="Mail", kind=Channel.Kind.EMAIL)
        bot = SystemSettings.load()
        bot.bot_webhook_secret = "bot-secret-0123456789"
        bot.save()
    return {"shop": shop.pk, "erp": erp.pk, "bot": bot.pk}


@override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_PREVIOUS=[OLD])
def test_every_secret_moves_to_the_new_key_and_a_second_run_changes_nothing(secrets_under_old_key):
    ids = secrets_under_old_key
    # Both keys read while the key changes: the app works before the command has run.
    assert Channel.objects.get(pk=ids["shop"]).outbound_secret == "shop-secret"

    report = run()

    fields = len(encrypted_fields())
    assert [line for line in report if line.startswith((CHANNEL, BOT))] == [
        f"{CHANNEL}: 2 re-encrypted, 0 already on the new key, 1 empty",
        f"{BOT}: 1 re-encrypted, 0 already on the new key, 0 empty",
    ]
    others = [line for line in report[:-1] if not line.startswith((CHANNEL, BOT))]
    assert len(others) == fields - 2
    assert all(line.endswith(": 0 re-encrypted, 0 already on the new key, 0 empty") for line in others)
    assert report[-1] == f"Re-encrypted 3 value(s) in {fields} field(s); 0 already on the new key."
    for table, column, pk in [
        ("contacts_channel", "outbound_secret", ids["shop"]),
        ("contacts_channel", "outbound_secret", ids["erp"]),
        ("settings_app_systemsettings", "bot_webhook_secret", ids["bot"]),
    ]:
        token = stored(table, column, pk)
        assert readable_by(NEW, token) and not readable_by(OLD, token)
    with override_settings(FIELD_ENCRYPTION_KEY_PREVIOUS=[]):  # the old key can go now
        assert Channel.objects.get(pk=ids["erp"]).outbound_secret == "erp-secret"
        assert SystemSettings.objects.get().bot_webhook_secret == "bot-secret-0123456789"

    assert run()[-1] == f"Re-encrypted 0 value(s) in {fields} field(s); 3 already on the new key."


@override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_PREVIOUS=[OLD])
def test_a_value_no_key_reads_stops_the_command_before_any_change(secrets_under_old_key):
    with override_settings(FIELD_ENCRYPTION_KEY=STRANGER):
        lost = factories.ChannelFactory(name="Lost", kind=Channel.Kind.API, outbound_secret="lost")
    before = stored("contacts_channel", "outbound_secret", secrets_under_old_key["shop"])

    with pytest.raises(CommandError) as refused:
        run()

    message = str(refused.value)
    assert (
        f"1 stored value(s) can be read by none of the keys given, so nothing was changed: {CHANNEL} id {lost.pk}."
        in message
    )
    assert STRANGER not in message and OLD not in message
    assert stored("contacts_channel", "outbound_secret", secrets_under_old_key["shop"]) == before


def test_keys_given_as_options_and_a_dry_run(secrets_under_old_key):
    with override_settings(FIELD_ENCRYPTION_KEY=OLD, FIELD_ENCRYPTION_KEY_PREVIOUS=[]):
        before = stored("contacts_channel", "outbound_secret", secrets_under_old_key["shop"])
        dry = run(new=NEW, old=[OLD], dry_run=True)
        fields = len(encrypted_fields())
        assert dry[0] == NOT_THE_SETTINGS_KEY
        assert dry[-1] == f"Would re-encrypt 3 value(s) in {fields} field(s); 0 already on the new key."
        assert stored("contacts_channel", "outbound_secret", secrets_under_old_key["shop"]) == before

        assert run(new=NEW, old=[OLD])[-1] == f"Re-encrypted 3 value(s) in {fields} field(s); 0 already on the new key."
    assert readable_by(NEW, stored("contacts_channel", "outbound_secret", secrets_under_old_key["shop"]))
    with override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_PREVIOUS=[]):
        assert Channel.objects.get(pk=secrets_under_old_key["shop"]).outbound_secret == "shop-secret"


@pytest.mark.parametrize(("options", "option"), [({"new": "short"}, "--new"), ({"old": [NEW, "x" * 44]}, "--old #2")])
def test_a_key_that_is_not_a_fernet_key_is_refused(db, options, option):
    with pytest.raises(CommandError) as refused:
        run(**options)
    assert str(refused.value) == NOT_A_KEY.format(option=option)


def test_the_previous_keys_setting_is_read_strictly(monkeypatch):
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY_PREVIOUS", f" {OLD} , {NEW} ")
    assert env_fernet_keys("FIELD_ENCRYPTION_KEY_PREVIOUS") == [OLD, NEW]
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY_PREVIOUS", f"{OLD},not-a-key")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_fernet_keys("FIELD_ENCRYPTION_KEY_PREVIOUS")
    assert str(refused.value) == NOT_A_FERNET_KEY.format(name="FIELD_ENCRYPTION_KEY_PREVIOUS", position=2)
    monkeypatch.delenv("FIELD_ENCRYPTION_KEY_PREVIOUS")
    assert env_fernet_keys("FIELD_ENCRYPTION_KEY_PREVIOUS") == []
