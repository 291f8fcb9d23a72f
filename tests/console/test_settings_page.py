"""The System settings page: administrators only; saves the two switches through update_switches."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from settings_app.models import SystemSettings
from settings_app.switches import current_switches

pytestmark = pytest.mark.django_db

PAGE = reverse("settings_app:page")


def test_administrators_see_both_switches_explained_and_a_link_to_admin(logged_in, administrator):
    response = logged_in(administrator).get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="block_contacts_enabled"' in page and 'name="bot_enabled"' in page
    assert (
        "Off: nobody can block; contacts already blocked stay blocked, and supervisors can still unblock them." in page
    )
    assert (
        "On: new tickets and released blocked tickets wait in the BOT queue, where agents do not see them, "
        "until a supervisor takes them over or hands them to Unassigned."
    ) in page
    assert f'href="{reverse("admin:index")}"' in page


def test_the_checkboxes_show_the_current_switches(logged_in, administrator, blocking_on):
    page = logged_in(administrator).get(PAGE).content.decode()
    assert 'id="id_block_contacts_enabled" name="block_contacts_enabled" checked' in page
    assert 'id="id_bot_enabled" name="bot_enabled">' in page


def test_saving_switches_both_on(logged_in, administrator, django_capture_on_commit_callbacks):
    current_switches()  # cached before the change: saving must clear it
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(administrator).post(PAGE, {"block_contacts_enabled": "on", "bot_enabled": "on"})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "System settings saved: blocking contacts is on, the BOT is on, "
        "BOT tickets are answered by nobody (they wait for a supervisor), queues show a wait in red from 15 min, "
        "and blocked tickets are kept until a supervisor acts."
    ]
    row = SystemSettings.objects.get()
    assert (row.block_contacts_enabled, row.bot_enabled, row.updated_by) == (True, True, administrator)
    assert current_switches().block_contacts_enabled and current_switches().bot_enabled


def test_an_unchecked_box_switches_off(
    logged_in, administrator, blocking_on, bot_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(administrator).post(PAGE, {"bot_enabled": "on"})
    assert not current_switches().block_contacts_enabled
    assert current_switches().bot_enabled


def test_the_saved_state_is_shown_after_the_redirect(logged_in, administrator):
    client = logged_in(administrator)
    page = client.post(PAGE, {"block_contacts_enabled": "on"}, follow=True).content.decode()
    assert "System settings saved" in page
    assert 'name="block_contacts_enabled" checked' in page
    assert "Last changed by Adi" in page


@pytest.mark.parametrize("persona", ["agent", "supervisor", "nobody"])
def test_everyone_else_gets_403(logged_in, request, persona):
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"block_contacts_enabled": "on"}).status_code == 403
    assert not current_switches().block_contacts_enabled


def test_the_nav_link_is_for_administrators_only(logged_in, administrator, supervisor):
    assert f'href="{PAGE}"' in logged_in(administrator).get(reverse("contacts:list")).content.decode()
    assert f'href="{PAGE}"' not in logged_in(supervisor).get(reverse("contacts:list")).content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.post(PAGE, {"block_contacts_enabled": "on"})
    assert not current_switches().block_contacts_enabled


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405(logged_in, administrator, method):
    assert getattr(logged_in(administrator), method)(PAGE).status_code == 405


def test_csrf_is_enforced(csrf_client, administrator):
    client = csrf_client(administrator)
    assert client.post(PAGE, {"block_contacts_enabled": "on"}).status_code == 403
    assert not SystemSettings.objects.get().block_contacts_enabled
    token = client.get(PAGE).cookies["csrftoken"].value
    client.post(PAGE, {"block_contacts_enabled": "on", "csrfmiddlewaretoken": token})
    assert SystemSettings.objects.get().block_contacts_enabled
