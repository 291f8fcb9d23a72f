"""My profile: each person picks their language and time zone; the console and the admin site follow them."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext, override

from accounts.models import Profile
from accounts.profiles import BAD_LANGUAGE, BAD_TIME_ZONE, save_profile
from accounts.views import PROFILE_SAVED
from blockdesk import errors
from tests import factories
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:profile")
PERSONAS = ["agent", "supervisor", "administrator"]


def _choices(person) -> tuple[str, str] | None:
    return Profile.objects.filter(user=person).values_list("language", "time_zone").first()


def test_anonymous_is_sent_to_login(client):
    for response in (client.get(PAGE), client.post(PAGE, {"language": "id", "time_zone": "UTC"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not Profile.objects.exists()


def test_other_methods_are_refused(client, agent):
    client.force_login(agent)
    assert client.put(PAGE).status_code == 405
    assert not Profile.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_person_sees_their_page_linked_from_the_header(client, persona, request):
    person = request.getfixturevalue(persona)
    client.force_login(person)

    page = client.get(PAGE).content.decode()

    assert f'href="{PAGE}" aria-current="page">My profile</a>' in page
    assert '<option value="" selected>From my browser</option>' in page
    assert '<option value="Asia/Jayapura">Asia/Jayapura</option>' in page
    # Common zones first, then every zone: Jakarta leads, and a rare zone is there too.
    assert page.index("Asia/Jakarta") < page.index("Africa/Abidjan")
    assert page.count('value="Asia/Jakarta"') == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_person_saves_their_own_choices(client, persona, request, other_agent):
    person = request.getfixturevalue(persona)
    client.force_login(person)

    response = client.post(PAGE, {"language": "id", "time_zone": "Asia/Jayapura"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert _choices(person) == ("id", "Asia/Jayapura")
    assert _choices(other_agent) is None
    assert PROFILE_SAVED.format(language="Bahasa Indonesia", time_zone="Asia/Jayapura") in response.content.decode()
    assert '<option value="Asia/Jayapura" selected>' in response.content.decode()


def test_back_to_the_defaults(client, agent, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    save_profile(person=agent, language="en", time_zone="UTC")
    client.force_login(agent)

    response = client.post(PAGE, {"language": "", "time_zone": ""}, follow=True)

    assert _choices(agent) == ("", "")
    assert "Language: From my browser. Time zone: the site&#x27;s (Asia/Jakarta)." in response.content.decode()


@pytest.mark.parametrize(
    ("language", "time_zone", "error"),
    [
        ("en", "Mars/Olympus_Mons", (BAD_TIME_ZONE, "Mars/Olympus_Mons")),
        ("en", "asia/jakarta", (BAD_TIME_ZONE, "asia/jakarta")),
        ("fr", "UTC", (BAD_LANGUAGE, "")),
    ],
)
def test_a_bad_choice_is_a_form_error_and_nothing_is_saved(client, agent, language, time_zone, error):
    save_profile(person=agent, language="id", time_zone="Asia/Makassar")
    client.force_login(agent)

    response = client.post(PAGE, {"language": language, "time_zone": time_zone})

    assert response.status_code == 400
    # Said in the language the person still has: the refused choice changed nothing.
    text, value = error
    with override("id"):
        indonesian = gettext(text).format(value=value)
    assert indonesian != text.format(value=value)
    assert escape(indonesian) in response.content.decode()
    assert _choices(agent) == ("id", "Asia/Makassar")


def test_the_domain_function_refuses_bad_values(agent):
    with pytest.raises(errors.Invalid, match="not a time zone"):
        save_profile(person=agent, language="", time_zone="Nowhere/At_All")
    with pytest.raises(errors.Invalid) as refused:
        save_profile(person=agent, language="de", time_zone="")
    assert refused.value.detail == BAD_LANGUAGE
    assert not Profile.objects.exists()


# The choices take effect


def test_the_admin_site_speaks_the_persons_language(client, administrator):
    client.force_login(administrator)
    assert "Site administration" in client.get("/admin/").content.decode()

    save_profile(person=administrator, language="id", time_zone="")
    response = client.get("/admin/", headers={"accept-language": "en"})

    assert response["Content-Language"] == "id"
    assert "Administrasi situs" in response.content.decode()


def test_without_a_choice_the_browser_picks_the_language(client, administrator):
    client.force_login(administrator)

    response = client.get("/admin/", headers={"accept-language": "id,en;q=0.5"})

    assert response["Content-Language"] == "id"
    assert client.get("/admin/", headers={"accept-language": "fr"})["Content-Language"] == "en"


def test_the_choices_cost_no_query(client, supervisor):
    """The profile comes with the person (accounts.backends.PersonBackend): a chosen zone adds no query."""
    client.force_login(supervisor)
    url = f"{reverse('tickets:supervisor')}?queue={TicketStatus.UNASSIGNED.value}"
    client.get(url)
    with CaptureQueriesContext(connection) as without_profile:
        client.get(url)
    save_profile(person=supervisor, language="en", time_zone="Asia/Jayapura")
    with CaptureQueriesContext(connection) as with_profile:
        page = client.get(url).content.decode()

    assert len(with_profile) == len(without_profile)
    assert not any("accounts_profile" in q["sql"] and "JOIN" not in q["sql"] for q in with_profile.captured_queries)
    assert "My profile" in page


def test_a_zone_the_machine_no_longer_knows_falls_back_to_the_site_zone(client, agent, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    Profile.objects.create(user=agent, time_zone="Atlantis/Capital")
    ticket = factories.TicketFactory(
        status=TicketStatus.ASSIGNED, assignee=agent, last_message_at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    )
    client.force_login(agent)

    response = client.get(reverse("tickets:detail", args=[ticket.pk]))

    assert response.status_code == 200
    assert "2026-12-01 07:00" in response.content.decode()


def test_an_administrator_changes_a_persons_choices_in_the_admin_site(client, administrator, agent):
    administrator.is_staff = True
    administrator.save()
    profile = save_profile(person=agent, language="", time_zone="")
    client.force_login(administrator)
    url = reverse("admin:accounts_profile_change", args=[profile.pk])

    refused = client.post(url, {"language": "en", "time_zone": "Mars/Base"})
    saved = client.post(url, {"language": "en", "time_zone": "Asia/Makassar"})

    assert BAD_TIME_ZONE.format(value="Mars/Base") in refused.content.decode()
    assert saved.status_code == 302
    assert _choices(agent) == ("en", "Asia/Makassar")


@pytest.mark.parametrize("hostile", ["\x00", "A" * 5000, "../../../etc/passwd", "Asia/Jakarta\n", "<script>x</script>"])
def test_hostile_time_zones_are_refused_without_a_500(client, agent, hostile):
    client.force_login(agent)

    response = client.post(PAGE, {"language": "en", "time_zone": hostile})

    assert response.status_code == 400
    assert "<script>x" not in response.content.decode()
    assert not Profile.objects.exists()
