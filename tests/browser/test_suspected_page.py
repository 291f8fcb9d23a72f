"""The Suspected spam page at 390 px and 1280 px: nothing wider than the screen; Dismiss and Block work."""

import pytest

from contacts.models import Contact, FloodFlag, FloodStatus
from tests import factories
from tests.spam.flood_helpers import flagged

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "Maria Fernanda de la Cruz " + "Flooder" * 8


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_list_fits_and_dismiss_and_block_work(
    page, login, live_server, screenshot, supervisor, channel, blocking_on, width
):
    dismissed = flagged(channel, factories.ContactFactory(name=LONG_NAME))
    blocked = flagged(channel, factories.ContactFactory(name="Spammy Sam"), messages=120, window_minutes=2)
    page.set_viewport_size({"width": width, "height": 844})
    login(page, supervisor)
    page.goto(f"{live_server.url}/spam/suspected/")
    screenshot(page, f"{width}-suspected")
    assert _overflow(page) <= 0
    page.locator(f"#flag-{dismissed.pk}").get_by_role("button", name="Dismiss").click()
    page.wait_for_load_state()
    assert "no longer suspected" in page.content()
    page.locator(f"#flag-{blocked.pk}").get_by_role("link", name="Block…").click()
    page.wait_for_load_state()
    screenshot(page, f"{width}-suspected-block")
    assert _overflow(page) <= 0
    page.get_by_label("How long").select_option("7d")
    page.get_by_role("button", name="Block Spammy Sam").click()
    page.wait_for_load_state()
    assert "Spammy Sam is blocked until" in page.content()
    assert FloodFlag.objects.get(pk=dismissed.pk).status == FloodStatus.DISMISSED
    assert FloodFlag.objects.get(pk=blocked.pk).status == FloodStatus.BLOCKED
    assert Contact.objects.get(pk=blocked.contact_id).is_blocked
    page.goto(f"{live_server.url}/spam/suspected/?status=history")
    assert _overflow(page) <= 0
