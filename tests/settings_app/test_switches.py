import re

import pytest
from django.db import transaction

from blockdesk import errors
from settings_app.models import SystemSettings
from settings_app.switches import Switches, current_switches, update_switches

pytestmark = pytest.mark.django_db


def test_defaults_are_off():
    assert current_switches() == Switches(block_contacts_enabled=False, bot_enabled=False)


def test_second_read_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        current_switches()
    with django_assert_num_queries(0):
        assert current_switches() == Switches(block_contacts_enabled=False, bot_enabled=False)


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


def test_cache_is_cleared_after_commit_not_before(administrator, django_capture_on_commit_callbacks):
    current_switches()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        update_switches(actor=administrator, bot_enabled=True)
        # Not committed yet: other readers must not see (or cache) the new value early.
        assert current_switches().bot_enabled is False
    assert len(callbacks) == 1

    callbacks[0]()

    assert current_switches().bot_enabled is True


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_agent_and_supervisor_cannot_update(persona, request):
    actor = request.getfixturevalue(persona)

    with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_SETTINGS)):
        update_switches(actor=actor, block_contacts_enabled=True)

    row = SystemSettings.objects.get()
    assert (row.block_contacts_enabled, row.updated_by) == (False, None)
    assert current_switches().block_contacts_enabled is False
