"""The audit trail's filters and both CSV exports never answer 5xx, whatever the query string.

Dates at the calendar's edge (0001-01-01, 9999-12-31) once overflowed turning midnight into UTC.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.blocking import block_contact
from contacts.models import BlockReason
from tests import factories

pytestmark = pytest.mark.django_db

TRAIL = reverse("audit:trail")
TRAIL_CSV = reverse("audit:trail_csv")
BLOCKED_CSV = reverse("audit:blocked_contacts_csv")
EDGE_DATES = ["0001-01-01", "0001-01-02", "0001-01-03", "9999-12-29", "9999-12-30", "9999-12-31"]


@pytest.fixture
def admin_client(client, administrator, supervisor, blocking_on):
    block_contact(actor=supervisor, contact=factories.ContactFactory(name="Spam King"), reason=BlockReason.SPAM)
    client.force_login(administrator)
    return client


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("day", EDGE_DATES)
def test_edge_dates_are_answered(admin_client, day):
    for query in ({"since": day}, {"until": day}, {"since": "0001-01-01", "until": day}):
        assert admin_client.get(TRAIL, query).status_code == 200
        assert admin_client.get(TRAIL_CSV, query).status_code == 200


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"since": "0001-01-01"}, 1),
        ({"until": "9999-12-31"}, 1),
        ({"since": "0001-01-01", "until": "9999-12-31"}, 1),
        ({"since": "9999-12-31"}, 0),
        ({"since": "9999-12-30"}, 0),
        ({"until": "0001-01-01"}, 0),
        ({"until": "0001-01-02"}, 0),
    ],
)
def test_edge_dates_select_what_they_say(admin_client, query, found):
    assert len(_csv_rows(admin_client.get(TRAIL_CSV, query))) == found
    assert admin_client.get(TRAIL, query).context["page"].paginator.count == found


def test_today_is_inside_a_range_that_ends_today(admin_client):
    today = timezone.localdate()
    query = {"since": (today - timedelta(days=1)).isoformat(), "until": today.isoformat()}
    assert len(_csv_rows(admin_client.get(TRAIL_CSV, query))) == 1


dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(EDGE_DATES),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.text(max_size=30),
)
values = st.one_of(st.text(max_size=60), st.sampled_from(["\x00", "%", "_", "'", "\\", "blocked", "delete_all"]))
queries = st.fixed_dictionaries(
    {},
    optional={
        "action": values,
        "actor": values,
        "q": values,
        "since": dates,
        "until": dates,
        "page": st.one_of(st.integers(min_value=-(10**20), max_value=10**20).map(str), values),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_audit_filters_never_5xx(admin_client, query):
    page = admin_client.get(TRAIL, query)
    assert page.status_code == 200
    export = admin_client.get(TRAIL_CSV, query)
    assert export.status_code == 200
    rows = _csv_rows(export)
    assert len(rows) <= 1


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=4))
def test_blocked_contacts_csv_never_5xx(admin_client, query):
    export = admin_client.get(BLOCKED_CSV, query)
    assert export.status_code == 200
    assert [row["name"] for row in _csv_rows(export)] == ["Spam King"]
