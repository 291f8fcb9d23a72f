"""Tokens and HTTP helpers for the JSON API tests."""

import pytest

from accounts.models import ApiToken
from tests import factories

API = "/api/v1"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def message(message_id="wamid.1", contact_id="+6281234567890", text="Hello", **extra) -> dict:
    """An inbound message body as DESIGN.md shows it."""
    body = {
        "message_id": message_id,
        "contact": {"id": contact_id, "name": "Budi", "phone": contact_id, "email": None},
        "text": text,
    }
    body.update(extra)
    return body


def _token_for(channel) -> str:
    raw = channel.set_new_token()
    channel.save()
    return raw


@pytest.fixture
def channel_token(channel):
    """The raw bearer token of the `channel` fixture."""
    return _token_for(channel)


@pytest.fixture
def make_channel(db):
    """make_channel(**fields) → (channel, raw token)."""

    def make(**fields):
        channel = factories.ChannelFactory(**fields)
        return channel, _token_for(channel)

    return make


@pytest.fixture
def token_for(db):
    """token_for(user) → a fresh personal API token for the user."""

    def issue(user) -> str:
        _, raw = ApiToken.issue(user=user)
        return raw

    return issue


@pytest.fixture
def as_user(client, token_for):
    """as_user(user) → a test client whose requests carry the user's personal token."""

    def make(user):
        client.defaults.update({"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"})
        return client

    return make


def pytest_terminal_summary(terminalreporter):
    from tests.api.fuzz_counts import CASES

    if CASES:
        terminalreporter.write_line(
            f"schemathesis: {sum(CASES.values())} cases over {len(CASES)} operations "
            + ", ".join(f"{label}: {n}" for label, n in sorted(CASES.items()))
        )
