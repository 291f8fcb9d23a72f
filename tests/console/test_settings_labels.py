"""The settings page says each switch's saved state and what On and Off each do, true in both states."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGE = reverse("settings_app:page")

BLOCKING_ON = (
    "On: agents and supervisors may block spam contacts; a blocked contact's new messages go to the "
    "supervisors' Blocked list."
)
BLOCKING_OFF = "Off: nobody can block; contacts already blocked stay blocked, and supervisors can still unblock them."
BOT_ON = (
    "On: new tickets and released blocked tickets wait in the BOT queue, where agents do not see them, "
    "until a supervisor takes them over or hands them to Unassigned."
)
BOT_OFF = (
    "Off: new tickets and released blocked tickets go to the Unassigned queue, where agents take them; "
    "tickets already with the BOT stay in its queue."
)


def labels(box, *, saved_on):
    """The two labels of a switch; without JavaScript only the saved one shows."""
    on = "Currently On" if saved_on else "On, not saved yet"
    off = "Off, not saved yet" if saved_on else "Currently Off"
    return (
        f'<span class="badge badge-on" data-checked-for="{box}"{"" if saved_on else " hidden"}>{on}</span>',
        f'<span class="badge badge-off" data-unchecked-for="{box}"{" hidden" if saved_on else ""}>{off}</span>',
    )


def test_both_switches_off(logged_in, administrator):
    page = logged_in(administrator).get(PAGE).content.decode()
    for label in (*labels("id_block_contacts_enabled", saved_on=False), *labels("id_bot_enabled", saved_on=False)):
        assert label in page
    for description in (BLOCKING_ON, BLOCKING_OFF, BOT_ON, BOT_OFF):
        assert description in page


def test_both_switches_on(logged_in, administrator, set_switches):
    set_switches(block_contacts_enabled=True, bot_enabled=True)
    page = logged_in(administrator).get(PAGE).content.decode()
    for label in (*labels("id_block_contacts_enabled", saved_on=True), *labels("id_bot_enabled", saved_on=True)):
        assert label in page
    for description in (BLOCKING_ON, BLOCKING_OFF, BOT_ON, BOT_OFF):
        assert description in page
