"""The Spam overview page (/spam/): who sees it, and that each chart's table says the chart's numbers."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from blockdesk import errors
from tests import factories
from tests.spam.seed import blocked_message, blocked_ticket, deleted_message, flag, hits, rule

pytestmark = pytest.mark.django_db

URL = "/spam/"


class _Tables(HTMLParser):
    """Each <table>'s caption and rows of cell texts; and the SVG bars' data-value in document order."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.bars: dict[str, list[int]] = {}
        self._svg = ""
        self._rows = None
        self._cell = None
        self._caption = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self._svg = attrs.get("id", "")
            self.bars[self._svg] = []
        elif tag == "rect" and "bar" in attrs.get("class", "").split():
            self.bars[self._svg].append(int(attrs["data-value"]))
        elif tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self._table_caption, self._caption = self._caption.strip(), None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "table":
            self.tables[self._table_caption] = self._rows
            self._rows = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption += data
        elif self._cell is not None:
            self._cell += data


def _parse(response) -> _Tables:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.parametrize(
    ("persona", "status"), [("anonymous", 302), ("agent", 403), ("supervisor", 200), ("administrator", 200)]
)
def test_who_sees_the_page(client, request, persona, status):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    response = client.get(URL)

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    if status == 403:
        assert escape(errors.NO_PERMISSION_SPAM_OVERVIEW) in response.content.decode()
        assert 'href="/spam/"' not in response.content.decode()  # no nav link to a page they cannot open


def test_the_url_is_named(supervisor):
    assert reverse("spam:overview") == URL


def test_a_post_is_405(client, supervisor):
    client.force_login(supervisor)

    assert client.post(URL).status_code == 405


def test_the_nav_link_is_current_on_the_page(client, supervisor):
    client.force_login(supervisor)

    page = client.get(URL).content.decode()
    other = client.get(reverse("contacts:list")).content.decode()

    assert '<a href="/spam/" aria-current="page">Spam</a>' in page
    assert '<a href="/spam/">Spam</a>' in other
    assert 'aria-current="page">Overview</a>' in page  # the Spam defence tab


def test_an_empty_window_says_so_and_draws_nothing(client, supervisor):
    client.force_login(supervisor)

    response = client.get(URL)

    content = response.content.decode()
    assert "No blocked messages in the last 30 days." in content
    assert "No block rule matched a message in the last 30 days." in content
    assert "The flood guard flagged no one in the last 30 days." in content
    assert "<svg" not in content


@pytest.fixture
def seeded(db):
    """Today and yesterday (local time), two channels, a blocked contact, a rule and a flood flag."""
    now = timezone.localtime()
    today = now.replace(hour=0, minute=30, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    whatsapp = factories.ChannelFactory(name="WhatsApp")
    email = factories.ChannelFactory(name="E-mail")
    spammer = factories.ContactFactory(name="Spammy <b>Sam</b>", is_blocked=False)
    ticket = blocked_ticket(spammer, whatsapp)
    for _ in range(3):
        blocked_message(ticket, yesterday)
    blocked_message(ticket, today)
    deleted_message(spammer, email, today, external_id="gone")
    domain = rule("spam.example", "reject")
    hits(domain, whatsapp, timezone.localdate(), 4)
    flag(spammer, whatsapp, today, "dismissed")
    return {"spammer": spammer, "rule": domain, "today": today.date(), "yesterday": yesterday.date()}


def test_each_table_says_the_numbers_of_its_chart(client, supervisor, seeded):
    client.force_login(supervisor)

    response = client.get(URL)
    parsed = _parse(response)

    blocked = parsed.tables["Blocked messages per day by channel"]
    assert blocked[0] == ["Day", "E-mail", "WhatsApp", "Total"]
    assert len(blocked) == 1 + 30
    assert blocked[-2][1:] == ["0", "3", "3"]  # yesterday
    assert blocked[-1][1:] == ["1", "1", "2"]  # today
    assert sum(int(row[-1]) for row in blocked[1:]) == 5
    # The chart: one bar per series and day with messages, the same values.
    assert parsed.bars["chart-blocked"] == [3, 1, 1]

    contacts = parsed.tables["Contacts with the most blocked messages, last 30 days"]
    assert contacts[1] == ["Spammy <b>Sam</b>", "Not blocked", "5"]
    assert parsed.bars["chart-contacts"] == [5]

    rule_hits = parsed.tables["Block rule hits per day by action"]
    assert rule_hits[0] == ["Day", "Quarantine", "Reject", "Allow", "Total"]
    assert rule_hits[-1][1:] == ["0", "4", "0", "4"]
    assert parsed.tables["Block rules with the most hits, last 30 days"][1][:3] == [
        "E-mail domain spam.example",
        "Reject",
        "4",
    ]

    flood = parsed.tables["Flood flags per day by outcome"]
    assert flood[-1][1:] == ["0", "1", "0", "0", "1"]


def test_names_are_escaped_and_link_to_the_360_view(client, supervisor, seeded):
    client.force_login(supervisor)

    content = client.get(URL).content.decode()

    assert "Spammy <b>Sam</b>" not in content
    assert "Spammy &lt;b&gt;Sam&lt;/b&gt;" in content
    assert f'href="{reverse("contacts:detail", args=[seeded["spammer"].pk])}"' in content


def test_charts_are_labelled_images_without_style_attributes(client, supervisor, seeded):
    client.force_login(supervisor)

    content = client.get(URL).content.decode()

    for chart in ("chart-blocked", "chart-contacts", "chart-rule-hits", "chart-top-rules", "chart-flood"):
        assert f'id="{chart}" viewBox=' in content
        assert f'role="img" aria-labelledby="{chart}-title {chart}-desc"' in content
        assert f'<title id="{chart}-title">' in content
    assert " style=" not in content
    assert re.search(r"<rect [^>]*><title>[^<]+: 3 blocked messages</title></rect>", content)


def test_the_page_costs_the_same_queries_for_more_rows(client, supervisor, seeded, django_assert_max_num_queries):
    client.force_login(supervisor)
    client.get(URL)  # the session and permission caches warm up as for any page
    for n in range(40):
        contact = factories.ContactFactory()
        blocked_message(blocked_ticket(contact, factories.ChannelFactory()), timezone.now() - timedelta(hours=n))
        hits(rule(f"r{n}.example"), factories.ChannelFactory(), timezone.localdate(), n + 1)

    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200
