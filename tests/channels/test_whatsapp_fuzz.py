"""Hostile input at the WhatsApp webhook (hypothesis): no 5xx, nothing stored unsigned, replays stored once."""

import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import Contact
from tests.channels.conftest import WA_PHONE_NUMBER_ID
from tickets.models import Message

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=12,
)
kinds = st.sampled_from(
    ["text", "image", "audio", "video", "document", "location", "sticker", "reaction", "interactive", "button"]
    + ["contacts", "order", "system", "unsupported"]
) | st.text(max_size=12)


def mostly(good, bad):
    """good eight times in ten, else bad: mostly well-formed, so the fuzzer gets past the shape checks into routing."""
    return st.integers(0, 9).flatmap(lambda n: good if n < 8 else bad)


wa_ids = mostly(st.from_regex(r"\A[0-9]{8,15}\Z"), st.text(max_size=20))
ids = mostly(st.text(min_size=1, max_size=40).filter(str.strip), st.integers() | st.none() | st.text(max_size=3))
timestamps = mostly(
    st.integers(min_value=0, max_value=2 * 10**9).map(str),
    st.integers(min_value=-(10**20), max_value=10**20).map(str) | st.text(max_size=12) | st.none(),
)


@st.composite
def messages(draw):
    kind = draw(kinds)
    message = {"from": draw(wa_ids), "id": draw(ids), "timestamp": draw(timestamps), "type": kind}
    message[kind] = draw(json_values | st.fixed_dictionaries({"body": st.text(max_size=200)}))
    if draw(st.booleans()):
        message["context"] = draw(json_values)
    return message


@st.composite
def statuses(draw):
    return {
        "id": draw(ids),
        "status": draw(st.sampled_from(["sent", "delivered", "read", "failed", "deleted"]) | st.text(max_size=8)),
        "errors": draw(mostly(st.lists(json_values, max_size=2), json_values)),
    }


@st.composite
def notifications(draw):
    value = {
        "metadata": {"phone_number_id": draw(mostly(st.just(WA_PHONE_NUMBER_ID), ids))},
        "contacts": draw(
            mostly(st.lists(st.fixed_dictionaries({"wa_id": wa_ids, "profile": json_values}), max_size=2), json_values)
        ),
        "messages": draw(st.lists(messages(), min_size=1, max_size=3)),
        "statuses": draw(st.lists(statuses(), max_size=2)),
    }
    change = draw(mostly(st.just({"field": "messages", "value": value}), json_values))
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


# What the examples did (200, 400, "stored"): a look at how deep the fuzzer gets, for a person debugging it.
OUTCOMES: Counter = Counter()


def _stored() -> tuple[int, int]:
    return Message.objects.count(), Contact.objects.count()


@FUZZ
@given(body=st.binary(max_size=300) | notifications().map(lambda n: json.dumps(n).encode()), signature=st.text())
def test_a_bad_signature_is_401_and_stores_nothing(meta, body, signature):
    before = _stored()

    response = meta(body, headers={"X-Hub-Signature-256": signature})

    assert response.status_code == 401
    assert _stored() == before


@FUZZ
@given(payload=notifications())
def test_signed_hostile_notifications_never_5xx_and_replays_are_stored_once(meta, payload):
    before = _stored()
    first = meta(payload)
    assert first.status_code in (200, 400), first.content
    if first.status_code == 400:
        assert first.json()["detail"]
    OUTCOMES[first.status_code] += 1
    after_first = _stored()
    OUTCOMES["stored"] += after_first[0] > before[0]

    again = meta(payload)

    assert again.status_code == first.status_code
    assert _stored() == after_first
    if again.status_code == 200:
        assert again.json()["messages"] == 0


@FUZZ
@given(body=st.binary(max_size=500))
def test_signed_random_bytes_are_400_never_5xx(meta, body):
    assert meta(body).status_code in (200, 400)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "other"]), st.text(max_size=300)
    )
)
def test_the_handshake_never_5xx_and_never_echoes_without_the_token(client, meta, number, params):
    response = client.get(meta.url, params)

    if params.get("hub.verify_token") == number.raw_verify_token:  # pragma: no cover  (hypothesis cannot guess it)
        return
    assert response.status_code == 403
