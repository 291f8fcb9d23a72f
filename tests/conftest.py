"""Personas and switches shared by every test."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import translation

from settings_app.models import SystemSettings
from settings_app.switches import end_request, forget_switches
from tests import factories
from tests.migrated_rows import restore_migrated_rows


def _flushes_database(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture(autouse=True)
def _migrated_rows(request):
    """Transactional tests flush the database after each test: give each the rows the migrations made."""
    if _flushes_database(request):
        request.getfixturevalue("transactional_db")
        restore_migrated_rows()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request leaves its language active in the thread, and domain
    errors are worded in the active language when raised."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    end_request()  # no reading of the switches outlives a request, nor a test
    yield
    cache.clear()
    end_request()


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def agent(db):
    return factories.AgentFactory(username="agent", first_name="Ana")


@pytest.fixture
def other_agent(db):
    return factories.AgentFactory(username="agent2", first_name="Ben")


@pytest.fixture
def supervisor(db):
    return factories.SupervisorFactory(username="supervisor", first_name="Sari")


@pytest.fixture
def administrator(db):
    return factories.AdministratorFactory(username="admin", first_name="Adi")


@pytest.fixture
def channel(db):
    return factories.ChannelFactory(name="WhatsApp")


def _set_switches(**values):
    SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).update(**values)
    forget_switches()


@pytest.fixture
def blocking_on(db):
    _set_switches(block_contacts_enabled=True)


@pytest.fixture
def bot_on(db):
    _set_switches(bot_enabled=True)


@pytest.fixture
def set_switches(db):
    """Call with keyword switches to set them mid-test."""
    return _set_switches
