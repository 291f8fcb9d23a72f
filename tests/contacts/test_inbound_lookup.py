"""The inbound look-up's hand-written statements load the channel exactly as the ORM does (for_token)."""

import pytest

from blockdesk.tokens import hash_token
from contacts import inbound_limits
from contacts.models import SWITCHES_PREFIX, Channel
from settings_app.models import SystemSettings
from settings_app.switches import COLUMNS
from tests import factories

pytestmark = pytest.mark.django_db


def _fields(channel: Channel) -> dict:
    return {f.attname: getattr(channel, f.attname) for f in Channel._meta.concrete_fields}


@pytest.mark.parametrize("read", ["select", "update"])
def test_the_statements_load_what_the_orm_loads(read, set_switches):
    channel = factories.ChannelFactory(
        name="Mail", kind="email", signing_secret="s" * 20, outbound_url="https://example.com/out"
    )
    channel.outbound_secret = "clear secret"
    raw = channel.set_new_token()
    channel.save()
    set_switches(block_contacts_enabled=True, bot_enabled=False, waiting_alert_minutes=42, bot_answerer="webhook")
    expected = Channel.objects.for_token(raw)

    if read == "select":
        loaded = inbound_limits._read_by_token(hash_token(raw))
    else:
        loaded = inbound_limits._count_by_token(hash_token(raw), 3, 1_800_000_000.0)

    counted = {"limit_minute", "minute_requests", "minute_messages"} if read == "update" else set()
    assert {k: v for k, v in _fields(loaded).items() if k not in counted} == {
        k: v for k, v in _fields(expected).items() if k not in counted
    }
    assert loaded.outbound_secret == "clear secret"
    assert loaded.switches == expected.switches
    assert (loaded.switches.block_contacts_enabled, loaded.switches.bot_answerer) == (True, "webhook")
    if read == "update":
        assert (loaded.limit_minute, loaded.minute_requests, loaded.minute_messages) == (30_000_000, 1, 3)


def test_a_switched_off_channel_is_neither_found_nor_counted():
    channel = factories.ChannelFactory(is_active=False)
    raw = channel.set_new_token()
    channel.save()
    digest = hash_token(raw)

    assert inbound_limits._read_by_token(digest) is None
    assert inbound_limits._count_by_token(digest, 1, 1_800_000_000.0) is None
    channel.refresh_from_db()
    assert channel.minute_requests == 0


def test_without_the_switches_row_the_channel_is_still_found_and_counted():
    """PostgreSQL joins the switches' row (LEFT): its absence must not hide the channel."""
    channel = factories.ChannelFactory()
    raw = channel.set_new_token()
    channel.save()
    SystemSettings.objects.all().delete()
    expected = Channel.objects.for_token(raw)

    read = inbound_limits._read_by_token(hash_token(raw))
    counted = inbound_limits._count_by_token(hash_token(raw), 1, 1_800_000_000.0)

    assert read.pk == counted.pk == expected.pk == channel.pk
    assert counted.minute_requests == 1
    assert [getattr(read, f"{SWITCHES_PREFIX}{name}") for name in COLUMNS] == [None] * len(COLUMNS)
    assert [getattr(counted, f"{SWITCHES_PREFIX}{name}") for name in COLUMNS] == [None] * len(COLUMNS)
