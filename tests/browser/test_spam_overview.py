"""The Spam overview in Chromium at 1280 and 390 px: the SVG bars drawn to scale, nothing wider than a phone.

With BLOCKDESK_UPDATE_FIGURES=1 the 1280 px screenshot also renews docs/figures/spam-overview.png, the README's figure.
"""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests import factories
from tests.spam.seed import blocked_message, blocked_ticket, deleted_message, flag, hits, rule

pytestmark = pytest.mark.django_db(transaction=True)

FIGURE = Path(__file__).resolve().parents[2] / "docs" / "figures" / "spam-overview.png"
PHONE = {"width": 390, "height": 844}
# Blocked messages per day on WhatsApp, today last: the bars must rise in this order.
RISING = [1, 2, 4, 6]


@pytest.fixture
def month_of_spam(db):
    """A month of spam: blocked messages on three channels, three spammers, rule hits, flood flags."""
    today = timezone.localtime().replace(hour=0, minute=20, second=0, microsecond=0)
    whatsapp = factories.ChannelFactory(name="WhatsApp")
    telegram = factories.ChannelFactory(name="Telegram")
    email = factories.ChannelFactory(name="E-mail")
    spammers = [
        factories.ContactFactory(name=name, is_blocked=False)
        for name in ("Cheap Pills Ltd", "Crypto Carl", "Lottery Winner Notification Service")
    ]
    rising = blocked_ticket(spammers[0], whatsapp)
    for back, count in enumerate(reversed(RISING)):
        for _ in range(count):
            blocked_message(rising, today - timedelta(days=back))
    carl = blocked_ticket(spammers[1], telegram)
    for back in range(6, 28, 3):
        for _ in range(back % 4 + 1):
            blocked_message(carl, today - timedelta(days=back))
    for back in range(5, 25, 4):
        deleted_message(spammers[2], email, today - timedelta(days=back), external_id=f"gone-{back}")
    rules = [rule("pills.example", "quarantine"), rule("lottery.example", "reject"), rule("friend.example", "allow")]
    for back in range(0, 30, 2):
        day = timezone.localdate() - timedelta(days=back)
        hits(rules[0], whatsapp, day, back % 5 + 1)
        hits(rules[1], email, day, back % 3 + 2)
        if back % 6 == 0:
            hits(rules[2], email, day, 1)
    for back, status in ((1, "open"), (3, "dismissed"), (3, "blocked"), (8, "auto_blocked"), (15, "dismissed")):
        flag(factories.ContactFactory(), whatsapp, today - timedelta(days=back, hours=-3), status)
    return spammers


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _heights(page, chart: str, attribute: str) -> list[float]:
    return page.eval_on_selector_all(
        f"#{chart} rect.bar", f"bars => bars.map(bar => parseFloat(bar.getAttribute('{attribute}')))"
    )


def test_the_overview_draws_its_charts_at_1280_and_390(page, live_server, login, tmp_path, supervisor, month_of_spam):
    from playwright.sync_api import expect

    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append((message.text, message.location)))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: response.status >= 400 and problems.append(response.url))
    login(page, supervisor)

    page.get_by_role("link", name="Spam", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Spam overview", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Spam", exact=True)).to_have_attribute("aria-current", "page")

    # Blocked messages: WhatsApp's bars of the last four days rise as the counts do.
    whatsapp = page.locator("#chart-blocked rect.bar.series-2")  # series: E-mail, Telegram, WhatsApp
    expect(whatsapp).to_have_count(len(RISING))
    heights = [float(whatsapp.nth(i).get_attribute("height")) for i in range(len(RISING))]
    assert heights == sorted(heights) and heights[0] < heights[-1]
    assert heights[-1] / heights[0] == pytest.approx(RISING[-1] / RISING[0], rel=0.01)
    assert page.locator("#chart-blocked rect.bar").count() == len(RISING) + 8 + 5  # + Carl's days + deleted ones
    # Top contacts: one bar each, longest first; the names are drawn.
    widths = _heights(page, "chart-contacts", "width")
    assert len(widths) == 3 and widths == sorted(widths, reverse=True)
    expect(page.locator("#chart-contacts")).to_contain_text("Crypto Carl")
    expect(page.locator("#chart-rule-hits rect.bar").first).to_be_visible()
    expect(page.locator("#chart-flood rect.bar")).to_have_count(5)
    # Hovering a bar tells what it counts; the table holds the same numbers.
    expect(whatsapp.last.locator("title")).to_have_text(
        f"{timezone.localdate():%-d %b %Y}, WhatsApp: 6 blocked messages"
    )
    desktop = tmp_path / "spam-overview-1280.png"
    page.screenshot(path=str(desktop), full_page=True)
    if os.environ.get("BLOCKDESK_UPDATE_FIGURES"):  # the README's figure, renewed on purpose, not by every run
        shutil.copyfile(desktop, FIGURE)
    page.get_by_text("Blocked messages per day by channel as a table").click()
    today_row = page.locator("#blocked-messages tbody tr").last
    expect(today_row.locator("td").last).to_have_text(str(RISING[-1]))

    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0, f"the overview is {_overflow(page)} px wider than 390 px"
    page.get_by_text("Block rule hits per day by action as a table").click()
    assert _overflow(page) <= 0
    box = page.locator("#chart-blocked").bounding_box()
    assert 300 < box["width"] <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "spam-overview-390.png"), full_page=True)

    # Nothing refused by the Content-Security-Policy, no script error, no missing file (but the favicon).
    assert [problem for problem in problems if "favicon.ico" not in str(problem)] == []
