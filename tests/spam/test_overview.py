"""spam_overview: the numbers, at the window's edges, in the current time zone, at a fixed number of queries."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from spam.overview import MAX_DAYS, TOP, spam_overview
from tests import factories
from tests.spam.seed import blocked_message, blocked_ticket, deleted_message, flag, hits, rule

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")  # UTC+7, no daylight saving
# 7 Dec 2026, 10:00 in Jakarta (03:00 UTC).
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=JAKARTA)


@pytest.fixture
def jakarta():
    with timezone.override(JAKARTA):
        yield


def _by_day(per_day):
    return {d.day: dict(zip([s.label for s in per_day.series], d.counts, strict=True)) for d in per_day.days}


def test_every_day_of_the_window_is_there_with_zeros(jakarta):
    overview = spam_overview(days=30, now=NOW)

    assert overview.first_day == date(2026, 11, 8)
    assert overview.last_day == date(2026, 12, 7)
    assert [d.day for d in overview.blocked_messages.days] == [date(2026, 11, 8) + timedelta(n) for n in range(30)]
    assert all(d.total == 0 for d in overview.blocked_messages.days)
    assert [s.key for s in overview.rule_hits.series] == ["quarantine", "reject", "allow"]
    assert [s.key for s in overview.flood_flags.series] == ["open", "dismissed", "blocked", "auto_blocked"]
    assert len(overview.flood_flags.days) == 30
    assert overview.top_contacts == () and overview.top_rules == ()
    assert overview.totals.blocked_messages == overview.totals.rule_hits == overview.totals.flood_flags == 0


def test_blocked_messages_count_by_local_arrival_day_and_channel_deleted_ones_too(jakarta):
    whatsapp = factories.ChannelFactory(name="WhatsApp")
    email = factories.ChannelFactory(name="E-mail")
    spammer = factories.ContactFactory(name="Spammy")
    ticket = blocked_ticket(spammer, whatsapp)
    # 6 Dec 23:30 in Jakarta is 6 Dec 16:30 UTC; 7 Dec 00:30 Jakarta is still 6 Dec (17:30) in UTC.
    blocked_message(ticket, datetime(2026, 12, 6, 23, 30, tzinfo=JAKARTA))
    blocked_message(ticket, datetime(2026, 12, 7, 0, 30, tzinfo=JAKARTA))
    blocked_message(ticket, datetime(2026, 12, 7, 9, 0, tzinfo=JAKARTA))
    deleted_message(spammer, email, datetime(2026, 12, 7, 1, 0, tzinfo=JAKARTA), external_id="gone-1")
    # The window's first local midnight is in, the moment before it is out.
    blocked_message(ticket, datetime(2026, 11, 8, 0, 0, tzinfo=JAKARTA))
    blocked_message(ticket, datetime(2026, 11, 7, 23, 59, 59, tzinfo=JAKARTA))
    deleted_message(spammer, email, datetime(2026, 11, 7, 23, 59, tzinfo=JAKARTA), external_id="gone-old")
    # Not blocked arrivals: a normal message, and a deleted one that was not blocked.
    factories.MessageFactory(ticket=factories.TicketFactory(channel=whatsapp))

    overview = spam_overview(days=30, now=NOW)

    by_day = _by_day(overview.blocked_messages)
    assert [s.label for s in overview.blocked_messages.series] == ["E-mail", "WhatsApp"]
    assert by_day[date(2026, 12, 6)] == {"E-mail": 0, "WhatsApp": 1}
    assert by_day[date(2026, 12, 7)] == {"E-mail": 1, "WhatsApp": 2}
    assert by_day[date(2026, 11, 8)] == {"E-mail": 0, "WhatsApp": 1}
    assert overview.totals.blocked_messages == 5
    assert overview.blocked_messages.series_total(str(email.pk)) == 1


def test_the_same_rows_fall_on_other_days_in_utc():
    channel = factories.ChannelFactory(name="WhatsApp")
    ticket = blocked_ticket(factories.ContactFactory(), channel)
    blocked_message(ticket, datetime(2026, 12, 7, 0, 30, tzinfo=JAKARTA))  # 6 Dec 17:30 UTC

    with timezone.override(ZoneInfo("UTC")):
        overview = spam_overview(days=2, now=NOW)

    assert [(d.day, d.total) for d in overview.blocked_messages.days] == [
        (date(2026, 12, 6), 1),
        (date(2026, 12, 7), 0),
    ]


def test_top_contacts_sum_live_and_deleted_messages_most_first(jakarta):
    channel = factories.ChannelFactory()
    busy = factories.ContactFactory(name="Busy", is_blocked=False)
    quiet = factories.ContactFactory(name="Quiet")
    at = datetime(2026, 12, 5, 12, 0, tzinfo=JAKARTA)
    blocked_message(blocked_ticket(busy, channel), at)
    for n in range(3):
        deleted_message(busy, channel, at, external_id=f"busy-{n}")
    quiet_ticket = blocked_ticket(quiet, channel)
    for _ in range(2):
        blocked_message(quiet_ticket, at)

    top = spam_overview(days=30, now=NOW).top_contacts

    assert [(c.id, c.name, c.messages) for c in top] == [(busy.pk, "Busy", 4), (quiet.pk, "Quiet", 2)]
    assert top[0].is_blocked is False


def test_top_contacts_say_whether_the_block_holds_now(jakarta, supervisor):
    channel = factories.ChannelFactory()
    at = datetime(2026, 12, 5, 12, 0, tzinfo=JAKARTA)
    held = factories.ContactFactory(
        name="Held", is_blocked=True, blocked_at=at, blocked_by=supervisor, blocked_reason="spam"
    )
    ended = factories.ContactFactory(
        name="Ended",
        is_blocked=True,
        blocked_at=at,
        blocked_by=supervisor,
        blocked_reason="spam",
        blocked_until=NOW - timedelta(minutes=1),
    )
    blocked_message(blocked_ticket(held, channel), at)
    blocked_message(blocked_ticket(ended, channel), at)

    top = {c.name: c.is_blocked for c in spam_overview(days=30, now=NOW).top_contacts}

    assert top == {"Held": True, "Ended": False}


def test_only_the_top_ten_contacts(jakarta):
    channel = factories.ChannelFactory()
    at = datetime(2026, 12, 5, 12, 0, tzinfo=JAKARTA)
    for n in range(TOP + 2):
        ticket = blocked_ticket(factories.ContactFactory(name=f"C{n:02}"), channel)
        for _ in range(n + 1):
            blocked_message(ticket, at)

    top = spam_overview(days=30, now=NOW).top_contacts

    assert [c.name for c in top] == [f"C{n:02}" for n in range(TOP + 1, 1, -1)]


def test_rule_hits_per_day_by_action_and_top_rules_in_the_window(jakarta):
    channel = factories.ChannelFactory()
    quarantine = rule("spam.example", "quarantine")
    reject = rule("junk.example", "reject")
    allow = rule("friend.example", "allow")
    hits(quarantine, channel, date(2026, 12, 7), 5)
    hits(reject, channel, date(2026, 12, 7), 7)
    hits(allow, channel, date(2026, 12, 1), 1)
    hits(reject, channel, date(2026, 11, 7), 100)  # the day before the window
    gone = rule("gone.example", "reject")
    hits(gone, channel, date(2026, 12, 2), 50)
    gone.delete()  # the hits stay (rule NULL), counted per day, not in the top rules

    overview = spam_overview(days=30, now=NOW)

    by_day = _by_day(overview.rule_hits)
    assert by_day[date(2026, 12, 7)] == {"Quarantine": 5, "Reject": 7, "Allow": 0}
    assert by_day[date(2026, 12, 2)] == {"Quarantine": 0, "Reject": 50, "Allow": 0}
    assert overview.totals.rule_hits == 63
    assert overview.totals.rejected == 57
    assert [(r.id, r.hits, r.action) for r in overview.top_rules] == [
        (reject.pk, 7, "reject"),
        (quarantine.pk, 5, "quarantine"),
        (allow.pk, 1, "allow"),
    ]
    assert overview.top_rules[0].kind_label == "E-mail domain"


def test_flood_flags_per_day_by_outcome(jakarta):
    channel = factories.ChannelFactory()
    flag(factories.ContactFactory(), channel, datetime(2026, 12, 7, 0, 10, tzinfo=JAKARTA), "open")
    flag(factories.ContactFactory(), channel, datetime(2026, 12, 7, 8, 0, tzinfo=JAKARTA), "auto_blocked")
    flag(factories.ContactFactory(), channel, datetime(2026, 12, 6, 23, 50, tzinfo=JAKARTA), "dismissed")
    flag(factories.ContactFactory(), channel, datetime(2026, 10, 1, tzinfo=JAKARTA), "blocked")

    overview = spam_overview(days=30, now=NOW)

    by_day = _by_day(overview.flood_flags)
    assert by_day[date(2026, 12, 7)] == {"Suspected": 1, "Dismissed": 0, "Blocked": 0, "Blocked by the flood guard": 1}
    assert by_day[date(2026, 12, 6)]["Dismissed"] == 1
    assert overview.totals.flood_flags == 3


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1])
def test_a_window_out_of_range_is_refused(days):
    with pytest.raises(ValueError):
        spam_overview(days=days)


def _seed(rows: int):
    channels = [factories.ChannelFactory() for _ in range(3)]
    start = NOW - timedelta(days=20)
    for n in range(rows):
        channel = channels[n % 3]
        contact = factories.ContactFactory()
        at = start + timedelta(hours=n)
        blocked_message(blocked_ticket(contact, channel), at)
        deleted_message(contact, channel, at, external_id=f"d-{n}")
        hits(rule(f"r{n}.example", ["quarantine", "reject", "allow"][n % 3]), channel, timezone.localdate(at), n + 1)
        flag(contact, channel, at)


@pytest.mark.parametrize("rows", [10, 200])
def test_the_queries_do_not_grow_with_the_rows(jakarta, rows, django_assert_max_num_queries):
    _seed(rows)

    with django_assert_max_num_queries(6):
        overview = spam_overview(days=30, now=NOW)

    assert overview.totals.blocked_messages == 2 * rows
    assert overview.totals.flood_flags == rows
    assert len(overview.top_contacts) == len(overview.top_rules) == TOP
