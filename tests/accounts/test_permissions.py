"""A person's permissions (accounts.backends.PersonBackend): the same set as Django's ModelBackend, in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import PersonBackend

pytestmark = pytest.mark.django_db


def _fresh(person):
    return get_user_model().objects.get(pk=person.pk)


@pytest.mark.parametrize("role", ["agent", "supervisor", "administrator"])
def test_a_role_has_what_model_backend_gives_it(request, role):
    person = request.getfixturevalue(role)
    assert PersonBackend().get_all_permissions(_fresh(person)) == ModelBackend().get_all_permissions(_fresh(person))


def test_own_permissions_count_with_the_groups(agent):
    agent.user_permissions.add(Permission.objects.get(codename="unblock_contact"))
    person = _fresh(agent)
    assert "contacts.unblock_contact" in PersonBackend().get_all_permissions(person)
    assert "tickets.work_ticket" in PersonBackend().get_all_permissions(person)  # from the agents' group


def test_checking_permissions_costs_one_query_a_request(supervisor):
    person = _fresh(supervisor)
    with CaptureQueriesContext(connection) as captured:
        assert person.has_perm("contacts.unblock_contact")
        assert person.has_perm("tickets.work_ticket")
        assert not person.has_perm("auth.add_user")
    assert len(captured.captured_queries) == 1


def test_an_inactive_person_has_none(supervisor):
    supervisor.is_active = False
    supervisor.save()
    assert PersonBackend().get_all_permissions(_fresh(supervisor)) == set()
