"""Fixtures for the spam defence tests."""

import pytest

from tests.api.conftest import token_for  # noqa: F401


@pytest.fixture
def logged_in(client):
    """logged_in(user) returns the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def as_user(client, db):
    """as_user(user) → a test client whose requests carry a fresh personal API token of the user."""
    from accounts.models import ApiToken

    def make(user):
        _, raw = ApiToken.issue(user=user)
        client.defaults.update({"HTTP_AUTHORIZATION": f"Bearer {raw}"})
        return client

    return make
