"""The API's timed blocks: a duration or an exact end, refused when wrong, and the end in every contact answer."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from blockdesk import errors
from contacts.models import Block, Contact
from tests import factories

from .conftest import API

pytestmark = pytest.mark.django_db


def _block(client, contact, body):
    return client.post(f"{API}/contacts/{contact.pk}/block", json.dumps(body), content_type="application/json")


def test_a_duration_sets_the_end_and_the_answer_shows_it(as_user, supervisor, blocking_on):
    contact = factories.ContactFactory()
    before = timezone.now()
    response = _block(as_user(supervisor), contact, {"reason": "spam", "duration": "7d"})
    assert response.status_code == 200
    ends_at = parse_datetime(response.json()["contact"]["block"]["ends_at"])
    assert before + timedelta(days=7) <= ends_at <= timezone.now() + timedelta(days=7)
    # JSON carries milliseconds.
    assert abs(Contact.objects.get(pk=contact.pk).blocked_until - ends_at) < timedelta(milliseconds=1)
    detail = as_user(supervisor).get(f"{API}/contacts/{contact.pk}").json()
    assert parse_datetime(detail["block"]["ends_at"]) == ends_at


def test_an_exact_end_is_kept(as_user, supervisor, blocking_on):
    contact = factories.ContactFactory()
    until = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = _block(as_user(supervisor), contact, {"reason": "spam", "until": until.isoformat()})
    assert response.status_code == 200
    assert Block.objects.get(contact=contact).ends_at == until


def test_forever_is_the_default_and_answers_null(as_user, supervisor, blocking_on):
    contact = factories.ContactFactory()
    response = _block(as_user(supervisor), contact, {"reason": "spam"})
    assert response.json()["contact"]["block"]["ends_at"] is None


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"reason": "spam", "until": "2020-01-01T00:00:00Z"}, errors.BLOCK_END_PAST),
        ({"reason": "spam", "duration": "1d", "until": "2099-01-01T00:00:00Z"}, errors.BLOCK_END_TWICE),
        ({"reason": "spam", "duration": "2w"}, None),
        ({"reason": "spam", "until": "2099-01-01T00:00:00"}, None),  # no time zone: which midnight?
        ({"reason": "spam", "until": "soon"}, None),
    ],
)
def test_a_wrong_end_is_a_422_and_blocks_nobody(as_user, supervisor, blocking_on, body, detail):
    contact = factories.ContactFactory()
    response = _block(as_user(supervisor), contact, body)
    assert response.status_code == 422
    if detail is not None:
        assert response.json()["detail"] == detail
    assert not Contact.objects.get(pk=contact.pk).is_blocked
    assert not Block.objects.exists()
