"""Hostile input: the inbound API and the console forms never answer 5xx, store nothing they refuse,
and show whatever customers or staff typed as text, never as markup."""

import json
import uuid

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import Contact
from tests import factories
from tickets.models import Message, TicketStatus

pytestmark = pytest.mark.django_db

INBOUND = "/api/v1/inbound/messages"
BATCH = "/api/v1/inbound/messages/batch"
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE tickets_message; --"
NASTY_TEXTS = [
    SCRIPT,
    SQL,
    "Robert'); DELETE FROM contacts_contact WHERE ('1'='1",
    "\u202eevil\u202c",  # right-to-left override
    "e\u0301\u200d\U0001f469\u200d\U0001f4bb",  # combining mark, zero-width joiner, emoji
    "\ufeff\ufffe\uffff",
    "x" * 10_000,
    "{{ settings.SECRET_KEY }}{% debug %}",
]


@pytest.fixture
def post(client, channel):
    raw = channel.set_new_token()
    channel.save()

    def send(body, url=INBOUND):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        return client.post(url, data, content_type="application/json", headers={"Authorization": f"Bearer {raw}"})

    return send


def _message(**overrides):
    body = {"message_id": f"wamid.{uuid.uuid4().hex}", "contact": {"id": "+6281200000001", "name": "Budi"}}
    body["text"] = "Hello"
    body.update(overrides)
    return body


def _stored() -> tuple[int, int]:
    return Message.objects.count(), Contact.objects.count()


def _assert_refused_cleanly(response, before, allowed=(400, 413, 422)):
    assert response.status_code in allowed, response.content[:300]
    assert "detail" in response.json()
    assert _stored() == before, "a refused request stored something"


@pytest.mark.parametrize("text", NASTY_TEXTS, ids=range(len(NASTY_TEXTS)))
def test_nasty_texts_are_stored_verbatim(post, text):
    response = post(_message(text=text, contact={"id": "+620", "name": text[:200]}))
    assert response.status_code == 201, response.content[:300]
    message = Message.objects.get(pk=response.json()["message"])
    assert message.body == text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", "before\x00after"),
        ("message_id", "wamid.\x00"),
        ("contact.id", "+62\x00"),
        ("contact.name", "Bu\x00di"),
    ],
)
def test_nul_bytes_are_refused_or_stripped(post, field, value):
    """PostgreSQL text cannot hold NUL: refuse it with 422 (or store it stripped), never 500."""
    body = _message()
    if field.startswith("contact."):
        body["contact"][field.split(".")[1]] = value
    else:
        body[field] = value
    before = _stored()
    response = post(body)
    if response.status_code == 201:
        message = Message.objects.select_related("ticket__contact").get(pk=response.json()["message"])
        assert "\x00" not in message.body + message.external_id + message.ticket.contact.name
    else:
        _assert_refused_cleanly(response, before, allowed=(422,))


@pytest.mark.parametrize(
    "raw",
    [
        '{"message_id": "a\\ud800", "contact": {"id": "1"}, "text": "x"}',
        '{"message_id": "lone-low", "contact": {"id": "1"}, "text": "x\\udfff"}',
        '{"message_id": "name", "contact": {"id": "1", "name": "\\udbff"}, "text": "x"}',
        b'{"message_id": "bad-utf8", "contact": {"id": "1"}, "text": "\xff\xfe"}',
    ],
    ids=["id", "text", "name", "invalid utf-8"],
)
def test_lone_surrogates_and_bad_utf8_are_refused(post, raw):
    before = _stored()
    _assert_refused_cleanly(post(raw), before)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"null",
        b'"text"',
        b"{" * 50 + b"}" * 50,
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"message_id": 1, "contact": {"id": 2}, "text": 3}),
        json.dumps({"message_id": None, "contact": None, "text": None}),
        json.dumps({"message_id": [], "contact": [], "text": {}}),
        json.dumps({"message_id": "x", "contact": "x", "text": "x"}),
        json.dumps({"message_id": "x", "contact": {"id": "1"}, "text": ""}),
        json.dumps({"message_id": "x", "contact": {"id": "1"}, "text": "x" * 10_001}),
        json.dumps({"message_id": "x" * 1000, "contact": {"id": "1"}, "text": "x"}),
        json.dumps({"message_id": "x", "contact": {"id": "1" * 1000}, "text": "x"}),
        json.dumps({"message_id": "x", "contact": {"id": "1"}, "text": "x", "sent_at": "yesterday"}),
        json.dumps({"message_id": "x", "contact": {"id": "1"}, "text": "x", "sent_at": "99999-01-01T00:00:00Z"}),
        json.dumps(_message(text="x" * 70_000)),
        json.dumps({"nested": _message(contact={"id": "1", "deep": {"a": {"b": {"c": [[[[[]]]]]}}}})}),
    ],
    ids=lambda b: repr(b[:25]) + str(len(b)),
)
def test_malformed_bodies_are_refused_cleanly(post, body):
    before = _stored()
    _assert_refused_cleanly(post(body), before)


def test_a_batch_with_one_bad_item_stores_nothing(post):
    items = [_message(), _message(text="x\x00"), _message()]
    before = _stored()
    _assert_refused_cleanly(post({"messages": items}, BATCH), before, allowed=(422,))
    _assert_refused_cleanly(post({"messages": [_message()] * 101}, BATCH), before)
    _assert_refused_cleanly(post({"messages": []}, BATCH), before)


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.sampled_from(NASTY_TEXTS[:6] + ["\x00", "\ud800", "2026-11-23T10:00:00Z"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
hostile_text = st.one_of(st.text(max_size=300), st.sampled_from(NASTY_TEXTS + ["\x00", "a\ud800b"]), json_value)
inbound_body = st.fixed_dictionaries(
    {},
    optional={
        "message_id": hostile_text,
        "contact": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"id": hostile_text, "name": hostile_text, "phone": hostile_text, "email": hostile_text}
            ),
            json_value,
        ),
        "text": hostile_text,
        "sent_at": hostile_text,
    },
)

FUZZ = {"examples": 0}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=inbound_body)
def test_fuzz_inbound_never_5xx_and_refusals_store_nothing(post, body):
    FUZZ["examples"] += 1
    if isinstance(body.get("message_id"), str):
        body["message_id"] = f"{body['message_id'][:100]}.{uuid.uuid4().hex}"  # a fresh id every time
    before = _stored()
    raw = json.dumps(body, ensure_ascii=True)  # lone surrogates travel as \\udXXX escapes
    response = post(raw)
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 201:
        message = Message.objects.get(pk=response.json()["message"])
        assert message.body == body["text"]
    else:
        assert response.status_code in (400, 413, 422), response.content[:300]
        assert _stored() == before


# Console: hostile text typed by customers and staff is shown escaped on every page.


@pytest.fixture
def hostile_world(blocking_on, channel, supervisor):
    contact = factories.ContactFactory(name=SCRIPT, email="x@example.com", phone="+620")
    ticket = factories.TicketFactory(
        contact=contact, channel=channel, status=TicketStatus.ASSIGNED, assignee=supervisor, last_message_preview=SCRIPT
    )
    factories.MessageFactory(ticket=ticket, body=SCRIPT)
    blocked_contact = factories.ContactFactory(name=f"blocked {SCRIPT}")
    blocked = factories.TicketFactory(
        contact=blocked_contact, channel=channel, status=TicketStatus.BLOCKED, last_message_preview=SCRIPT
    )
    factories.MessageFactory(ticket=blocked, body=SCRIPT)
    return {"contact": contact, "ticket": ticket, "blocked_contact": blocked_contact, "blocked": blocked}


def _assert_escaped(response):
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page


def test_console_pages_escape_hostile_text(client, supervisor, hostile_world):
    client.force_login(supervisor)
    contact, ticket, blocked = hostile_world["contact"], hostile_world["ticket"], hostile_world["blocked"]
    # Block with a hostile note, reply with hostile text: both come back escaped.
    response = client.post(
        reverse("contacts:block", args=[hostile_world["blocked_contact"].pk]), {"reason": "spam", "note": SCRIPT}
    )
    assert response.status_code < 500
    assert client.post(reverse("tickets:reply", args=[ticket.pk]), {"text": SCRIPT}).status_code == 302
    for url in (
        reverse("contacts:list"),
        reverse("contacts:list") + "?tab=blocked",
        reverse("contacts:list") + "?q=%3Cscript%3E",
        reverse("contacts:detail", args=[contact.pk]),
        reverse("contacts:detail", args=[hostile_world["blocked_contact"].pk]),
        reverse("tickets:detail", args=[ticket.pk]),
        reverse("tickets:detail", args=[blocked.pk]),
        reverse("tickets:supervisor") + "?queue=blocked",
        reverse("tickets:supervisor") + "?queue=assigned",
        reverse("tickets:agent"),
    ):
        _assert_escaped(client.get(url))


@pytest.mark.parametrize(
    "value",
    ["\x00", "a\x00b", SQL, "%00", "x" * 5000, "' OR 1=1 --", "\\", "%", "_"],
    ids=lambda v: repr(v[:10]),
)
def test_console_forms_never_5xx(client, supervisor, hostile_world, value):
    client.force_login(supervisor)
    contact, ticket = hostile_world["contact"], hostile_world["ticket"]
    before = Message.objects.count()
    responses = [
        client.get(reverse("contacts:list"), {"q": value}),
        client.get(reverse("contacts:list"), {"tab": value, "page": value}),
        client.get(reverse("tickets:supervisor"), {"queue": value}),
        client.post(reverse("contacts:block", args=[contact.pk]), {"reason": value, "note": value}),
        client.post(reverse("contacts:unblock", args=[hostile_world["blocked_contact"].pk]), {"choice": value}),
        client.post(reverse("tickets:reply", args=[ticket.pk]), {"text": value}),
        client.post(reverse("tickets:assign", args=[ticket.pk]), {"assignee": value}),
        client.post(reverse("tickets:bulk_unblock"), {"ticket": [value]}),
        client.get(reverse("audit:trail"), {"q": value, "since": value, "action": value}),
    ]
    for response in responses:
        assert response.status_code < 500
    if "\x00" in value:
        assert Message.objects.count() == before, "a reply with a NUL byte was stored"


def test_console_survives_invalid_utf8_in_the_query_string(client, supervisor, hostile_world):
    client.force_login(supervisor)
    for url in (reverse("contacts:list"), reverse("tickets:supervisor"), reverse("audit:trail")):
        assert client.get(url, QUERY_STRING="q=%ED%A0%80%FF&queue=%00").status_code < 500
