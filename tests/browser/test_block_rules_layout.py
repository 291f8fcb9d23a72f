"""The Block rules pages at 390 px (a phone) and 1280 px: nothing wider than the screen, the form works.

Screenshots go to artifacts/screenshots/<width>-rules-*.png.
"""

import pytest

from contacts.block_rules import create_rule
from contacts.spam_models import BlockRule

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [{"width": 390, "height": 844}, {"width": 1280, "height": 900}]
# A value with no place to break: the list must wrap it, never widen.
LONG_ADDRESS = "telegram-chat-" + "9" * 120


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", WIDTHS, ids=lambda size: str(size["width"]))
def test_the_rules_pages_fit_and_a_rule_is_added(page, live_server, login, screenshot, supervisor, channel, size):
    create_rule(actor=supervisor, kind="address", value=LONG_ADDRESS, action="reject", channel=channel, note="bot")
    create_rule(actor=supervisor, kind="domain", value="spam.example", action="quarantine")
    page.set_viewport_size(size)
    login(page, supervisor)

    page.goto(f"{live_server.url}/spam/rules/")
    screenshot(page, f"{size['width']}-rules-list")
    assert _overflow(page) == 0

    page.get_by_role("link", name="Add rule").click()
    screenshot(page, f"{size['width']}-rules-add")
    assert _overflow(page) == 0
    page.get_by_label("Matches").select_option("phone_prefix")
    page.get_by_label("Value").fill("+62 812")
    page.get_by_text("Reject", exact=True).click()
    page.locator("#rule-save").click()
    page.wait_for_load_state()

    assert "Rule" in page.locator("#notifications").inner_text()
    assert BlockRule.objects.filter(kind="phone_prefix", value="+62812", action="reject").exists()
    assert _overflow(page) == 0
