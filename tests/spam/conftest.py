"""Fixtures for the spam defence tests."""

import pytest


@pytest.fixture
def logged_in(client):
    """logged_in(user) returns the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
