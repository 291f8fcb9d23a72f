"""The channel lifecycle's domain functions: who may, what is refused, and the audit row of each act."""

import re

import pytest

from blockdesk import errors
from contacts.channels import create_channel, deactivate_channel, reactivate_channel, rotate_channel_token
from contacts.models import AuditEntry, Channel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_only_administrators_or_the_shell_manage_channels(request, persona, channel):
    actor = request.getfixturevalue(persona)
    for act in (
        lambda: create_channel(actor=actor, name="Mail", kind="email"),
        lambda: deactivate_channel(actor=actor, channel=channel),
        lambda: rotate_channel_token(actor=actor, channel=channel),
    ):
        with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_CHANNELS)):
            act()
    assert list(Channel.objects.values_list("name", "is_active", "token_hash")) == [
        ("WhatsApp", True, channel.token_hash)
    ]
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "kind", "error", "detail"),
    [
        ("WhatsApp", "whatsapp", errors.Conflict, errors.CHANNEL_NAME_TAKEN.format(name="WhatsApp")),
        ("", "email", errors.Invalid, errors.CHANNEL_NAME_INVALID),
        ("x" * 101, "email", errors.Invalid, errors.CHANNEL_NAME_INVALID),
        ("Fax", "fax", errors.Invalid, errors.UNKNOWN_CHANNEL_KIND.format(kind="fax", kinds=", ".join(Channel.Kind))),
    ],
)
def test_a_refused_channel_changes_nothing(administrator, channel, name, kind, error, detail):
    with pytest.raises(error, match=re.escape(detail)):
        create_channel(actor=administrator, name=name, kind=kind)

    assert list(Channel.objects.values_list("name", flat=True)) == ["WhatsApp"]
    assert not AuditEntry.objects.exists()


def test_switching_off_and_on_voids_and_restores_the_token(administrator):
    channel, raw = create_channel(actor=administrator, name="Mail", kind="email")

    deactivate_channel(actor=administrator, channel=channel)
    assert Channel.objects.for_token(raw) is None
    with pytest.raises(errors.Conflict, match=re.escape(errors.CHANNEL_ALREADY_INACTIVE)):
        deactivate_channel(actor=administrator, channel=channel)
    reactivate_channel(actor=administrator, channel=channel)

    assert Channel.objects.for_token(raw) == channel
    assert list(AuditEntry.objects.order_by("id").values_list("action", "change")) == [
        (AuditEntry.Action.CHANNEL_CREATED, ""),
        (AuditEntry.Action.CHANNEL_DEACTIVATED, "on → off"),
        (AuditEntry.Action.CHANNEL_REACTIVATED, "off → on"),
    ]


def test_the_token_lookup_brings_the_switches_in_the_same_statement(
    administrator, set_switches, django_assert_num_queries
):
    channel, raw = create_channel(actor=administrator, name="Mail", kind="email")
    set_switches(bot_enabled=True, bot_answerer="builtin")

    with django_assert_num_queries(1):
        found = Channel.objects.for_token(raw)
        switches = found.switches

    assert found == channel
    assert (switches.bot_enabled, switches.block_contacts_enabled, switches.bot_answerer) == (True, False, "builtin")
    assert Channel.objects.get(pk=channel.pk).switches is None  # a channel read without them does not pretend
