"""The Indonesian page tests read the project's own catalogue (locale/id, compiled; tests/i18n/test_catalogue.py
checks the compiled file is the catalogue's). Django keeps translations per process: they are dropped around each
test, so one test's language never leaks into the next."""

import pytest
from django.utils.translation import trans_real

from accounts.profiles import save_profile


def _forget_catalogues():
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = trans_real.Local()


@pytest.fixture
def indonesian_catalogue():
    _forget_catalogues()
    yield
    _forget_catalogues()


def in_indonesian(client, person):
    """The client signed in as the person, whose language is Bahasa Indonesia."""
    save_profile(person=person, language="id", time_zone="")
    client.force_login(person)
    return client


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()
