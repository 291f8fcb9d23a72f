import json
import re

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import ApiToken
from blockdesk import errors
from contacts.models import AuditEntry
from settings_app.models import SystemSettings
from settings_app.switches import Switches, current_switches, end_request, start_request, update_switches

pytestmark = pytest.mark.django_db


def test_defaults_are_off():
    assert current_switches() == Switches(block_contacts_enabled=False, bot_enabled=False)


def test_outside_a_request_every_read_asks_the_database(django_assert_num_queries):
    """A worker or command keeps nothing: another process's change holds at its next read."""
    with django_assert_num_queries(1):
        current_switches()
    SystemSettings.objects.update(bot_enabled=True)  # as another process would
    with django_assert_num_queries(1):
        assert current_switches() == Switches(block_contacts_enabled=False, bot_enabled=True)


def test_a_request_reads_them_once_and_the_next_request_again(django_assert_num_queries):
    start_request()
    try:
        with django_assert_num_queries(1):
            current_switches()
            assert current_switches().bot_enabled is False
        SystemSettings.objects.update(bot_enabled=True)
        assert current_switches().bot_enabled is False  # one request, one reading
    finally:
        end_request()
    start_request()
    try:
        assert current_switches().bot_enabled is True  # the very next request
    finally:
        end_request()


def test_administrator_update_is_stored_and_read_at_once(administrator, django_capture_on_commit_callbacks):
    current_switches()  # cached: both off

    with django_capture_on_commit_callbacks(execute=True):
        returned = update_switches(actor=administrator, block_contacts_enabled=True)

    assert returned == Switches(block_contacts_enabled=True, bot_enabled=False)
    assert current_switches() == returned
    row = SystemSettings.objects.get()
    assert (row.block_contacts_enabled, row.bot_enabled, row.updated_by) == (True, False, administrator)


def test_update_leaves_the_other_switch_alone(administrator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        update_switches(actor=administrator, block_contacts_enabled=True)
        update_switches(actor=administrator, bot_enabled=True)
        update_switches(actor=administrator, block_contacts_enabled=False)

    assert current_switches() == Switches(block_contacts_enabled=False, bot_enabled=True)


def test_the_requests_reading_is_forgotten_after_commit_not_before(administrator, django_capture_on_commit_callbacks):
    start_request()
    try:
        current_switches()  # this request's reading: both off
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            update_switches(actor=administrator, bot_enabled=True)
            # Not committed yet: the request keeps the reading it started with.
            assert current_switches().bot_enabled is False
        assert len(callbacks) == 1

        callbacks[0]()

        assert current_switches().bot_enabled is True
    finally:
        end_request()


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_agent_and_supervisor_cannot_update(persona, request):
    actor = request.getfixturevalue(persona)

    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_SETTINGS)):
        update_switches(actor=actor, block_contacts_enabled=True)

    row = SystemSettings.objects.get()
    assert (row.block_contacts_enabled, row.updated_by) == (False, None)
    assert current_switches().block_contacts_enabled is False


# The audit trail: one row per switch that actually changed, from → to, whichever door changed it.


def _switch_rows() -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action=AuditEntry.Action.SWITCH_CHANGED)
        .order_by("id")
        .values_list("actor__username", "subject", "change")
    )


def test_each_changed_switch_gets_one_audit_row(administrator):
    update_switches(actor=administrator, bot_enabled=True)
    update_switches(actor=administrator, block_contacts_enabled=True, bot_enabled=False)

    assert _switch_rows() == [
        ("admin", "BOT", "off → on"),
        ("admin", "Block contacts", "off → on"),
        ("admin", "BOT", "on → off"),
    ]


def test_nothing_changed_writes_nothing(administrator, blocking_on, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        returned = update_switches(actor=administrator, block_contacts_enabled=True, bot_enabled=False)

    assert returned == Switches(block_contacts_enabled=True, bot_enabled=False)
    assert _switch_rows() == []
    assert SystemSettings.objects.get().updated_by is None  # the last real change keeps its author
    assert callbacks == []


def test_a_refused_change_writes_no_row(supervisor):
    with pytest.raises(errors.Forbidden):
        update_switches(actor=supervisor, bot_enabled=True)

    assert _switch_rows() == []


def test_the_row_rolls_back_with_the_change(administrator):
    with pytest.raises(RuntimeError), transaction.atomic():
        update_switches(actor=administrator, bot_enabled=True)
        raise RuntimeError("the caller's transaction fails")

    assert _switch_rows() == []
    assert SystemSettings.objects.get().bot_enabled is False


def _by_console(client, administrator):
    client.force_login(administrator)
    client.post(reverse("settings_app:page"), {"block_contacts_enabled": "on"})


def _by_api(client, administrator):
    _, raw = ApiToken.issue(user=administrator)
    client.patch(
        "/api/v1/settings",
        json.dumps({"block_contacts_enabled": True, "bot_enabled": False}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


def _by_admin(client, administrator):
    client.force_login(administrator)
    row = SystemSettings.load()
    client.post(reverse("admin:settings_app_systemsettings_change", args=[row.pk]), {"block_contacts_enabled": "on"})


@pytest.mark.parametrize("door", [_by_console, _by_api, _by_admin])
def test_every_door_audits_the_switch_it_changed(door, client, administrator):
    door(client, administrator)

    assert current_switches() == Switches(block_contacts_enabled=True, bot_enabled=False)
    assert _switch_rows() == [("admin", "Block contacts", "off → on")]
